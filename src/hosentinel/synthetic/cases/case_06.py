"""Case 06: Incomplete SCI, negative bone scan, left knee signs persist."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, finding, patient, rom, sign
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_06() -> Case:
    injury = date(2025, 5, 5)
    return Case(
        number=6,
        slug="sci-negative-scan-signs-persist",
        title="Incomplete SCI, negative bone scan, left knee signs persist",
        population="sci",
        stage="suspected",
        as_of=after(injury, 45),
        story=(
            "A 30-year-old man with an incomplete C5 spinal cord injury. His left knee became "
            "stiff, swollen and warm a month after the injury, but a bone scan ten days ago was "
            "negative. The knee is still swollen, warm and now painful, so the scan should be "
            "repeated."
        ),
        patient=patient("Owen", "Mbeki-Hart", "male", date(1995, 2, 14), "DEMO-0006"),
        resources=[
            condition(
                "Other incomplete lesion at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.155A",
            ),
            rom("knee", "flexion", "left", 120, after(injury, 20)),
            rom("knee", "flexion", "right", 130, after(injury, 20)),
            rom("knee", "flexion", "left", 130, after(injury, 27)),
            rom("knee", "flexion", "left", 116, after(injury, 33)),
            sign("knee", "swelling", "left", after(injury, 33)),
            sign("knee", "warmth", "left", after(injury, 33)),
            finding("bone-scan-ho", "negative", after(injury, 35), side="left", joint="knee"),
            rom("knee", "flexion", "left", 112, after(injury, 44)),
            rom("knee", "flexion", "right", 130, after(injury, 44)),
            sign("knee", "swelling", "left", after(injury, 44)),
            sign("knee", "warmth", "left", after(injury, 44)),
            sign("knee", "pain", "left", after(injury, 44)),
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["repeat-bone-scan", "rule-out-dvt", "plain-radiograph"],
        ),
    )
