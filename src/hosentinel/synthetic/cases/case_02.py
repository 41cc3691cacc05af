"""Case 02: Complete thoracic SCI, day 40, high risk, exams due."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, med, patient
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import ENOXAPARIN, NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_02() -> Case:
    injury = date(2025, 2, 10)
    return Case(
        number=2,
        slug="sci-complete-day-40-exams-due",
        title="Complete thoracic SCI, day 40, high risk, exams due",
        population="sci",
        stage="at-risk",
        as_of=after(injury, 40),
        story=(
            "A 41-year-old man fell from a roof 40 days ago; his T4 spinal cord injury is "
            "complete. Since then he has had a urinary tract infection and a stage 3 sacral "
            "pressure injury. Nobody has measured his hip or knee range of motion yet, so there "
            "is no baseline."
        ),
        patient=patient("Ruben", "Halvorsen", "male", date(1983, 9, 30), "DEMO-0002"),
        resources=[
            condition(
                "Complete lesion at T2-T6 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.112A",
            ),
            condition(
                "Pressure ulcer of sacral region, stage 3", after(injury, 15), icd10="L89.153"
            ),
            condition(
                "Urinary tract infection, site not specified",
                after(injury, 22),
                icd10="N39.0",
                abatement=after(injury, 30),
                status="resolved",
            ),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )
