"""ConText's token-pattern matcher, run only with the patterns a sentence can match.

spaCy's `Matcher` tries every pattern at every token: with medspaCy's 55 packaged token patterns
that was most of the time spent reading a note (bench/bench_notes.py). A pattern can only match a
sentence that holds, for each token it requires (no `?`/`*` operator), one of the words that token
allows (`LOWER`). So each sentence is matched by a `Matcher` holding only the patterns whose
required words are all in it: the same patterns, keys and callbacks, in the same order, so the
matches are the same ones, in the same order (a pattern left out is one that cannot match).
Matchers are kept per set of patterns (sentences share few distinct sets).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_MAX_MATCHERS = 512


@dataclass(frozen=True, slots=True)
class _Pattern:
    key: str
    tokens: list[dict[str, Any]]
    on_match: Callable[..., Any] | None
    gates: tuple[frozenset[int], ...]  # each: the words (ids) one of which a required token is


def _gates(tokens: list[dict[str, Any]]) -> tuple[frozenset[str], ...] | None:
    """The word sets a sentence must meet; None when a token is matched some way not read here
    (then the pattern is always run)."""
    gates: list[frozenset[str]] = []
    for token in tokens:
        if not isinstance(token, dict) or set(token) - {"LOWER", "OP"}:
            return None
        if token.get("OP") not in (None, "+"):
            continue  # optional: requires nothing
        lower = token.get("LOWER")
        if isinstance(lower, str):
            gates.append(frozenset([lower]))
        elif isinstance(lower, dict) and set(lower) == {"IN"} and isinstance(lower["IN"], list):
            gates.append(frozenset(str(w) for w in lower["IN"]))
        else:
            return None
    return tuple(gates)


class GatedMatcher:
    """Stands in for a spaCy `Matcher` (called with a Doc, returns (key, start, end) tuples)."""

    def __init__(self, vocab: Any, patterns: list[tuple[str, list[dict[str, Any]], Any]]) -> None:
        self._vocab = vocab
        self._patterns: list[_Pattern] = []
        for key, tokens, on_match in patterns:
            words = _gates(tokens) or ()  # None (matched some other way): always run
            ids = tuple(frozenset(vocab.strings.add(w) for w in gate) for gate in words)
            self._patterns.append(_Pattern(key, tokens, on_match, ids))
        # word id -> the patterns that need it somewhere; a pattern with no gate is always run
        self._by_word: dict[int, set[int]] = {}
        for index, pattern in enumerate(self._patterns):
            for word in frozenset().union(*pattern.gates):
                self._by_word.setdefault(word, set()).add(index)
        self._always = frozenset(i for i, p in enumerate(self._patterns) if not p.gates)
        self._matchers: dict[tuple[int, ...], Any] = {}

    def __call__(self, doc: Any) -> list[tuple[int, int, int]]:
        words = set(doc.to_array("LOWER").tolist())  # the ids, without making a Token each
        maybe = set(self._always)
        for word in words:
            maybe.update(self._by_word.get(word, ()))
        chosen = tuple(
            index
            for index in sorted(maybe)  # the patterns' own order
            if all(not gate.isdisjoint(words) for gate in self._patterns[index].gates)
        )
        if not chosen:
            return []
        matcher = self._matchers.get(chosen)
        if matcher is None:
            matcher = self._build(chosen)
        return list(matcher(doc))

    def _build(self, chosen: tuple[int, ...]) -> Any:
        from spacy.matcher import Matcher

        if len(self._matchers) >= _MAX_MATCHERS:
            self._matchers.clear()
        matcher = Matcher(self._vocab)
        for index in chosen:
            pattern = self._patterns[index]
            matcher.add(pattern.key, [pattern.tokens], on_match=pattern.on_match)
        self._matchers[chosen] = matcher
        return matcher


def gate(context: Any, rules: list[Any]) -> bool:
    """Swap the token-pattern matcher inside medspaCy's ConText component for a gated one over
    the same rules. False (nothing changed) if medspaCy's insides are not as expected."""
    medspacy_matcher = getattr(context, "_ConText__matcher", None)
    if medspacy_matcher is None or not hasattr(medspacy_matcher, "_MedspacyMatcher__matcher"):
        return False
    patterns = [
        (rule._rule_id, rule.pattern, rule.on_match)
        for rule in rules
        if isinstance(rule.pattern, list) and getattr(rule, "_rule_id", None)
    ]
    if len(patterns) != len(medspacy_matcher._MedspacyMatcher__matcher):
        return False
    medspacy_matcher._MedspacyMatcher__matcher = GatedMatcher(context.nlp.vocab, patterns)
    return True
