"""Case 11: Ischaemic stroke, no spasticity, day 100, low risk."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, finding, med_statement, patient, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_11() -> Case:
    stroke = date(2025, 1, 20)
    return Case(
        number=11,
        slug="stroke-ischaemic-low-risk",
        title="Ischaemic stroke, no spasticity, day 100, low risk",
        population="stroke",
        stage="at-risk",
        as_of=after(stroke, 100),
        story=(
            "A 74-year-old woman had a clot-type stroke in the left side of her brain 100 days "
            "ago, from atrial fibrillation; she now takes apixaban at home. She has no spasticity "
            "and her right arm moves fully, so her chance of new bone is low."
        ),
        patient=patient("Margarethe", "Osei", "female", date(1950, 5, 19), "DEMO-0011"),
        resources=[
            condition("Essential (primary) hypertension", date(2012, 3, 1), icd10="I10"),
            condition(
                "Cerebral infarction due to unspecified occlusion or stenosis of left middle "
                "cerebral artery",
                stroke,
                icd10="I63.512",
            ),
            condition("Unspecified atrial fibrillation", stroke, icd10="I48.91"),
            med_statement(
                "1364430", "apixaban", after(stroke, 7), text="apixaban 5 MG Oral Tablet"
            ),
            finding("spasticity", False, after(stroke, 30)),
            rom("elbow", "flexion", "right", 145, after(stroke, 30)),
            rom("shoulder", "abduction", "right", 160, after(stroke, 30)),
            finding("spasticity", False, after(stroke, 95)),
            rom("elbow", "flexion", "right", 145, after(stroke, 95)),
            rom("shoulder", "abduction", "right", 160, after(stroke, 95)),
        ],
        expect=expect(
            "in-window",
            risk="low",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )
