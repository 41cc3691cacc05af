"""Case 20: Stroke the day after CABG, heart failure: NSAID cautions."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_20() -> Case:
    cabg = date(2025, 9, 15)
    return Case(
        number=20,
        slug="stroke-after-cabg-heart-failure",
        title="Stroke the day after CABG, heart failure: NSAID cautions",
        population="stroke",
        stage="before-window",
        as_of=after(cabg, 8),
        story=(
            "A 67-year-old man with heart failure had coronary bypass surgery eight days ago and "
            "a clot-type stroke the next day. NSAIDs are contraindicated around bypass surgery "
            "and can worsen heart failure."
        ),
        patient=patient("Desmond", "Farrow", "male", date(1957, 12, 12), "DEMO-0020"),
        resources=[
            condition(
                "Chronic systolic (congestive) heart failure", date(2023, 2, 1), icd10="I50.22"
            ),
            procedure("Coronary artery bypass grafting", cabg, snomed="232717009"),
            condition(
                "Cerebral infarction due to embolism of left middle cerebral artery",
                after(cabg, 1),
                icd10="I63.412",
            ),
            med("1191", "aspirin", after(cabg, 1), text="aspirin 81 MG Oral Tablet"),
        ],
        expect=expect(
            "before-window",
            risk="moderate",
            suspicion="none",
            cautions=[
                caution(NSAID_INDO, "recent-cabg", "contraindicated"),
                caution(NSAID_INDO, "heart-failure", "caution"),
            ],
        ),
    )
