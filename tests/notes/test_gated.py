"""The gated ConText matcher (notes/gated.py) finds exactly what medspaCy's full matcher finds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hosentinel.knowledge.loader import load_knowledge
from hosentinel.notes.context import context_for
from hosentinel.notes.gated import GatedMatcher
from hosentinel.notes.sentences import split
from hosentinel.notes.vocab import vocabulary

HERE = Path(__file__).parent


def _texts() -> list[str]:
    texts: list[str] = []
    for path in sorted([*HERE.glob("corpus/*.txt"), *HERE.glob("heldout/*.txt")]):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                texts.append(line.split("=>")[0])
    return texts


@pytest.fixture(scope="module")
def pipeline() -> Any:
    return context_for(vocabulary(load_knowledge()).context)


def _gated(pipeline: Any) -> GatedMatcher:
    matcher = pipeline._context._ConText__matcher._MedspacyMatcher__matcher
    assert isinstance(matcher, GatedMatcher), "medspaCy's insides changed: the gate is off"
    return matcher


def test_same_matches_as_the_full_matcher(pipeline: Any) -> None:
    from spacy.matcher import Matcher

    gated = _gated(pipeline)
    full = Matcher(pipeline._nlp.vocab)
    for pattern in gated._patterns:
        full.add(pattern.key, [pattern.tokens], on_match=pattern.on_match)
    vocab = vocabulary(load_knowledge())
    texts = _texts()
    pieces = {" ".join(texts)}  # every pattern the corpus holds, at once
    for text in texts:
        pieces.add(text)
        pieces.update(text[s.start : s.end] for s in split(text, vocab))
    matched = 0
    for piece in sorted(pieces):
        doc = pipeline._nlp.make_doc(piece)
        expected = list(full(doc))
        assert gated(doc) == expected, piece
        matched += bool(expected)
    assert matched > 100  # the corpus exercises the patterns, not only sentences without any


def test_a_sentence_runs_only_the_patterns_it_can_match(pipeline: Any) -> None:
    gated = _gated(pipeline)
    assert gated(pipeline._nlp.make_doc("Right knee warm and swollen.")) == []
    gated._matchers.clear()
    doc = pipeline._nlp.make_doc("Pt denies any pain; no swelling of the right knee.")
    assert gated(doc)
    (chosen,) = gated._matchers  # the one set of patterns this sentence could match
    assert 0 < len(chosen) < len(gated._patterns) // 4
