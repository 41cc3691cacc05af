"""Case 23: SCI, 10 days after excision of right hip HO."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient, procedure, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_23() -> Case:
    injury = date(2023, 3, 14)
    excision = date(2025, 3, 10)
    return Case(
        number=23,
        slug="sci-after-hip-ho-excision",
        title="SCI, 10 days after excision of right hip HO",
        population="sci",
        stage="after-surgery",
        as_of=after(excision, 10),
        story=(
            "A 40-year-old man with a complete T9 spinal cord injury two years ago had new bone "
            "removed from his right hip ten days ago so that he can sit properly again. His hip "
            "now bends to 95 degrees, up from 35 before surgery. He takes indomethacin to help "
            "stop the bone coming back."
        ),
        patient=patient("Viktor", "Ansah-Kowalski", "male", date(1985, 1, 8), "DEMO-0023"),
        resources=[
            condition(
                "Complete lesion at T7-T10 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.113A",
            ),
            condition(
                "Paralytic calcification and ossification of muscle, right thigh",
                after(injury, 70),
                icd10="M61.251",
                side="right",
                joint="hip",
                abatement=excision,
                status="resolved",
            ),
            rom("hip", "flexion", "right", 35, after(excision, -18)),
            procedure(
                "Excision of heterotopic ossification of right hip",
                excision,
                side="right",
                joint="hip",
            ),
            med(
                "5781",
                "indomethacin",
                after(excision, 1),
                text="indomethacin 25 MG Oral Capsule",
                dosage="25 mg by mouth three times daily with food",
            ),
            rom("hip", "flexion", "right", 90, after(excision, 3)),
            rom("hip", "flexion", "right", 95, after(excision, 9)),
        ],
        expect=expect(
            "after-window",
            suspicion="none",
            exclude=["surgical-referral", "triple-phase-bone-scan"],
        ),
    )
