"""Case 22: Concussion and forearm fracture, NSAID allergy and peptic ulcer."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, allergy, condition, encounter, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_22() -> Case:
    injury = date(2025, 5, 3)
    visit = encounter(injury, injury, "EMER")
    return Case(
        number=22,
        slug="concussion-forearm-fracture-nsaid-allergy",
        title="Concussion and forearm fracture, NSAID allergy and peptic ulcer",
        population="tbi",
        stage="at-risk",
        as_of=after(injury, 28),
        story=(
            "A 45-year-old man knocked himself out and broke his forearm falling from a bike four "
            "weeks ago; the record is coded the way Synthea writes it. He gets hives and lip "
            "swelling from ibuprofen and has a stomach ulcer, so NSAIDs are not an option for "
            "him."
        ),
        patient=patient("Luca", "Ferreira-Haldane", "male", date(1980, 5, 25), "DEMO-0022"),
        resources=[
            visit,
            condition(
                "Concussion with loss of consciousness",
                injury,
                snomed="62564004",
                category="encounter-diagnosis",
                encounter=visit,
                abatement=after(injury, 21),
                status="resolved",
            ),
            condition(
                "Fracture of forearm",
                injury,
                snomed="65966004",
                category="encounter-diagnosis",
                encounter=visit,
            ),
            procedure("Bone immobilization", injury, snomed="274474001", encounter=visit),
            allergy("5640", "ibuprofen", date(2012, 6, 1), "Hives and lip swelling"),
            condition(
                "Chronic gastric ulcer without hemorrhage or perforation",
                date(2024, 11, 2),
                icd10="K25.7",
            ),
        ],
        expect=expect(
            "in-window",
            cautions=[
                caution(NSAID_INDO, "allergy", "contraindicated"),
                caution(NSAID_INDO, "peptic-ulcer", "caution"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )
