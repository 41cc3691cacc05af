"""Case 09: TBI, mature right hip HO limiting sitting: refer now."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import (
    after,
    alp,
    condition,
    finding,
    imaging_report,
    patient,
    rom,
)
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect, lesion


def case_09() -> Case:
    injury = date(2023, 8, 14)
    final_scan = finding("ho-activity", "quiescent", date(2025, 2, 10), side="right", joint="hip")
    return Case(
        number=9,
        slug="tbi-hip-ho-mature-refer",
        title="TBI, mature right hip HO limiting sitting: refer now",
        population="tbi",
        stage="before-surgery",
        as_of=date(2025, 3, 3),
        story=(
            "A 55-year-old man, 18 months after a brain injury with a 25-day coma, has a large "
            "bony mass at his right hip that makes sitting and transfers hard. Serial X-rays are "
            "now stable and mature, alkaline phosphatase is back to normal and the bone scan has "
            "gone quiet: it is time to see a surgeon."
        ),
        patient=patient("Walter", "Nkemelu", "male", date(1969, 3, 27), "DEMO-0009"),
        resources=[
            condition(
                "Traumatic subdural hemorrhage with loss of consciousness greater than 24 hours "
                "without return to pre-existing conscious level with patient surviving, initial "
                "encounter",
                injury,
                icd10="S06.5X6A",
            ),
            condition(
                "Unspecified coma",
                injury,
                icd10="R40.20",
                abatement=after(injury, 25),
                status="resolved",
            ),
            rom("hip", "flexion", "right", 100, after(injury, 37)),
            finding("bone-scan-ho", "positive", after(injury, 67), side="right", joint="hip"),
            finding("ho-activity", "increasing", after(injury, 67), side="right", joint="hip"),
            finding("radiograph-ho", "present", after(injury, 80), side="right", joint="hip"),
            condition(
                "Other ossification of muscle, right thigh",
                after(injury, 80),
                icd10="M61.551",
                side="right",
                joint="hip",
            ),
            finding("ho-growth", "growing", date(2024, 2, 1), side="right", joint="hip"),
            alp(245, date(2024, 2, 1), "H"),
            finding("ho-growth", "stable", date(2024, 8, 5), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity", "immature", date(2024, 8, 5), side="right", joint="hip"
            ),
            finding("ho-activity", "decreasing", date(2024, 8, 5), side="right", joint="hip"),
            alp(150, date(2024, 8, 5), "H"),
            finding("ho-growth", "stable", date(2025, 2, 10), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity", "mature", date(2025, 2, 10), side="right", joint="hip"
            ),
            final_scan,
            imaging_report(
                "NM three-phase bone scan, pelvis and hips",
                date(2025, 2, 10),
                "Heterotopic bone anterior and medial to the right hip with uptake no higher "
                "than normal bone on all three phases: quiescent.",
                [final_scan],
            ),
            alp(98, date(2025, 2, 10), "N"),
            rom("hip", "flexion", "right", 45, date(2025, 2, 10)),
            finding("function-limited", True, date(2025, 2, 10), side="right", joint="hip"),
        ],
        expect=expect(
            "after-window",
            suspicion="confirmed",
            include=["surgical-referral"],
            exclude=["triple-phase-bone-scan", "repeat-bone-scan"],
            lesions=[lesion("hip", "right", "mature", "now")],
        ),
    )
