"""The notes vocabulary (knowledge entry `notes-vocabulary`) compiled into regular expressions.

Each group becomes one alternation with named groups, matched case-insensitively on word
boundaries. Compiled once per knowledge release (the entry object is immutable).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

VOCABULARY_ID = "notes-vocabulary"


def _alt(terms: list[str]) -> str:
    # Longest first, so "external rotation" wins over "ext".
    return "|".join(sorted(terms, key=len, reverse=True))


def _words(terms: list[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w/])(?:{_alt(terms)})(?![\w])", re.IGNORECASE)


def _labelled(groups: Mapping[Any, list[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern with a named group per term (longest first across all labels, so the longer
    term wins wherever two overlap); also the group name -> label map."""
    names: dict[str, str] = {}
    terms = sorted(
        ((term, label) for label, ts in groups.items() for term in ts),
        key=lambda item: len(item[0]),
        reverse=True,
    )
    parts: list[str] = []
    for index, (term, label) in enumerate(terms):
        names[f"g{index}"] = str(label)
        parts.append(f"(?P<g{index}>{term})")
    return re.compile(rf"(?<![\w/])(?:{'|'.join(parts)})(?![\w])", re.IGNORECASE), names


@dataclass(frozen=True, slots=True)
class Labelled:
    pattern: re.Pattern[str]
    labels: dict[str, str]

    def finditer(
        self, text: str, start: int = 0, end: int | None = None
    ) -> list[tuple[str, int, int]]:
        """(label, start, end) of every match."""
        found: list[tuple[str, int, int]] = []
        for match in self.pattern.finditer(text, start, len(text) if end is None else end):
            name = match.lastgroup
            if name is not None:
                found.append((self.labels[name], match.start(), match.end()))
        return found


def _labelled_of(groups: Mapping[Any, list[str]]) -> Labelled:
    pattern, labels = _labelled(groups)
    return Labelled(pattern, labels)


@dataclass(frozen=True, slots=True)
class Vocabulary:
    version: str
    joints: Labelled
    sides: Labelled
    signs: Labelled
    motions: Labelled
    rom_words: re.Pattern[str]
    unmeasured: re.Pattern[str]
    extension_lacking: re.Pattern[str]
    earlier_value: re.Pattern[str]
    spasticity: re.Pattern[str]
    ho_terms: re.Pattern[str]
    imaging: Labelled
    imaging_negative: re.Pattern[str]
    duplex: re.Pattern[str]
    dvt_terms: re.Pattern[str]
    limb_sides: Labelled
    other_sites: re.Pattern[str]
    planning: re.Pattern[str]
    sections: Labelled
    headings: re.Pattern[str]
    trigger: re.Pattern[str]  # any word worth a closer look: the cheap first pass
    context: tuple[s.ContextTrigger, ...]


# id(entry) -> (entry, compiled): the entry is kept so its id is never reused meanwhile.
_COMPILED: dict[int, tuple[s.NotesVocabularyFile, Vocabulary]] = {}


def vocabulary(knowledge: Knowledge) -> Vocabulary:
    entry = knowledge.entries.get(VOCABULARY_ID)
    if not isinstance(entry, s.NotesVocabularyFile):
        raise LookupError(f"the knowledge base has no {VOCABULARY_ID} entry")
    cached = _COMPILED.get(id(entry))
    if cached is None:
        if len(_COMPILED) >= 4:
            _COMPILED.clear()
        cached = _COMPILED[id(entry)] = (entry, _compile(entry))
    return cached[1]


def _compile(v: s.NotesVocabularyFile) -> Vocabulary:
    section_groups: dict[str, list[str]] = {k: list(t) for k, t in v.sections.items()}
    headings = re.compile(
        rf"^[ \t\-*#>]*(?:{_alt([t for ts in v.sections.values() for t in ts])})[ \t]*[:\-]",
        re.IGNORECASE,
    )
    trigger_terms = [
        *(t for ts in v.signs.values() for t in ts),
        *(t for ts in v.motions.values() for t in ts),
        *v.spasticity,
        *v.ho_terms,
        *v.dvt_terms,
        *v.extension_lacking,
        *v.duplex,
        *v.rom_words,
        *(t for ts in v.imaging.values() for t in ts),
    ]
    return Vocabulary(
        version=v.version,
        joints=_labelled_of(v.joints),
        sides=_labelled_of(v.sides),
        signs=_labelled_of(v.signs),
        motions=_labelled_of(v.motions),
        rom_words=_words(v.rom_words),
        unmeasured=_words(v.unmeasured),
        extension_lacking=_words(v.extension_lacking),
        earlier_value=_words(v.earlier_value),
        spasticity=_words(v.spasticity),
        ho_terms=_words(v.ho_terms),
        imaging=_labelled_of(v.imaging),
        imaging_negative=_words(v.imaging_negative),
        duplex=_words(v.duplex),
        dvt_terms=_words(v.dvt_terms),
        limb_sides=_labelled_of(v.limb_sides),
        other_sites=_words(v.other_sites or ["(?!x)x"]),
        planning=_words(v.planning or ["(?!x)x"]),
        sections=_labelled_of(section_groups),
        headings=headings,
        trigger=_words(trigger_terms),
        context=tuple(v.context),
    )
