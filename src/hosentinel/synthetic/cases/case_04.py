"""Case 04: Incomplete SCI, day 18, swollen painful right hip."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, sign
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_04() -> Case:
    injury = date(2025, 4, 14)
    return Case(
        number=4,
        slug="sci-day-18-swollen-thigh",
        title="Incomplete SCI, day 18, swollen painful right hip",
        population="sci",
        stage="suspected",
        as_of=after(injury, 18),
        story=(
            "A 48-year-old man with an incomplete T9 spinal cord injury from a fall 18 days ago. "
            "Yesterday his right thigh and hip became swollen, warm and painful. A blood clot "
            "must be ruled out first; an X-ray this early can show a fracture but not new bone."
        ),
        patient=patient("Felix", "Amadi-Brandt", "male", date(1976, 7, 5), "DEMO-0004"),
        resources=[
            condition(
                "Other incomplete lesion at T7-T10 level of thoracic spinal cord, initial "
                "encounter",
                injury,
                icd10="S24.153A",
            ),
            sign("hip", "swelling", "right", after(injury, 17)),
            sign("hip", "pain", "right", after(injury, 17)),
            sign("hip", "warmth", "right", after(injury, 17)),
            condition(
                "Localized swelling, mass and lump, right lower limb",
                after(injury, 17),
                icd10="R22.41",
                side="right",
            ),
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "rule-out-fracture"],
            exclude=["plain-radiograph"],
        ),
    )
