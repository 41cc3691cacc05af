"""Case 24: Combat blast, left transfemoral amputation, day 40."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_24() -> Case:
    injury = date(2025, 2, 3)
    return Case(
        number=24,
        slug="blast-transfemoral-amputation",
        title="Combat blast, left transfemoral amputation, day 40",
        population="blast",
        stage="at-risk",
        as_of=after(injury, 40),
        story=(
            "A 25-year-old soldier stepped on an improvised explosive device on foot patrol 40 "
            "days ago and lost his left leg above the knee. New bone forms in most residual limbs "
            "after blast amputations at this level, so his risk is high."
        ),
        patient=patient("Marcus", "Oyelaran-Steele", "male", date(1999, 7, 30), "DEMO-0024"),
        resources=[
            condition("Blast injury, left lower limb (dismounted IED)", injury),
            condition(
                "Complete traumatic amputation at level between left hip and knee, initial "
                "encounter",
                injury,
                icd10="S78.112A",
                side="left",
            ),
            condition(
                "Military operations involving unspecified explosion and fragments, military "
                "personnel, initial encounter",
                injury,
                icd10="Y37.200A",
            ),
            procedure("Revision of transfemoral amputation, left", after(injury, 6), side="left"),
        ],
        expect=expect("in-window", risk="high", suspicion="none"),
    )
