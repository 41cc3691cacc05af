"""Negation, uncertainty, history, hypothesis and other person: medspaCy's ConText.

A blank English spaCy pipeline (tokenizer only, nothing downloaded) plus medspaCy's ConText
component with its packaged rules and the vocabulary's extra triggers. The reader's own patterns
find the targets; ConText only says how each is asserted within its sentence. medspaCy and spaCy
are imported on first use, so commands that never meet a note do not pay for them.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from hosentinel.knowledge import schema as s
from hosentinel.notes.gated import gate


@dataclass(frozen=True, slots=True)
class Assertion:
    negated: bool = False
    possible: bool = False
    historical: bool = False
    hypothetical: bool = False
    other_person: bool = False

    @property
    def current(self) -> bool:
        """Asserted of the patient, now, as a fact."""
        return (
            not (self.negated or self.possible or self.historical or self.hypothetical)
            and not self.other_person
        )


PLAIN = Assertion()
_TOKEN = re.compile(r"\w+|[^\w\s]")


class ConText:
    """One pipeline per vocabulary; `assert_spans` is cached per (sentence, targets)."""

    def __init__(self, triggers: Sequence[s.ContextTrigger]) -> None:
        with warnings.catch_warnings():
            # pysbd (a medspaCy dependency) has regex strings with invalid escapes: a
            # SyntaxWarning when first compiled, which a warnings-as-errors run turns fatal.
            warnings.simplefilter("ignore", SyntaxWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            import medspacy  # type: ignore[import-untyped]  # also registers its spaCy factories
            import spacy
            from loguru import logger  # medspaCy's dependencies log through loguru
            from medspacy.context import ConTextRule  # type: ignore[import-untyped]

        logger.disable("PyRuSH")
        logger.disable("medspacy")
        self._nlp = spacy.blank("en")
        self._context = cast(Any, self._nlp.add_pipe("medspacy_context", config={"rules": None}))
        packaged = [_ours(rule) for rule in _packaged_rules(medspacy)]
        rules = [ConTextRule.from_dict(rule) for rule in packaged]
        rules += [ConTextRule(t.literal, t.category, direction=t.direction) for t in triggers]
        self._context.add(rules)
        gate(self._context, rules)  # run only the token patterns a sentence can match (gated.py)
        # A rule matches only where one word it requires is: a sentence with none of them has no
        # modifier, and ConText (the costly part) is not run on it.
        self._needed = frozenset(
            [*(_rarest(_TOKEN.findall(t.literal.lower())) for t in triggers), *_required(packaged)]
        )
        self.assert_spans = lru_cache(maxsize=4096)(self._assert_spans)

    def _assert_spans(
        self, sentence: str, targets: tuple[tuple[int, int], ...]
    ) -> tuple[Assertion, ...]:
        """How each target (character span within the sentence) is asserted."""
        from spacy.util import filter_spans

        if "" not in self._needed and self._needed.isdisjoint(_TOKEN.findall(sentence.lower())):
            return tuple(PLAIN for _ in targets)
        doc = self._nlp.make_doc(sentence)
        _one_sentence(doc)
        spans = [doc.char_span(a, b, label="TARGET", alignment_mode="expand") for a, b in targets]
        kept = filter_spans([sp for sp in spans if sp is not None])
        doc.ents = kept
        self._context(doc)
        by_tokens = {(e.start, e.end): _assertion(e) for e in doc.ents}
        out: list[Assertion] = []
        for span in spans:
            if span is None:
                out.append(PLAIN)
                continue
            found = by_tokens.get((span.start, span.end))
            if found is None:  # overlapped by a longer target: take that one's reading
                found = next(
                    (v for (a, b), v in by_tokens.items() if a <= span.start and span.end <= b),
                    PLAIN,
                )
            out.append(found)
        return tuple(out)


def _one_sentence(doc: Any) -> None:
    """The whole text is one sentence: the first token starts it, no other does (as setting
    `is_sent_start` token by token, without making a Token object for each)."""
    import numpy

    starts = numpy.full((len(doc), 1), numpy.iinfo(numpy.uint64).max, dtype=numpy.uint64)  # -1
    if len(doc):
        starts[0, 0] = 1
    doc.from_array(["SENT_START"], starts)


def _packaged_rules(medspacy: Any) -> list[dict[str, Any]]:
    """medspaCy's own English ConText rules, from the file it ships (read from disk)."""
    path = Path(medspacy.__file__).resolve().parents[1] / "resources" / "en" / "context_rules.json"
    rules: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["context_rules"]
    return rules


def _rarest(words: list[str]) -> str:
    """Of the words a phrase needs, the one least likely in any sentence: the longest (the last
    of equals: "o" of "r/o", not "r")."""
    return max(enumerate(words), key=lambda item: (len(item[1]), item[0]))[1] if words else ""


def _required(rules: list[dict[str, Any]]) -> list[str]:
    """For each packaged rule, words one of which a sentence must have for the rule to match:
    the rarest word of a literal, or every word of the most telling token its pattern requires
    (one not optional). "" when a pattern cannot be read so: then ConText always runs."""
    found: list[str] = []
    for rule in rules:
        pattern = rule.get("pattern")
        if not isinstance(pattern, list):
            found.append(_rarest(_TOKEN.findall(str(rule.get("literal", "")).lower())))
            continue
        options: list[list[str]] = []
        for token in pattern:
            if not isinstance(token, dict) or token.get("OP") not in (None, "+"):
                continue
            lower = token.get("LOWER")
            words = [lower] if isinstance(lower, str) else None
            if isinstance(lower, dict) and isinstance(lower.get("IN"), list):
                words = [str(w) for w in lower["IN"]]
            if words is None:
                continue  # a token matched some other way: not a word to look for
            options.append([_rarest(_TOKEN.findall(w.lower())) for w in words])
        if not options:
            found.append("")
            continue
        found.extend(max(options, key=lambda ws: min(len(w) for w in ws)))
    return found


def _ours(rule: dict[str, Any]) -> dict[str, Any]:
    """The packaged rule, with "ho" taken out of its abbreviations of "history": here HO is
    heterotopic ossification ("radiograph showed HO" is not history)."""
    pattern = rule.get("pattern")
    if isinstance(pattern, list):
        for token in pattern:
            allowed = token.get("LOWER", {}) if isinstance(token, dict) else {}
            if isinstance(allowed, dict) and "ho" in allowed.get("IN", []):
                allowed["IN"] = [word for word in allowed["IN"] if word != "ho"]
    return rule


def _assertion(ent: Any) -> Assertion:
    return Assertion(
        negated=bool(ent._.is_negated),
        possible=bool(ent._.is_uncertain),
        historical=bool(ent._.is_historical),
        hypothetical=bool(ent._.is_hypothetical),
        other_person=bool(ent._.is_family),
    )


# id(triggers) -> (triggers, pipeline): the vocabulary's tuple is kept, so its id stays unique;
# looking it up by id avoids hashing a hundred rule models on every sentence.
_PIPELINES: dict[int, tuple[tuple[s.ContextTrigger, ...], ConText]] = {}


def context_for(triggers: tuple[s.ContextTrigger, ...]) -> ConText:
    found = _PIPELINES.get(id(triggers))
    if found is None:
        found = _PIPELINES[id(triggers)] = (triggers, ConText(triggers))
    return found[1]
