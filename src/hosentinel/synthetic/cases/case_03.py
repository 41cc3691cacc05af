"""Case 03: Complete SCI, day 61, right hip stiff, swollen and warm."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, rom, sign, temperature
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_03() -> Case:
    injury = date(2025, 1, 6)
    exams = []
    for day, right, left in ((25, 100, 100), (40, 105, 105), (60, 75, 105)):
        exams.append(rom("hip", "flexion", "right", right, after(injury, day)))
        exams.append(rom("hip", "flexion", "left", left, after(injury, day)))
    return Case(
        number=3,
        slug="sci-hip-rom-loss-probable",
        title="Complete SCI, day 61, right hip stiff, swollen and warm",
        population="sci",
        stage="suspected",
        as_of=after(injury, 61),
        story=(
            "A 35-year-old woman with a complete T8 spinal cord injury from a car crash two "
            "months ago. Her right hip has lost 30 degrees of flexion since her best measurement, "
            "and today it is swollen and warm; she cannot feel pain there. She has a low-grade "
            "fever."
        ),
        patient=patient("Amara", "Lindqvist", "female", date(1990, 1, 18), "DEMO-0003"),
        resources=[
            condition(
                "Complete lesion at T7-T10 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.113A",
            ),
            condition(
                "Pneumonia, unspecified organism",
                after(injury, 9),
                icd10="J18.9",
                abatement=after(injury, 20),
                status="resolved",
            ),
            *exams,
            rom("knee", "flexion", "right", 130, after(injury, 40)),
            rom("knee", "flexion", "left", 130, after(injury, 40)),
            sign("hip", "swelling", "right", after(injury, 60)),
            sign("hip", "warmth", "right", after(injury, 60)),
            temperature(38.0, after(injury, 60), "H"),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "plain-radiograph"],
            exclude=["repeat-bone-scan"],
        ),
    )
