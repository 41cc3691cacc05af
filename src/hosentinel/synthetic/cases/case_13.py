"""Case 13: Small hand burn under 10% TBSA, day 20, low risk."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, encounter, patient
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_13() -> Case:
    burn = date(2025, 9, 8)
    visit = encounter(burn, burn, "EMER")
    return Case(
        number=13,
        slug="burn-small-low-risk",
        title="Small hand burn under 10% TBSA, day 20, low risk",
        population="burn",
        stage="at-risk",
        as_of=after(burn, 20),
        story=(
            "A 29-year-old woman scalded the back of her right hand while cooking 20 days ago; "
            "the burn covers well under 10% of her body and healed without grafting. Her chance "
            "of new bone is low. The record is coded the way Synthea writes it."
        ),
        patient=patient("Sofia", "Brennan-Achebe", "female", date(1996, 3, 11), "DEMO-0013"),
        resources=[
            visit,
            condition(
                "Second degree burn",
                burn,
                snomed="403191005",
                category="encounter-diagnosis",
                encounter=visit,
                abatement=after(burn, 18),
                status="resolved",
            ),
            condition(
                "Burns involving less than 10% of body surface",
                burn,
                icd10="T31.0",
                category="encounter-diagnosis",
                encounter=visit,
            ),
            condition(
                "Burn of second degree of back of right hand, initial encounter",
                burn,
                icd10="T23.261A",
                category="encounter-diagnosis",
                encounter=visit,
                side="right",
            ),
        ],
        expect=expect(
            "in-window",
            risk="low",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )
