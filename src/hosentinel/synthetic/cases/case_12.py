"""Case 12: Burns 40-49% TBSA, grafted right arm, day 30."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, procedure, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.expect import expect


def case_12() -> Case:
    burn = date(2025, 7, 1)
    return Case(
        number=12,
        slug="burn-40pct-arm-graft",
        title="Burns 40-49% TBSA, grafted right arm, day 30",
        population="burn",
        stage="at-risk",
        as_of=after(burn, 30),
        story=(
            "A 38-year-old man was burned over about 45% of his body in a house fire 30 days ago, "
            "including deep burns of the right elbow and forearm that needed skin grafts. Large "
            "burns and grafted arm burns are the strongest known risks for new bone at the elbow."
        ),
        patient=patient("Kwame", "Rasmussen", "male", date(1986, 8, 8), "DEMO-0012"),
        resources=[
            condition(
                "Burns involving 40-49% of body surface with 20-29% third degree burns",
                burn,
                icd10="T31.42",
            ),
            condition(
                "Burn of third degree of right elbow, initial encounter",
                burn,
                icd10="T22.321A",
                side="right",
            ),
            condition(
                "Burn of third degree of right forearm, initial encounter",
                burn,
                icd10="T22.311A",
                side="right",
            ),
            condition(
                "Burn of third degree of chest wall, initial encounter", burn, icd10="T21.31XA"
            ),
            procedure(
                "Excision and split-thickness skin autograft, right elbow and forearm",
                after(burn, 6),
                side="right",
            ),
            procedure("Excision and split-thickness skin autograft, chest wall", after(burn, 13)),
            rom("elbow", "flexion", "right", 130, after(burn, 20)),
            rom("elbow", "flexion", "left", 145, after(burn, 20)),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan"],
        ),
    )
