"""Case 10: Haemorrhagic stroke with spasticity, day 45, elbow checks."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, finding, patient, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_10() -> Case:
    stroke = date(2025, 5, 12)
    exams = []
    for day in (30, 44):
        exams.append(rom("elbow", "flexion", "left", 140, after(stroke, day)))
        exams.append(rom("shoulder", "abduction", "left", 150, after(stroke, day)))
    return Case(
        number=10,
        slug="stroke-haemorrhagic-spasticity",
        title="Haemorrhagic stroke with spasticity, day 45, elbow checks",
        population="stroke",
        stage="at-risk",
        as_of=after(stroke, 45),
        story=(
            "A 52-year-old woman had a bleed in the right side of her brain six weeks ago and now "
            "has a spastic left arm and leg. Her left elbow and shoulder move normally so far. A "
            "bleeding stroke and spasticity both raise the chance of new bone, mostly at the "
            "elbow."
        ),
        patient=patient("Grace", "Thorvaldsen", "female", date(1972, 12, 3), "DEMO-0010"),
        resources=[
            condition(
                "Nontraumatic intracerebral hemorrhage in hemisphere, subcortical",
                stroke,
                icd10="I61.0",
            ),
            condition(
                "Spastic hemiplegia affecting left nondominant side",
                after(stroke, 18),
                icd10="G81.14",
            ),
            finding("spasticity", True, after(stroke, 30)),
            *exams,
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )
