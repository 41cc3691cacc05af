"""Case 01: Complete cervical SCI, day 5, before the window."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import ENOXAPARIN, NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_01() -> Case:
    injury = date(2025, 6, 2)
    return Case(
        number=1,
        slug="sci-complete-day-5",
        title="Complete cervical SCI, day 5, before the window",
        population="sci",
        stage="before-window",
        as_of=after(injury, 5),
        story=(
            "A 27-year-old man broke his neck diving into a shallow lake five days ago and has a "
            "complete C5 spinal cord injury. Surveillance for HO has not started yet: the window "
            "opens two weeks after the injury. He is on enoxaparin to prevent clots."
        ),
        patient=patient("Daniel", "Okafor-Reyes", "male", date(1998, 4, 12), "DEMO-0001"),
        resources=[
            condition(
                "Complete lesion at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.115A",
            ),
            procedure("Anterior cervical decompression and fusion C4-C6", after(injury, 1)),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "plain-radiograph", "rule-out-dvt"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )
