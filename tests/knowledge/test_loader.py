"""The loader rejects a broken knowledge base with every problem named, and the digest tracks
the content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hosentinel.knowledge import loader
from hosentinel.knowledge.schema import RECOMMENDATION_IDS

DATA = Path(loader.__file__).parent / "data"


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old!r}"
    path.write_text(text.replace(old, new, 1))


def test_the_bundled_knowledge_loads() -> None:
    k = loader.load_knowledge()
    assert k.release and k.digest.startswith("sha256:") and len(k.digest) == 7 + 64
    assert {c.id for c in k.index_events.kinds} == {
        "sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast",
    }  # fmt: skip
    assert set(k.recommendations) == set(RECOMMENDATION_IDS)
    assert {"brooker", "della-valle"} <= set(k.classifications)


def test_the_copy_loads_with_the_same_digest(data_copy: Path) -> None:
    assert loader.load_knowledge(data_copy).digest == loader.load_knowledge().digest


def test_any_change_changes_the_digest(data_copy: Path) -> None:
    edit(data_copy / "settings.yaml", "value: 10", "value: 15")
    changed = loader.load_knowledge(data_copy)
    assert changed.digest != loader.load_knowledge().digest
    assert changed.setting("rom_loss_threshold_degrees") == 15


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("drugs.yaml", "id: cit-fda-2020-nsaid-pregnancy", "id: cit-nowhere", "unknown citation cit-nowhere"),
        ("drugs.yaml", "reason: hypocalcaemia", "reason: bad-luck", "unknown caution reason"),
        ("drugs.yaml", "version: 1.0.0", "version: one", "semantic"),
        ("drugs.yaml", "{active_concept: heart-failure}", "{active_concept: heart-trouble}", "unknown concept heart-trouble"),
        ("drugs.yaml", "{egfr_below: 35}", "{egfr_below: 35, pregnant: true}", "exactly one test"),
        ("recommendations.yaml", "id: serial-joint-exam", "id: joint-poke", "not in the recommendation vocabulary"),
        ("risk_factors/sci.yaml", "id: sci-uti", "id: sci-smoker", "duplicate rule id sci-smoker"),
        ("valuesets/clinical.yaml", "id: uti", "id: pneumonia", "duplicate concept id pneumonia"),
        ("index_events.yaml", "title: Stroke\n", "title: Stroke\n    colour: red\n", "Extra inputs"),
        ("settings.yaml", "id: exam_interval_days", "id: rom_loss_threshold_degrees", "duplicate setting"),
    ],
)  # fmt: skip
def test_broken_knowledge_is_rejected_naming_the_problem(
    data_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    path = data_copy / file
    if old not in path.read_text():
        pytest.fail(f"fixture text {old!r} not in {file}")
    edit(path, old, new)
    with pytest.raises(loader.KnowledgeError) as raised:
        loader.load_knowledge(data_copy)
    assert message in str(raised.value)
    # One heading, then each problem on its own indented line (schema and reference problems).
    assert str(raised.value).startswith("invalid knowledge base:\n  "), str(raised.value)


def test_every_problem_is_listed_at_once(data_copy: Path) -> None:
    edit(data_copy / "drugs.yaml", "id: cit-fda-2020-nsaid-pregnancy", "id: cit-nowhere-1")
    edit(data_copy / "tests.yaml", "id: cit-rosteius-2017", "id: cit-nowhere-2")
    with pytest.raises(loader.KnowledgeError) as raised:
        loader.load_knowledge(data_copy)
    assert "cit-nowhere-1" in str(raised.value) and "cit-nowhere-2" in str(raised.value)


def test_unknown_icd_codes_match_by_prefix_and_exclusions_hold() -> None:
    k = loader.load_knowledge()
    assert "ho" in k.concepts_for_code("icd10cm", "M61.251")
    assert "ho" not in k.concepts_for_code("icd10cm", "M61.451")  # calcification, not HO
    assert {"sci", "sci-complete"} <= k.concepts_for_code("icd10cm", "S14.111A")
    assert "sci-complete" not in k.concepts_for_code("icd10cm", "S14.151A")
    assert "fracture" in k.concepts_for_code("snomed", "65966004")  # Synthea: fracture of forearm
