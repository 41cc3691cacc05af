"""Negation, uncertainty, history, hypothesis and other person: medspaCy's ConText.

A blank English spaCy pipeline (tokenizer only, nothing downloaded) plus medspaCy's ConText
component with its packaged rules and the vocabulary's extra triggers. The reader's own patterns
find the targets; ConText only says how each is asserted within its sentence. medspaCy and spaCy
are imported on first use, so commands that never meet a note do not pay for them.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

from hosentinel.knowledge import schema as s
from hosentinel.notes.gated import gate
from hosentinel.notes.reach import packaged_rules, reach_of


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


class ConText:
    """One pipeline per vocabulary; `assert_spans` is cached per (sentence, targets). spaCy and
    the pipeline are loaded on the first sentence whose targets a modifier may reach
    (reach.py), or by `load`."""

    def __init__(self, triggers: Sequence[s.ContextTrigger]) -> None:
        self._triggers = tuple(triggers)
        self._packaged = packaged_rules()
        self._reach = reach_of(self._packaged, self._triggers)
        self._loaded: tuple[Any, Any] | None = None
        self.assert_spans = lru_cache(maxsize=4096)(self._assert_spans)

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def load(self) -> tuple[Any, Any]:
        """spaCy's blank English pipeline and its ConText component (built once)."""
        if self._loaded is None:
            self._loaded = _pipeline(self._packaged, self._triggers)
        return self._loaded

    @property
    def _nlp(self) -> Any:
        return self.load()[0]

    @property
    def _context(self) -> Any:
        return self.load()[1]

    def _assert_spans(
        self, sentence: str, targets: tuple[tuple[int, int], ...]
    ) -> tuple[Assertion, ...]:
        """How each target (character span within the sentence) is asserted."""
        if not self._reach.needed(sentence, targets):
            return tuple(PLAIN for _ in targets)
        from spacy.util import filter_spans

        nlp, context = self.load()
        doc = nlp.make_doc(sentence)
        _one_sentence(doc)
        spans = [doc.char_span(a, b, label="TARGET", alignment_mode="expand") for a, b in targets]
        kept = filter_spans([sp for sp in spans if sp is not None])
        doc.ents = kept
        context(doc)
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


def _pipeline(
    packaged: list[dict[str, Any]], triggers: Sequence[s.ContextTrigger]
) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        # pysbd (a medspaCy dependency) has regex strings with invalid escapes: a
        # SyntaxWarning when first compiled, which a warnings-as-errors run turns fatal.
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import medspacy  # type: ignore[import-untyped]  # noqa: F401  (registers its factories)
        import spacy
        from loguru import logger  # medspaCy's dependencies log through loguru
        from medspacy.context import ConTextRule  # type: ignore[import-untyped]

    logger.disable("PyRuSH")
    logger.disable("medspacy")
    nlp = spacy.blank("en")
    context = cast(Any, nlp.add_pipe("medspacy_context", config={"rules": None}))
    rules = [ConTextRule.from_dict(copy.deepcopy(rule)) for rule in packaged]
    rules += [ConTextRule(t.literal, t.category, direction=t.direction) for t in triggers]
    context.add(rules)
    gate(context, rules)  # run only the token patterns a sentence can match (gated.py)
    return nlp, context


def _one_sentence(doc: Any) -> None:
    """The whole text is one sentence: the first token starts it, no other does (as setting
    `is_sent_start` token by token, without making a Token object for each)."""
    import numpy

    starts = numpy.full((len(doc), 1), numpy.iinfo(numpy.uint64).max, dtype=numpy.uint64)  # -1
    if len(doc):
        starts[0, 0] = 1
    doc.from_array(["SENT_START"], starts)


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
