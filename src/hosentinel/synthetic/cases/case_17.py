"""Case 17: Right hip replacement, AS and prior HO: prophylaxis options."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, procedure
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import expect


def case_17() -> Case:
    surgery = date(2025, 11, 3)
    left_tha = date(2019, 4, 15)
    return Case(
        number=17,
        slug="tha-ankylosing-spondylitis-prior-ho",
        title="Right hip replacement, AS and prior HO: prophylaxis options",
        population="arthroplasty",
        stage="at-risk",
        as_of=after(surgery, 1),
        story=(
            "A 62-year-old man with ankylosing spondylitis had his right hip replaced yesterday. "
            "After his left hip replacement in 2019 he grew enough new bone to need it removed. "
            "His risk is high, so radiation or an NSAID to prevent new bone should be offered "
            "now."
        ),
        patient=patient("Bernard", "Okonkwo-Lee", "male", date(1963, 2, 2), "DEMO-0017"),
        resources=[
            condition(
                "Ankylosing spondylitis of unspecified sites in spine",
                date(2001, 6, 1),
                icd10="M45.9",
            ),
            procedure("Total replacement of hip", left_tha, snomed="52734007", side="left"),
            condition("Presence of left artificial hip joint", left_tha, icd10="Z96.642"),
            condition(
                "Other ossification of muscle, left thigh",
                after(left_tha, 86),
                icd10="M61.552",
                side="left",
                joint="hip",
                abatement=date(2021, 5, 3),
                status="resolved",
                note="Brooker III after left total hip arthroplasty; excised May 2021.",
            ),
            procedure("Total replacement of hip", surgery, snomed="52734007", side="right"),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            include=["radiation-prophylaxis", NSAID_INDO],
        ),
    )
