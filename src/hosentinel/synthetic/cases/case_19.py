"""Case 19: Pregnant (24 weeks) with a tibial shaft fracture: no NSAIDs."""

from __future__ import annotations

from datetime import date

from hosentinel.synthetic.builders import after, condition, patient, procedure, rom
from hosentinel.synthetic.case import Case
from hosentinel.synthetic.cases.common import NSAID_INDO
from hosentinel.synthetic.expect import caution, expect


def case_19() -> Case:
    injury = date(2025, 6, 10)
    return Case(
        number=19,
        slug="pregnant-24-weeks-tibia-fracture",
        title="Pregnant (24 weeks) with a tibial shaft fracture: no NSAIDs",
        population="fracture",
        stage="at-risk",
        as_of=after(injury, 16),
        story=(
            "A 30-year-old woman, 24 weeks pregnant when she slipped on ice, broke her right shin "
            "bone and had it nailed. NSAIDs such as indomethacin must be avoided from 20 weeks of "
            "pregnancy, and they may also slow fracture healing."
        ),
        patient=patient("Camille", "Adeyemi", "female", date(1994, 9, 9), "DEMO-0019"),
        resources=[
            condition("Pregnant state, incidental", injury, icd10="Z33.1"),
            condition("24 weeks gestation of pregnancy", injury, icd10="Z3A.24"),
            condition(
                "Displaced transverse fracture of shaft of right tibia, initial encounter for "
                "closed fracture",
                injury,
                icd10="S82.221A",
                side="right",
            ),
            procedure(
                "Intramedullary nailing of right tibial shaft", after(injury, 1), side="right"
            ),
            rom("knee", "flexion", "right", 100, after(injury, 14)),
        ],
        expect=expect(
            "in-window",
            suspicion="none",
            cautions=[
                caution(NSAID_INDO, "pregnancy", "contraindicated"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )
