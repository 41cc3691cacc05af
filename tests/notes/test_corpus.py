"""The annotated corpus (corpus/*.txt) against the targets of the notes contract."""

from __future__ import annotations

import pytest

from hosentinel.knowledge.loader import load_knowledge
from hosentinel.testing import notes_corpus as nc


@pytest.fixture(scope="module")
def scores() -> dict[str, nc.Score]:
    items = nc.load()
    assert len([i for i in items if " ||| " not in i.text]) >= 300
    return nc.score(items, load_knowledge())


def test_current_findings_meet_precision_and_recall(scores: dict[str, nc.Score]) -> None:
    for category, s in scores.items():
        if category in nc.NOT_NOW or category == "all":
            continue
        assert s.precision >= 0.95 and s.recall >= 0.90, (category, s.misses)


def test_mentions_not_about_the_patient_now_are_rarely_findings(
    scores: dict[str, nc.Score],
) -> None:
    for category in nc.NOT_NOW:
        assert scores[category].items >= 20
        assert scores[category].false_finding_rate <= 0.02, (category, scores[category].misses)


def test_every_category_is_there(scores: dict[str, nc.Score]) -> None:
    assert {
        "current-sign",
        "current-rom",
        "negated",
        "hypothetical",
        "historical",
        "other-person",
        "template",
        "copy-forward",
        "typo",
        "radiology",
        "duplex",
        "laterality",
        "spasticity",
    } <= set(scores)
