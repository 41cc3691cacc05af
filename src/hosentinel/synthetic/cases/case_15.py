"""Case 15: Right elbow fracture-dislocation fixed, day 2: radiation caution."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_15() -> Case:
    injury = date(2025, 10, 5)
    return Case(
        number=15,
        slug="elbow-fracture-dislocation-day-2",
        title="Right elbow fracture-dislocation fixed, day 2: radiation caution",
        population="fracture",
        stage="before-window",
        as_of=after(injury, 2),
        story=(
            "A 42-year-old man fell off a ladder and dislocated his right elbow, breaking the "
            "radial head and the coronoid (a 'terrible triad'); it was fixed the same day. This "
            "injury pattern carries a high risk of new bone, but radiation right after fixing an "
            "elbow fracture can stop the fracture from healing."
        ),
        patient=patient("Mateo", "Lindgren", "male", date(1983, 4, 4), "DEMO-0015"),
        resources=[
            condition(
                "Posterior dislocation of right ulnohumeral joint, initial encounter",
                injury,
                icd10="S53.124A",
                side="right",
                joint="elbow",
            ),
            condition(
                "Displaced fracture of head of right radius, initial encounter for closed fracture",
                injury,
                icd10="S52.121A",
                side="right",
            ),
            condition(
                "Displaced fracture of coronoid process of right ulna, initial encounter for "
                "closed fracture",
                injury,
                icd10="S52.041A",
                side="right",
            ),
            procedure(
                "Open reduction and internal fixation of right radial head and coronoid, repair "
                "of lateral collateral ligament",
                injury,
                side="right",
                joint="elbow",
            ),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            cautions=[
                caution("radiation-prophylaxis", "fracture-healing", "caution"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )
