"""Deciding without spaCy that no ConText modifier reaches a sentence's targets (notes/reach.py)."""

from __future__ import annotations

import subprocess
import sys
from itertools import product
from typing import Any

import pytest

from hosentinel.knowledge.loader import load_knowledge
from hosentinel.notes.context import PLAIN, ConText, context_for
from hosentinel.notes.extract import _candidates, clear_cache, read_text
from hosentinel.notes.reach import TOKEN, Reach, may_hide, packaged_rules
from hosentinel.notes.sentences import split
from hosentinel.notes.vocab import Vocabulary, vocabulary
from hosentinel.screening import synth_notes
from hosentinel.testing import notes_corpus as nc

VOCAB = vocabulary(load_knowledge())
_KINDS = (None, "bone-scan-ho", "radiograph-ho", "dvt")


def _corpus() -> list[tuple[str, str | None]]:
    """Every text of the corpus and the held-out set (copy-forward pieces apart)."""
    texts: list[tuple[str, str | None]] = []
    for item in nc.load():
        kind = item.report[0] if item.report else None
        texts.extend((piece, kind) for piece in item.text.split(" ||| "))
    return texts


def _synthetic() -> list[tuple[str, str | None]]:
    """The sentences `hosentinel synth --note-share` writes, with every joint and side."""
    out: list[tuple[str, str | None]] = []
    templates = [*synth_notes._POSITIVE, *synth_notes._NEGATIVE, *synth_notes._ORDINARY]
    for template, joint, (side, short) in product(
        templates, synth_notes._JOINTS, synth_notes._SIDES
    ):
        words = {"joint": joint, "side": side, "S": short, "before": 110, "now": 80}
        out.append((template.format(**words), None))
    return out


def _probes() -> list[tuple[str, str | None]]:
    """Every rule's phrase before, after and around a finding, and around an imaging result."""
    phrases = {str(r["literal"]) for r in packaged_rules()} | {t.literal for t in VOCAB.context}
    out: list[tuple[str, str | None]] = []
    for phrase in sorted(phrases):
        out += [
            (f"{phrase} right knee swelling.", None),
            (f"Right knee swelling {phrase}.", None),
            (f"Right knee swelling, {phrase} warmth.", None),
            (f"{phrase}: heterotopic ossification of the left hip.", "radiograph-ho"),
            (f"Heterotopic ossification of the left hip {phrase}.", "bone-scan-ho"),
        ]
    return out


def _sentences(
    texts: list[tuple[str, str | None]], vocab: Vocabulary
) -> list[tuple[str, tuple[tuple[int, int], ...]]]:
    """(sentence, targets) as `extract._read_sentence` hands them to ConText."""
    out = []
    for text, kind in texts:
        for sentence in split(text, vocab):
            body = text[sentence.start : sentence.end].replace("\n", " ").replace("\r", " ")
            targets = tuple((c.start, c.end) for c in _candidates(body, vocab, kind))
            if targets:
                out.append((body, targets))
    return out


@pytest.fixture(scope="module")
def context() -> ConText:
    found = context_for(VOCAB.context)
    found.load()
    return found


def _full(context: ConText, sentence: str, targets: tuple[tuple[int, int], ...]) -> Any:
    """ConText itself, whatever the gate says."""
    gate = context._reach
    context._reach = Reach((), always=True)
    try:
        return context._assert_spans(sentence, targets)
    finally:
        context._reach = gate


@pytest.mark.parametrize("source", ["corpus", "synthetic", "probes"])
def test_a_sentence_ruled_out_is_plain_in_context(context: ConText, source: str) -> None:
    texts = {"corpus": _corpus, "synthetic": _synthetic, "probes": _probes}[source]()
    sentences = _sentences(texts, VOCAB)
    skipped = 0
    for sentence, targets in sentences:
        if not context._reach.needed(sentence, targets):
            skipped += 1
            assert _full(context, sentence, targets) == tuple(PLAIN for _ in targets), sentence
    assert sentences and skipped  # the gate is exercised, both ways
    assert skipped < len(sentences)


def test_findings_are_the_same_with_and_without_the_gate(context: ConText) -> None:
    texts = _corpus() + _synthetic()

    def read_all() -> list[list[str]]:
        clear_cache()
        context.assert_spans.cache_clear()
        return [[f.key() for f in read_text(t, VOCAB, report_kind=k)] for t, k in texts]

    gated = read_all()
    gate = context._reach
    context._reach = Reach((), always=True)
    try:
        full = read_all()
    finally:
        context._reach = gate
        clear_cache()
        context.assert_spans.cache_clear()
    assert gated == full
    assert sum(map(len, full)) > 200


def test_direction_decides() -> None:
    reach = Reach.of([("FORWARD", [frozenset({"no"})]), ("BACKWARD", [frozenset({"absent"})])])
    assert not reach.needed("Swelling right knee: no warmth.", [(0, 8)])  # "no" looks forward
    assert reach.needed("Swelling right knee: no warmth. Absent.", [(0, 8)])  # "absent" back
    assert reach.needed("No swelling right knee.", [(3, 11)])
    assert reach.needed("Swelling absent.", [(0, 8)])
    assert not reach.needed("Absent pulses, swelling right knee.", [(15, 23)])
    assert not Reach.of([("PSEUDO", [frozenset({"no"})])]).needed("no swelling", [(3, 11)])
    assert Reach.of([("BIDIRECTIONAL", [frozenset({"no"})])]).needed("swelling no", [(0, 8)])
    # the words of a rule in its order: ": no" is not a colon somewhere and a "no" elsewhere
    colon_no = Reach.of([("BACKWARD", [frozenset({":"}), frozenset({"no"})])])
    assert not colon_no.needed("Swelling no higher than before: stable.", [(0, 8)])
    assert colon_no.needed("Swelling: no.", [(0, 8)])
    # a word spaCy cuts in two ("cannot" -> "can" "not") is looked for inside words
    can_not = Reach.of([("FORWARD", [frozenset({"can"}), frozenset({"not"})])])
    assert can_not.needed("Cannot exclude swelling.", [(15, 23)])
    assert Reach((), always=True).needed("swelling", [(0, 8)])


def test_split_words_cover_spacys_exceptions() -> None:
    from spacy.lang.en import English

    tokenizer: Any = English().tokenizer
    missing: set[str] = set()
    for text, tokens in tokenizer.rules.items():
        words = TOKEN.findall(text.lower())
        for token in tokens:
            for piece in TOKEN.findall(str(token[65]).lower()):  # 65: ORTH
                if piece in words:
                    continue
                hiding = [w for w in words if piece in w]
                assert hiding, (text, piece)
                missing.update(w for w in hiding if not may_hide(w))
    assert not missing


_IN_A_PROCESS = """
import sys
from hosentinel.knowledge.loader import load_knowledge
from hosentinel.notes.reader import NoteReader

reader = NoteReader(load_knowledge())
report = {
    "resourceType": "DiagnosticReport",
    "code": {"text": "Three-phase bone scan, right hip"},
    "conclusion": sys.argv[1],
}
found = reader.report(report, "DiagnosticReport/1", None, [])
print([o.value_code for o in found], "spacy" in sys.modules)
"""


def _read_in_a_process(conclusion: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _IN_A_PROCESS, conclusion],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip()


def test_a_report_no_modifier_reaches_does_not_load_spacy() -> None:
    conclusion = (
        "Heterotopic bone anterior and medial to the right hip with uptake no higher than "
        "normal bone on all three phases: quiescent."
    )
    assert _read_in_a_process(conclusion) == "['positive'] False"


def test_a_negated_report_still_loads_context_and_reads_negative() -> None:
    assert _read_in_a_process("No heterotopic ossification of the right hip.") == (
        "['negative'] True"
    )
