"""Case 16: Femur shaft fracture, day 25, right hip flexion dropping."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import (
    after,
    condition,
    finding,
    med,
    patient,
    procedure,
    rom,
)
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_16() -> Case:
    injury = date(2025, 4, 7)
    return Case(
        number=16,
        slug="femur-shaft-hip-rom-drop",
        title="Femur shaft fracture, day 25, right hip flexion dropping",
        population="fracture",
        stage="suspected",
        as_of=after(injury, 25),
        story=(
            "A 23-year-old man broke his right thigh bone in a motorbike crash and had it nailed. "
            "He spent weeks mostly in bed. His right hip bent to 110 degrees a week ago but only "
            "to 98 today, while his knee keeps improving: possible early new bone, no swelling. "
            "He takes sertraline, and a short course of prednisone for asthma: both matter for "
            "NSAIDs."
        ),
        patient=patient("Elias", "Mwangi", "male", date(2002, 1, 15), "DEMO-0016"),
        resources=[
            condition(
                "Displaced transverse fracture of shaft of right femur, initial encounter for "
                "closed fracture",
                injury,
                icd10="S72.321A",
                side="right",
            ),
            procedure(
                "Intramedullary nailing of right femoral shaft", after(injury, 1), side="right"
            ),
            finding("prolonged-immobility", True, after(injury, 10)),
            rom("hip", "flexion", "right", 90, after(injury, 10)),
            rom("hip", "flexion", "left", 115, after(injury, 10)),
            rom("knee", "flexion", "right", 95, after(injury, 10)),
            rom("hip", "flexion", "right", 110, after(injury, 17)),
            rom("knee", "flexion", "right", 110, after(injury, 17)),
            rom("hip", "flexion", "right", 98, after(injury, 24)),
            rom("knee", "flexion", "right", 120, after(injury, 24)),
            med(
                "8640",
                "prednisone",
                after(injury, 3),
                text="predniSONE 10 MG Oral Tablet",
                dosage="10 mg by mouth daily (asthma flare), tapering",
            ),
            med(
                "36437",
                "sertraline",
                date(2024, 9, 1),
                text="sertraline 50 MG Oral Tablet",
                dosage="50 mg by mouth daily",
            ),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="possible",
            exclude=["rule-out-dvt", "surgical-referral"],
            cautions=[
                caution(NSAID_INDO, "fracture-healing", "caution"),
                caution(NSAID_INDO, "corticosteroid", "caution"),
                caution(NSAID_INDO, "ssri", "caution"),
            ],
        ),
    )
