"""Case 05: SCI, right hip HO confirmed by bone scan, on warfarin."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import (
    after,
    alp,
    condition,
    finding,
    imaging_report,
    lab,
    med,
    patient,
    rom,
    sign,
)
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect, lesion


def case_05() -> Case:
    injury = date(2025, 3, 3)
    scan = finding("bone-scan-ho", "positive", after(injury, 48), side="right", joint="hip")
    activity = finding("ho-activity", "increasing", after(injury, 48), side="right", joint="hip")
    xray = finding("radiograph-ho", "absent", after(injury, 49), side="right", joint="hip")
    return Case(
        number=5,
        slug="sci-confirmed-active-warfarin",
        title="SCI, right hip HO confirmed by bone scan, on warfarin",
        population="sci",
        stage="active",
        as_of=after(injury, 52),
        story=(
            "A 37-year-old man with a complete L1 spinal cord injury. A bone scan on day 48 "
            "showed active new bone at the right hip; the X-ray is still clear, as expected this "
            "early. He takes warfarin for a leg clot and once bled from the gut, which matters "
            "for NSAIDs."
        ),
        patient=patient("Hugo", "Castellanos", "male", date(1987, 11, 23), "DEMO-0005"),
        resources=[
            condition(
                "Complete lesion of L1 level of lumbar spinal cord, initial encounter",
                injury,
                icd10="S34.111A",
            ),
            condition(
                "Gastrointestinal hemorrhage, unspecified",
                date(2022, 8, 15),
                icd10="K92.2",
                abatement=date(2022, 8, 25),
                status="resolved",
            ),
            condition(
                "Acute embolism and thrombosis of right femoral vein",
                after(injury, 28),
                icd10="I82.411",
            ),
            med(
                "11289",
                "warfarin",
                after(injury, 29),
                text="warfarin sodium 5 MG Oral Tablet",
                dosage="5 mg by mouth daily, adjusted to INR",
            ),
            rom("hip", "flexion", "right", 110, after(injury, 30)),
            rom("hip", "flexion", "right", 90, after(injury, 45)),
            sign("hip", "swelling", "right", after(injury, 45)),
            alp(188, after(injury, 47), "H"),
            lab(
                "1988-5",
                "C reactive protein [Mass/volume] in Serum or Plasma",
                24,
                "mg/L",
                after(injury, 47),
                "H",
                0,
                5,
            ),
            scan,
            activity,
            imaging_report(
                "NM three-phase bone scan, pelvis and hips",
                after(injury, 48),
                "Increased flow, blood-pool and delayed uptake in the soft tissue anterior to "
                "the right hip: early heterotopic ossification.",
                [scan, activity],
            ),
            xray,
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            include=["nsaid-indomethacin", "etidronate"],
            # One bisphosphonate at most; the DVT on this side is known and treated.
            exclude=["alendronate", "triple-phase-bone-scan", "repeat-bone-scan", "rule-out-dvt"],
            cautions=[
                caution(NSAID_INDO, "anticoagulant", "caution"),
                caution(NSAID_INDO, "gi-bleed-history", "caution"),
            ],
            lesions=[lesion("hip", "right", "active", "not-indicated")],
        ),
    )
