"""Case 27: Clinic patient with knee arthritis, no index event."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import condition, encounter, med, patient, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_27() -> Case:
    visit_day = date(2025, 8, 12)
    visit = encounter(visit_day, visit_day, "AMB")
    return Case(
        number=27,
        slug="no-index-event-knee-arthritis",
        title="Clinic patient with knee arthritis, no index event",
        population="general",
        stage="not-applicable",
        as_of=visit_day,
        story=(
            "A 58-year-old woman seen in clinic for knee osteoarthritis and high blood pressure, "
            "coded the way Synthea writes it. She has had no injury, stroke, burn or joint "
            "replacement, so HO surveillance does not apply."
        ),
        patient=patient("Ilse", "Marchetti-Obi", "female", date(1967, 2, 27), "DEMO-0027"),
        resources=[
            visit,
            condition(
                "Essential hypertension (disorder)",
                date(2016, 4, 5),
                snomed="59621000",
                category="encounter-diagnosis",
            ),
            condition(
                "Osteoarthritis of knee",
                date(2022, 10, 18),
                snomed="239873007",
                category="encounter-diagnosis",
            ),
            med("314076", "lisinopril 10 MG Oral Tablet", date(2016, 4, 5)),
            rom("knee", "flexion", "right", 120, visit_day),
            rom("knee", "flexion", "left", 125, visit_day),
        ],
        expect=expect(
            "not-applicable",
            suspicion="none",
            exclude=["serial-joint-exam", "triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )
