"""Case 21: Central cord SCI with oesophageal stricture and low calcium."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, lab, patient
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import caution, expect


def case_21() -> Case:
    injury = date(2025, 3, 17)
    return Case(
        number=21,
        slug="sci-oesophageal-stricture-hypocalcaemia",
        title="Central cord SCI with oesophageal stricture and low calcium",
        population="sci",
        stage="at-risk",
        as_of=after(injury, 30),
        story=(
            "A 70-year-old man fell at home and has a central cord syndrome at C5. He has a known "
            "narrowing of the oesophagus and his blood calcium is low. Alendronate and etidronate "
            "are unsafe with a stricture, and alendronate also needs calcium corrected first."
        ),
        patient=patient("Arthur", "Penhaligon", "male", date(1954, 4, 17), "DEMO-0021"),
        resources=[
            condition("Obstruction of esophagus", date(2019, 5, 10), icd10="K22.2"),
            condition(
                "Central cord syndrome at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.125A",
            ),
            condition("Hypocalcemia", after(injury, 24), icd10="E83.51"),
            lab(
                "17861-6",
                "Calcium [Mass/volume] in Serum or Plasma",
                7.6,
                "mg/dL",
                after(injury, 28),
                "L",
                8.6,
                10.3,
            ),
        ],
        expect=expect(
            "in-window",
            cautions=[
                caution("alendronate", "oesophageal-disorder", "contraindicated"),
                caution("etidronate", "oesophageal-disorder", "contraindicated"),
                caution("alendronate", "hypocalcaemia", "contraindicated"),
            ],
        ),
    )
