"""Case 18: Right hip replacement, CKD stage 4 (eGFR 28): renal cautions."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, egfr, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_18() -> Case:
    surgery = date(2025, 10, 20)
    return Case(
        number=18,
        slug="tha-ckd-egfr-28",
        title="Right hip replacement, CKD stage 4 (eGFR 28): renal cautions",
        population="arthroplasty",
        stage="at-risk",
        as_of=after(surgery, 2),
        story=(
            "A 71-year-old woman had her right hip replaced for arthritis two days ago. Her "
            "kidneys work at about a quarter of normal (eGFR 28). Alendronate should not be used "
            "at this level, and NSAIDs need care."
        ),
        patient=patient("Helena", "Vasquez-Orr", "female", date(1954, 7, 21), "DEMO-0018"),
        resources=[
            condition("Chronic kidney disease, stage 4 (severe)", date(2021, 3, 1), icd10="N18.4"),
            condition(
                "Unilateral primary osteoarthritis, right hip", date(2020, 9, 14), icd10="M16.11"
            ),
            egfr(31, date(2025, 9, 15), "L"),
            egfr(28, after(surgery, -1), "L"),
            procedure("Total replacement of hip", surgery, snomed="52734007", side="right"),
        ],
        expect=expect(
            "before-window",
            cautions=[
                caution("alendronate", "renal-impairment", "contraindicated"),
                caution(NSAID_INDO, "renal-impairment", "caution"),
            ],
        ),
    )
