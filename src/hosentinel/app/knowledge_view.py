"""What the templates ask of the knowledge base, typed: the basis of an item resolved to entry
titles, citations (with their links and confirmation level) and local settings; and how values
and sites read to a person.

Nothing here touches the database or HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hosentinel.core.assessment import Basis, Input
from hosentinel.knowledge.loader import Knowledge

# --------------------------------------------------------------------------------------------
# Formatting


def fmt_value(value: object) -> str:
    """A value as a person reads it: yes/no for booleans, no trailing .0 on numbers."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def lacking_words(value: float) -> str:
    """A signed extension in words (DESIGN.md: 0 full, minus lacking): -30 -> "-30° (lacks 30°)"."""
    if value < 0:
        return f"{fmt_value(value)}° (lacks {fmt_value(-value)}°)"
    return f"{fmt_value(value)}°" + (" (full)" if value == 0 else " (hyperextension)")


def coded_label(item: object) -> str:
    """A medication or allergy as the record names it: its text, else a coding's display."""
    text = getattr(item, "text", None)
    if text:
        return str(text)
    for coding in getattr(item, "codings", ()):
        if coding.display:
            return str(coding.display)
    codings = getattr(item, "codings", ())
    return f"{codings[0].system} {codings[0].code}" if codings else "unnamed"


# --------------------------------------------------------------------------------------------
# The basis of an item, resolved against the knowledge base


@dataclass(frozen=True, slots=True)
class CitationView:
    id: str
    title: str
    url: str | None
    level: str | None  # C confirmed, P partly confirmed; None when the id is not in the registry
    partial: str | None = None

    @property
    def level_words(self) -> str:
        return {"C": "confirmed", "P": "partly confirmed"}.get(self.level or "", "not in registry")


@dataclass(frozen=True, slots=True)
class EntryView:
    id: str
    title: str
    version: str | None
    review_date: date | None


@dataclass(frozen=True, slots=True)
class SettingView:
    id: str
    value: str
    unit: str
    description: str


@dataclass(frozen=True, slots=True)
class BasisView:
    rule: str
    entries: tuple[EntryView, ...]
    citations: tuple[CitationView, ...]
    inputs: tuple[Input, ...]
    settings: tuple[SettingView, ...]
    note: str | None


class KnowledgeView:
    """What the templates ask of the knowledge base (typed, so the templates stay simple)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge

    def citation(self, citation_id: str) -> CitationView:
        c = self.k.citations.get(citation_id)
        if c is None:
            return CitationView(citation_id, citation_id, None, None)
        return CitationView(c.id, c.title, c.link, c.level, c.partial)

    def entry(self, entry_id: str) -> EntryView:
        e = self.k.entries.get(entry_id)
        if e is None:
            return EntryView(entry_id, entry_id, None, None)
        return EntryView(e.id, e.title, e.version, e.review_date)

    def setting(self, setting_id: str) -> SettingView:
        s = self.k.settings.get(setting_id)
        if s is None:
            return SettingView(setting_id, "not set", "", "")
        return SettingView(s.id, fmt_value(s.value), s.unit, s.description)

    def basis(self, basis: Basis) -> BasisView:
        return BasisView(
            rule=basis.rule,
            entries=tuple(self.entry(e) for e in basis.entries),
            citations=tuple(self.citation(c) for c in basis.citations),
            inputs=basis.inputs,
            settings=tuple(self.setting(s) for s in basis.settings),
            note=basis.note,
        )

    def drug_title(self, option_id: str) -> str:
        for option in self.k.drugs:
            if option.id == option_id:
                return option.title
        return option_id.replace("-", " ")

    def criterion_title(self, criterion_id: str) -> str:
        for criterion in self.k.maturity.criteria:
            if criterion.id == criterion_id:
                return criterion.title
        return criterion_id.replace("-", " ")
