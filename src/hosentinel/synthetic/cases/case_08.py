"""Case 08: TBI, left elbow HO still growing, function limited."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, alp, condition, encounter, finding, patient, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect, lesion


def case_08() -> Case:
    injury = date(2024, 9, 2)
    stay = encounter(injury, after(injury, 62))
    return Case(
        number=8,
        slug="tbi-elbow-ho-active-growing",
        title="TBI, left elbow HO still growing, function limited",
        population="tbi",
        stage="active",
        as_of=after(injury, 200),
        story=(
            "A 45-year-old woman, seven months after a traumatic brain injury, with spasticity. "
            "New bone around her left elbow was seen on X-ray at three months and is still "
            "growing; the elbow now limits dressing and eating. Surgery can be considered once "
            "the bone matures."
        ),
        patient=patient("Noor", "Whitacre", "female", date(1979, 10, 9), "DEMO-0008"),
        resources=[
            stay,
            condition(
                "Traumatic brain injury (disorder)",
                injury,
                snomed="127295002",
                category="encounter-diagnosis",
                encounter=stay,
            ),
            finding("spasticity", True, after(injury, 30)),
            rom("elbow", "flexion", "left", 140, after(injury, 40)),
            rom("elbow", "flexion", "left", 120, after(injury, 90)),
            finding("radiograph-ho", "present", after(injury, 95), side="left", joint="elbow"),
            condition(
                "Other ossification of muscle, left upper arm",
                after(injury, 95),
                icd10="M61.522",
                side="left",
                joint="elbow",
            ),
            rom("elbow", "flexion", "left", 95, after(injury, 150)),
            finding("ho-growth", "growing", after(injury, 150), side="left", joint="elbow"),
            alp(165, after(injury, 196), "H"),
            rom("elbow", "flexion", "left", 90, after(injury, 198)),
            finding("ho-growth", "growing", after(injury, 198), side="left", joint="elbow"),
            finding("function-limited", True, after(injury, 198), side="left", joint="elbow"),
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            exclude=["repeat-bone-scan", "rule-out-dvt"],
            lesions=[lesion("elbow", "left", "active", "when-mature")],
        ),
    )
