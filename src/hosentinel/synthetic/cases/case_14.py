"""Case 14: Right acetabular fracture fixed, day 3: NSAID healing caution."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import ENOXAPARIN, NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_14() -> Case:
    injury = date(2025, 8, 18)
    return Case(
        number=14,
        slug="acetabular-orif-day-3",
        title="Right acetabular fracture fixed, day 3: NSAID healing caution",
        population="fracture",
        stage="before-window",
        as_of=after(injury, 3),
        story=(
            "A 34-year-old man broke the back wall of his right hip socket in a car crash and had "
            "it fixed through a posterior approach two days ago. The surveillance window has not "
            "opened. Indomethacin may delay healing of this kind of fracture."
        ),
        patient=patient("Jonas", "Whitfield", "male", date(1990, 10, 30), "DEMO-0014"),
        resources=[
            condition(
                "Displaced fracture of posterior wall of right acetabulum, initial encounter for "
                "closed fracture",
                injury,
                icd10="S32.421A",
                side="right",
            ),
            procedure(
                "Open reduction and internal fixation of right acetabulum (Kocher-Langenbeck "
                "approach)",
                after(injury, 1),
                side="right",
                joint="hip",
            ),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "before-window",
            suspicion="none",
            exclude=["triple-phase-bone-scan"],
            cautions=[
                caution(NSAID_INDO, "fracture-healing", "caution"),
                caution(NSAID_INDO, "anticoagulant", "caution"),
            ],
        ),
    )
