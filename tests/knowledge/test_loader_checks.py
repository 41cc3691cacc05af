"""The loader's reference checks, each on its own (mutants of loader.py that survived issue 20's
first mutation run: a check that stops firing, or a message that no longer names the problem)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hosentinel.knowledge import loader

DATA = Path(loader.__file__).parent / "data"
FRACTURE_RULE = (
    "{recent_concept: {concept: long-bone-fracture, within_days_setting: fracture_healing_days}}"
)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def broken(data_copy: Path, file: str, old: str, new: str) -> str:
    path = data_copy / file
    text = path.read_text()
    assert text.count(old) >= 1, f"fixture text not in {file}: {old!r}"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(loader.KnowledgeError) as raised:
        loader.load_knowledge(data_copy)
    message = str(raised.value)
    assert message.startswith("invalid knowledge base:\n  "), message
    return message


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            FRACTURE_RULE,
            FRACTURE_RULE.replace("long-bone-fracture", "shin-splint"),
            "rule nsaid-fracture-healing: unknown concept shin-splint",
        ),
        (
            FRACTURE_RULE,
            FRACTURE_RULE.replace("fracture_healing_days", "bone_knitting_days"),
            "rule nsaid-fracture-healing: unknown local setting bone_knitting_days",
        ),
        (
            "{egfr_below_setting: nsaid_egfr_caution_below}",
            "{egfr_below_setting: nsaid_kidney_limit}",
            "rule nsaid-renal-impairment: unknown local setting nsaid_kidney_limit",
        ),
        (
            "recommendation: etidronate\n",
            "recommendation: didronel\n",
            "drug etidronate: unknown recommendation didronel",
        ),
    ],
)
def test_drug_reference_problems_are_named(
    data_copy: Path, old: str, new: str, expected: str
) -> None:
    assert expected in broken(data_copy, "drugs.yaml", old, new)


def test_index_event_concept_is_checked(data_copy: Path) -> None:
    message = broken(data_copy, "index_events.yaml", "concepts: [sci]", "concepts: [spine-ache]")
    assert "index event sci: unknown concept spine-ache" in message


def test_duplicate_concept_message(data_copy: Path) -> None:
    message = broken(data_copy, "valuesets/clinical.yaml", "id: uti", "id: pneumonia")
    assert "duplicate concept id pneumonia" in message


def test_the_loaded_base_exposes_its_signs_and_unconfirmed_items() -> None:
    # A fresh load, not the cached default_knowledge(): `make mutate` forks each mutant's tests
    # from a process that has already loaded the default, so only a fresh load runs the loader.
    k = loader.load_knowledge()
    assert {"rom-loss", "pain", "swelling", "warmth", "redness", "fever"} <= set(k.signs)
    assert "u-burn-score-item-points" in {u.id for u in k.unconfirmed}
    # DESIGN.md step 8: material for each stage, at two reading levels.
    stages = {"at-risk", "suspected", "active", "maturing", "before-surgery", "after-surgery"}
    assert {m.stage for m in k.education} == stages
    assert all(len({m.level for m in k.education if m.stage == st}) == 2 for st in stages)


def test_a_risk_factors_concept_is_checked(data_copy: Path) -> None:
    """The reference check covers the risk factors' conditions, not only the drug cautions."""
    message = broken(
        data_copy,
        "risk_factors/arthroplasty.yaml",
        "{concept: osteoporosis}",
        "{concept: brittle-bones}",
    )
    assert "unknown concept brittle-bones" in message


@pytest.mark.parametrize("position", [0, 1])
def test_each_concept_of_a_with_procedure_clause_is_checked(data_copy: Path, position: int) -> None:
    """risk_factors/burn.yaml `burn-arm-graft`: {with_procedure: [burn-arm, skin-graft]}."""
    pair = ["burn-arm", "skin-graft"]
    old = f"{{with_procedure: [{pair[0]}, {pair[1]}]}}"
    pair[position] = "mystery-site"
    new = f"{{with_procedure: [{pair[0]}, {pair[1]}]}}"
    message = broken(data_copy, "risk_factors/burn.yaml", old, new)
    assert "rule burn-arm-graft: unknown concept mystery-site" in message


def test_a_bad_registry_entry_is_named(data_copy: Path) -> None:
    """settings.yaml, citations.yaml and unconfirmed.yaml are the registry: a value of the wrong
    type there is reported like any other problem, not raised as a crash."""
    message = broken(data_copy, "settings.yaml", "value: 10\n", "value: ten degrees\n")
    assert "registry: value:" in message
