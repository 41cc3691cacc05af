"""Can any ConText modifier reach a sentence's targets? Decided from the words, without spaCy.

ConText (context.py) is the costly part of reading a note, and importing spaCy and medspaCy for it
costs a process about a second. Most sentences with a finding need none of it: no rule can match
them, or every rule that can is on the wrong side of the targets. A rule can only match where its
words are, in its order (every word of a literal; for a token pattern, one of the words each
required token allows), and medspaCy gives a modifier a scope on one side of it only
(`ConTextModifier.modifies`):

- FORWARD: from the modifier's end onward, so a modifier with a word after every target reaches
  none;
- BACKWARD: up to the modifier's start, so one with a word before every target reaches none;
- BIDIRECTIONAL (the default): both sides, so any match may reach a target;
- TERMINATE and PSEUDO modify nothing (they only shorten or cancel other modifiers).

"After" must hold for spaCy's tokens, which never hold whitespace: a word separated from the
targets by whitespace is in another token than any target's. When `needed` says False, ConText
would mark every target plain (`tests/notes/test_reach.py` holds it to that on the corpus, the
held-out set, the synthetic notes and every rule's phrase around a finding).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hosentinel.knowledge import schema as s

TOKEN = re.compile(r"\w+|[^\w\s]")
_NONE = ("TERMINATE", "PSEUDO")  # modify no target (medspaCy's ConTextModifier.modifies)
# Words spaCy's English tokenizer cuts into several tokens although they are one run of letters
# for TOKEN: its exceptions ("cannot" -> "can" "not", "gonna" -> "gon" "na"). These, and words
# with a digit ("5mg" -> "5" "mg", "10am") or outside ASCII, may hide a rule's word inside them.
# tests/notes/test_reach.py derives the list from spaCy and fails when it misses one.
_SPLIT_WORDS = """
    ain aint aren arent can cannot cant cantve couldn couldnt couldntve couldve daren darent
    didn didnt didntve doesn doesnt doesntve don dont dontve gonna gotta hadn hadnt hadntve
    hasn hasnt haven havent hed hedve hellve hes howd howdve howll howllve howre hows howve id
    idve illve im ima isn isnt itd itdve itll itllve ive ma mayn maynt mayntve mightn mightnt
    mightntve mightve mon mustn mustnt mustntve mustve needn neednt needntve notve oughtn
    oughtnt oughtntve shan shant shantve shedve shellve shes shouldn shouldnt shouldntve
    shouldve thatd thatdve thatll thatllve thats thered theredve therell therellve therere
    theres thereve thesed thesedve thesell thesellve thesere theseve theyd theydve theyll
    theyllve theyre theyve thisd thisdve thisll thisllve thiss thosed thosedve thosell
    thosellve thosere thoseve wasn wasnt wed wedve wellve weren werent weve whatd whatdve
    whatll whatllve whatre whats whatve whend whendve whenll whenllve whenre whens whenve
    whered wheredve wherell wherellve wherere wheres whereve whod whodve wholl whollve whos
    whove whyd whydve whyll whyllve whyre whys whyve won wont wontve wouldn wouldnt wouldntve
    wouldve yall youd youdve youll youllve youre youve
"""
SPLIT = frozenset(_SPLIT_WORDS.split())
Group = frozenset[str]  # the words one of which a match holds at one place (a token's words)


@dataclass(frozen=True, slots=True)
class _Rule:
    direction: str  # FORWARD, BACKWARD or anything else (both ways)
    groups: tuple[Group, ...]  # a match holds a word of each group, in this order


@dataclass(frozen=True, slots=True)
class Reach:
    rules: tuple[_Rule, ...]  # the rules that can modify a target, each with its words
    always: bool  # a rule whose words could not be read: ConText runs on every sentence
    # word -> the rules (indices) with that word in their first group: a rule matches nowhere
    # its first word is not
    firsts: Mapping[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, rules: Iterable[tuple[str, list[Group]]]) -> Reach:
        """From (direction, groups of words) per rule; a rule without groups (its words could
        not be read) could match anywhere."""
        kept = tuple(_Rule(d, tuple(g)) for d, g in rules if d not in _NONE)
        firsts: dict[str, list[int]] = {}
        for index, rule in enumerate(kept):
            for word in rule.groups[0] if rule.groups else ():
                firsts.setdefault(word, []).append(index)
        always = any(not rule.groups for rule in kept)
        return cls(kept, always, {w: tuple(rules) for w, rules in firsts.items()})

    def needed(self, sentence: str, targets: Sequence[tuple[int, int]]) -> bool:
        """Might a modifier reach one of the targets (character spans in `sentence`)?"""
        if not targets:
            return False
        lower = sentence.lower()
        if self.always or len(lower) != len(sentence):
            return True  # (a character that lower-cases to two would shift every offset)
        first = min(a for a, _ in targets)
        last = max(b for _, b in targets)
        if any(a >= b for a, b in targets) or lower[first].isspace() or lower[last - 1].isspace():
            return True
        places = _Places([(m.group(), m.start(), m.end()) for m in TOKEN.finditer(lower)])
        present = places.words(self.firsts.keys())
        candidates = sorted(
            {i for word in present if word in self.firsts for i in self.firsts[word]}
        )
        if not candidates:
            return False  # no rule's first word anywhere (most sentences)
        # A word's token is after every target's when whitespace lies between them (before, the
        # same way round): spaCy's tokens hold no whitespace.
        after = next((i for i in range(last, len(lower)) if lower[i].isspace()), len(lower))
        before = next((i for i in range(first - 1, -1, -1) if lower[i].isspace()), -1)
        for index in candidates:
            rule = self.rules[index]
            if rule.direction == "FORWARD":
                lo, hi = 0, after + 1  # a word's start: a forward modifier reaches nothing before
            elif rule.direction == "BACKWARD":
                lo, hi = before + 1, len(lower) + 1  # a word's end
            else:
                lo, hi = 0, len(lower) + 1
            if places.in_order(rule.groups, lo, hi, rule.direction == "BACKWARD"):
                return True
        return False


def may_hide(word: str) -> bool:
    """Might spaCy cut this word (a run of TOKEN) into several tokens? An exception ("cannot"),
    a word outside ASCII, or digits with letters ("5mg", "10am"); not a number alone."""
    return (
        word in SPLIT
        or not word.isascii()
        or (not word.isdigit() and any(c.isdigit() for c in word))
    )


class _Places:
    """Where each word is in a sentence (or may be: inside a word spaCy may split)."""

    def __init__(self, words: list[tuple[str, int, int]]) -> None:
        self._exact: dict[str, list[tuple[int, int]]] = {}
        for word, start, end in words:
            self._exact.setdefault(word, []).append((start, end))
        self._split = [(w, a, b) for w, a, b in words if may_hide(w)]

    def words(self, looked_for: Iterable[str]) -> set[str]:
        """The sentence's words, and those of `looked_for` hidden in a word spaCy may split."""
        found = set(self._exact)
        for word, _, _ in self._split:
            found.update(w for w in looked_for if w in word)
        return found

    def of(self, word: str) -> list[tuple[int, int]]:
        found = self._exact.get(word, [])
        if self._split:
            found = found + [(a, b) for w, a, b in self._split if word in w and w != word]
        return found

    def in_order(self, groups: tuple[Group, ...], lo: int, hi: int, by_end: bool) -> bool:
        """Is there a word of each group, in the groups' order (a word may serve two groups:
        two tokens cut from one word), each with its start (or end) in [lo, hi)?"""
        at = -1
        for group in groups:
            starts = [
                a
                for word in group
                for a, b in self.of(word)
                if a >= at and lo <= (b if by_end else a) < hi
            ]
            if not starts:
                return False
            at = min(starts)
        return True


def packaged_rules() -> list[dict[str, Any]]:
    """medspaCy's own English ConText rules, from the file it ships (found without importing
    medspaCy), with `ours` applied."""
    spec = importlib.util.find_spec("medspacy")
    if spec is None or spec.origin is None:
        raise LookupError("medspaCy is not installed")
    path = Path(spec.origin).resolve().parents[1] / "resources" / "en" / "context_rules.json"
    rules: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["context_rules"]
    return [ours(rule) for rule in rules]


def ours(rule: dict[str, Any]) -> dict[str, Any]:
    """The packaged rule, with "ho" taken out of its abbreviations of "history": here HO is
    heterotopic ossification ("radiograph showed HO" is not history)."""
    pattern = rule.get("pattern")
    if isinstance(pattern, list):
        for token in pattern:
            allowed = token.get("LOWER", {}) if isinstance(token, dict) else {}
            if isinstance(allowed, dict) and "ho" in allowed.get("IN", []):
                allowed["IN"] = [word for word in allowed["IN"] if word != "ho"]
    return rule


def rarest(words: list[str]) -> str:
    """Of the pieces a word splits into, the one least likely in any sentence: the longest (the
    last of equals: "o" of "r/o", not "r")."""
    return max(enumerate(words), key=lambda item: (len(item[1]), item[0]))[1] if words else ""


def _group(words: Iterable[str]) -> Group | None:
    """The pieces to look for, one per allowed word; None when a word has none to look for."""
    pieces = [rarest(TOKEN.findall(w.lower())) for w in words]
    return frozenset(pieces) if pieces and all(pieces) else None


def groups(rule: dict[str, Any]) -> list[Group]:
    """The groups of words a sentence must hold where the packaged rule matches: each word of a
    literal; for a token pattern, the words each token it requires (not optional) allows, when
    it is matched by its lower-case text. [] when none can be read so: it may match anywhere."""
    pattern = rule.get("pattern")
    if not isinstance(pattern, list):
        literal = TOKEN.findall(str(rule.get("literal", "")).lower())
        return [frozenset([word]) for word in literal]
    found: list[Group] = []
    for token in pattern:
        if not isinstance(token, dict) or token.get("OP") not in (None, "+"):
            continue
        lower = token.get("LOWER")
        words = [lower] if isinstance(lower, str) else None
        if isinstance(lower, dict) and isinstance(lower.get("IN"), list):
            words = [str(w) for w in lower["IN"]]
        group = _group(words) if words else None
        if group is not None:  # a token matched some other way: nothing to look for
            found.append(group)
    return found


def reach_of(packaged: list[dict[str, Any]], triggers: Sequence[s.ContextTrigger]) -> Reach:
    rules = [(str(r.get("direction", "BIDIRECTIONAL")).upper(), groups(r)) for r in packaged]
    rules += [(t.direction.upper(), groups({"literal": t.literal})) for t in triggers]
    return Reach.of(rules)
