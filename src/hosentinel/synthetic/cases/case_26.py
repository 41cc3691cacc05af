"""Case 26: SCI, right hip HO stable on X-ray but not yet mature."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, alp, condition, finding, patient
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect, lesion


def case_26() -> Case:
    injury = date(2024, 7, 1)
    return Case(
        number=26,
        slug="sci-hip-ho-maturing",
        title="SCI, right hip HO stable on X-ray but not yet mature",
        population="sci",
        stage="maturing",
        as_of=after(injury, 301),
        story=(
            "A 43-year-old woman with a complete T4 spinal cord injury ten months ago has new "
            "bone at her right hip that makes sitting hard. It has stopped growing on X-ray and "
            "the bone scan is less active, but alkaline phosphatase is still high and the bone "
            "looks immature. Surgery should wait until it matures."
        ),
        patient=patient("Yara", "Dominguez-Falk", "female", date(1981, 6, 16), "DEMO-0026"),
        resources=[
            condition(
                "Complete lesion at T2-T6 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.112A",
            ),
            finding("bone-scan-ho", "positive", after(injury, 56), side="right", joint="hip"),
            finding("ho-activity", "increasing", after(injury, 56), side="right", joint="hip"),
            finding("radiograph-ho", "present", after(injury, 63), side="right", joint="hip"),
            condition(
                "Paralytic calcification and ossification of muscle, right thigh",
                after(injury, 63),
                icd10="M61.251",
                side="right",
                joint="hip",
            ),
            alp(290, after(injury, 63), "H"),
            finding("ho-growth", "growing", after(injury, 153), side="right", joint="hip"),
            alp(240, after(injury, 153), "H"),
            finding("ho-growth", "stable", after(injury, 245), side="right", joint="hip"),
            finding("ho-activity", "decreasing", after(injury, 281), side="right", joint="hip"),
            finding("ho-growth", "stable", after(injury, 283), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity",
                "immature",
                after(injury, 283),
                side="right",
                joint="hip",
            ),
            alp(170, after(injury, 283), "H"),
            finding("function-limited", True, after(injury, 283), side="right", joint="hip"),
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            exclude=["triple-phase-bone-scan", "repeat-bone-scan"],
            lesions=[lesion("hip", "right", "maturing", "when-mature")],
        ),
    )
