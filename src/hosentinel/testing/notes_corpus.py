"""The annotated notes corpus (corpus/*.txt): parsing, reading and scoring.

Shared by the tests (tests/notes/test_corpus.py) and the bench (bench/bench_notes.py); the
corpus files stay under tests/notes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from hosentinel.core.record import Observation
from hosentinel.knowledge.loader import Knowledge
from hosentinel.notes.extract import read_text
from hosentinel.notes.reader import NoteReader
from hosentinel.notes.settle import settle
from hosentinel.notes.vocab import vocabulary

# The corpus is test data in the repository (tests/notes/corpus), read from a checkout.
CORPUS = Path(__file__).resolve().parents[3] / "tests" / "notes" / "corpus"
# Categories whose mentions are not findings of the patient now.
NOT_NOW = ("negated", "hypothetical", "historical", "other-person")


@dataclass(frozen=True)
class Item:
    category: str
    text: str
    expected: frozenset[str]
    source: str
    report: tuple[str, str] | None = None  # (kind, title) for a DiagnosticReport


def load() -> list[Item]:
    items: list[Item] = []
    for path in sorted(CORPUS.glob("*.txt")):
        category = path.stem
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("# category:"):
                category = line.split(":", 1)[1].strip()
                continue
            if not line.strip() or line.startswith("#"):
                continue
            text, _, expected = line.partition(" =>")
            report = None
            if text.startswith("report:"):
                kind, title, text = text[len("report:") :].split("|", 2)
                report = (kind, title)
            keys = frozenset(k.strip() for k in expected.split(";") if k.strip())
            items.append(
                Item(category, text.replace("\\n", "\n"), keys, f"{path.name}:{number}", report)
            )
    return items


def read(item: Item, knowledge: Knowledge) -> frozenset[str]:
    """The finding keys the reader gives for an item."""
    vocab = vocabulary(knowledge)
    if " ||| " in item.text:
        return _copy_forward(item, knowledge)
    if item.report is not None:
        kind, title = item.report
        reader = NoteReader(knowledge)
        site = reader._report_kind(title)[1]
        findings = read_text(item.text, vocab, report_kind=kind, report_site=site)
    else:
        findings = read_text(item.text, vocab)
    return frozenset(f.key() for f in findings)


def _copy_forward(item: Item, knowledge: Knowledge) -> frozenset[str]:
    reader = NoteReader(knowledge)
    start = date(2026, 11, 1)
    observations: list[Observation] = []
    for index, text in enumerate(item.text.split(" ||| "), 1):
        found = read_text(text, reader.vocab)
        observations.extend(
            reader._observations(found, f"DocumentReference/n{index}", start + timedelta(index))
        )
    keys: set[str] = set()
    for obs in settle(observations):
        code = obs.codings[0].code
        value = obs.value_bool if obs.value_bool is not None else obs.value_quantity
        shown = str(value).lower() if isinstance(value, bool) else f"{value:g}"
        note = obs.ref.rsplit("n", 1)[-1]
        keys.add(f"{code} {obs.site.side or '-'} {shown} @{note}")
    return frozenset(keys)


@dataclass
class Score:
    items: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    items_with_false_finding: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def false_finding_rate(self) -> float:
        return self.items_with_false_finding / self.items if self.items else 0.0


def score(items: list[Item], knowledge: Knowledge) -> dict[str, Score]:
    scores: dict[str, Score] = defaultdict(Score)
    for item in items:
        got = read(item, knowledge)
        for bucket in (item.category, "all"):
            s = scores[bucket]
            s.items += 1
            s.tp += len(got & item.expected)
            s.fp += len(got - item.expected)
            s.fn += len(item.expected - got)
            if got - item.expected:
                s.items_with_false_finding += 1
        if got != item.expected:
            scores[item.category].misses.append(
                f"{item.source}: {item.text!r}\n    expected {sorted(item.expected)}\n"
                f"    got      {sorted(got)}"
            )
    return dict(scores)
