"""Case 07: Severe TBI, 21-day coma, autonomic storms, day 35, exams due."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, finding, patient, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_07() -> Case:
    injury = date(2025, 2, 20)
    exams = []
    # Two rounds of exams, the last 8 days ago: the next round is due again.
    for day in (18, 27):
        for side in ("left", "right"):
            exams.append(rom("hip", "flexion", side, 110, after(injury, day)))
            exams.append(rom("shoulder", "abduction", side, 160, after(injury, day)))
        exams.append(rom("elbow", "flexion", "left", 140, after(injury, day)))
    exams.append(rom("elbow", "flexion", "right", 140, after(injury, 18)))
    # 5 degrees less: below the local ROM-loss setting, so not a finding.
    exams.append(rom("elbow", "flexion", "right", 135, after(injury, 27)))
    exams.append(rom("knee", "flexion", "left", 135, after(injury, 27)))
    exams.append(rom("knee", "flexion", "right", 135, after(injury, 27)))
    return Case(
        number=7,
        slug="tbi-coma-autonomic-high-risk",
        title="Severe TBI, 21-day coma, autonomic storms, day 35, exams due",
        population="tbi",
        stage="at-risk",
        as_of=after(injury, 35),
        story=(
            "A 31-year-old man with a severe diffuse brain injury from a motorbike crash was in a "
            "coma for 21 days and had episodes of autonomic dysregulation. His joints are normal "
            "so far (the right elbow is 5 degrees stiffer, within measurement noise), but his "
            "risk is high and his hips, elbows, shoulders and knees are due for their weekly check."
        ),
        patient=patient("Sebastian", "Achterberg", "male", date(1993, 6, 1), "DEMO-0007"),
        resources=[
            condition(
                "Diffuse traumatic brain injury with loss of consciousness greater than 24 hours "
                "without return to pre-existing conscious level with patient surviving, initial "
                "encounter",
                injury,
                icd10="S06.2X6A",
            ),
            condition(
                "Unspecified coma",
                injury,
                icd10="R40.20",
                abatement=after(injury, 21),
                status="resolved",
            ),
            finding("autonomic-dysregulation", True, after(injury, 6)),
            *exams,
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
        ),
    )
