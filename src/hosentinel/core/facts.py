"""The patient's record read through the knowledge base's value sets.

Every condition, procedure, medication, allergy and observation is matched to the concepts its
codes belong to; an entry whose codes match nothing falls back to its text (real exports often
carry only a display or free text). A concept says which kinds of entry may belong to it (a drug
concept only medications), so an order's text never reads as a diagnosis. Entries dated after the
as-of date are set aside, so an assessment "as of" a past day sees only what was known then.

Measured values are read in the concept's canonical unit (`quantities.normalise`): a unit nobody
knows, or a value outside the plausible range, is set aside and named in `Facts.warnings`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from hosentinel.core.quantities import normalise, plausible_rom
from hosentinel.core.record import (
    FINDING,
    Allergy,
    BodySite,
    Coding,
    Condition,
    Medication,
    Observation,
    PatientRecord,
    Procedure,
)
from hosentinel.core.sites import icd10cm_site, merge
from hosentinel.knowledge.loader import Knowledge

FactKind = Literal["condition", "procedure", "medication", "allergy", "observation"]
# What a concept holds when its value set does not say: never medications or allergies.
DEFAULT_KINDS: frozenset[str] = frozenset({"condition", "procedure", "observation"})

# Coded answers that mean "present" on a project finding or imaging conclusion.
POSITIVE_CODES = frozenset({"positive", "present", "increasing", "growing", "true", "yes"})


@dataclass(frozen=True, slots=True)
class Fact:
    """One record entry that belongs to a concept."""

    concept: str
    kind: FactKind
    ref: str
    label: str
    start: date | None
    end: date | None
    active: bool
    site: BodySite
    code: str | None = None
    system: str | None = None
    observation: Observation | None = None
    unconfirmed: bool = False  # a provisional, differential or unconfirmed diagnosis

    def positive(self) -> bool:
        """For observations: does the value say the thing is present?"""
        obs = self.observation
        if obs is None:
            return True
        if obs.value_bool is not None:
            return obs.value_bool
        if obs.value_code is not None:
            return obs.value_code.lower() in POSITIVE_CODES
        return obs.value_quantity is not None


Adder = Callable[["Fact"], None]


def _fact(
    concept: str,
    kind: FactKind,
    ref: str,
    label: str,
    span: tuple[date | None, date | None],
    active: bool,
    site: BodySite,
    coding: Coding | None,
    observation: Observation | None = None,
) -> Fact:
    return Fact(
        concept=concept,
        kind=kind,
        ref=ref,
        label=label,
        start=span[0],
        end=span[1],
        active=active,
        site=_site_of(coding, site),
        code=coding.code if coding else None,
        system=coding.system if coding else None,
        observation=observation,
    )


def _label(codings: tuple[Coding, ...], text: str | None) -> str:
    if text:
        return text
    for coding in codings:
        if coding.display:
            return coding.display
    return codings[0].code if codings else "(no code or text)"


@dataclass(frozen=True, slots=True)
class Facts:
    """The record indexed by concept, plus the project findings by code."""

    as_of: date
    by_concept: dict[str, tuple[Fact, ...]]
    findings: dict[str, tuple[Observation, ...]]  # finding code -> observations, oldest first
    observations: tuple[Observation, ...]
    procedures: tuple[Procedure, ...]
    future_index_facts: tuple[Fact, ...] = field(default=())
    warnings: tuple[str, ...] = field(default=())

    def of(self, concept: str) -> tuple[Fact, ...]:
        return self.by_concept.get(concept, ())

    def finding(self, code: str) -> tuple[Observation, ...]:
        return self.findings.get(code, ())


def _match(
    knowledge: Knowledge, codings: tuple[Coding, ...], texts: list[str]
) -> dict[str, Coding | None]:
    """Concept id -> the coding that matched it (None when matched by text)."""
    found: dict[str, Coding | None] = {}
    for coding in codings:
        for concept in knowledge.concepts_for_code(coding.system, coding.code):
            found.setdefault(concept, coding)
    # The project's own finding codes are structured: their display text is never re-read.
    if not found and not any(c.system == FINDING for c in codings):
        for text in texts:
            for concept in knowledge.concepts_for_text(text):
                found.setdefault(concept, None)
    return found


def _texts(codings: tuple[Coding, ...], text: str | None) -> list[str]:
    return [t for t in [text, *(c.display for c in codings)] if t]


def _site_of(coding: Coding | None, site: BodySite) -> BodySite:
    if coding is not None and coding.system == "icd10cm":
        return merge(site, icd10cm_site(coding.code))
    return site


def _on_or_before(day: date | None, as_of: date) -> bool:
    return day is None or day <= as_of


def _allowed(knowledge: Knowledge, concept: str, kind: str) -> bool:
    spec = knowledge.concepts.get(concept)
    kinds = spec.kinds if spec is not None and spec.kinds is not None else DEFAULT_KINDS
    return kind in kinds


def build_facts(record: PatientRecord, knowledge: Knowledge, as_of: date) -> Facts:
    collected: dict[str, list[Fact]] = defaultdict(list)
    future: list[Fact] = []
    warnings: list[str] = []

    birth = record.patient.birth_date

    def add(fact: Fact) -> None:
        if not _allowed(knowledge, fact.concept, fact.kind):
            return
        if birth is not None and fact.start is not None and fact.start < birth:
            warnings.append(
                f"{fact.ref}: dated {fact.start.isoformat()}, before the patient's birth "
                f"({birth.isoformat()}); not used"
            )
            return
        if _on_or_before(fact.start, as_of):
            collected[fact.concept].append(fact)
        else:
            future.append(fact)

    for cond in record.conditions:
        _add_condition(knowledge, cond, as_of, add)
    for proc in record.procedures:
        if not proc.completed:
            continue
        for concept, coding in _match(
            knowledge, proc.codings, _texts(proc.codings, proc.text)
        ).items():
            label = _label(proc.codings, proc.text)
            span = (proc.performed, None)
            add(_fact(concept, "procedure", proc.ref, label, span, True, proc.site, coding))
    for med in record.medications:
        _add_medication(knowledge, med, as_of, add)
    for allergy in record.allergies:
        _add_allergy(knowledge, allergy, add)
    findings: dict[str, list[Observation]] = defaultdict(list)
    kept_obs: list[Observation] = []
    for obs in record.observations:
        if obs.cancelled or not _on_or_before(obs.effective, as_of):
            continue
        if birth is not None and obs.effective is not None and obs.effective < birth:
            warnings.append(
                f"{obs.ref}: dated {obs.effective.isoformat()}, before the patient's birth "
                f"({birth.isoformat()}); not used"
            )
            continue
        if not plausible_rom(knowledge, obs, warnings):
            continue
        kept_obs.append(obs)
        for coding in obs.codings:
            if coding.system == FINDING:
                findings[coding.code].append(obs)
        matched = _match(knowledge, obs.codings, _texts(obs.codings, obs.text))
        for concept, coding in matched.items():
            read = normalise(knowledge, concept, obs, warnings)
            if read is None:
                continue
            label = _label(obs.codings, obs.text)
            span = (obs.effective, None)
            add(_fact(concept, "observation", obs.ref, label, span, True, obs.site, coding, read))
    return Facts(
        as_of=as_of,
        by_concept={k: tuple(sorted(v, key=_fact_day)) for k, v in collected.items()},
        findings={k: tuple(sorted(v, key=_obs_day)) for k, v in findings.items()},
        observations=tuple(sorted(kept_obs, key=_obs_day)),
        procedures=tuple(p for p in record.procedures if _on_or_before(p.performed, as_of)),
        future_index_facts=tuple(future),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _fact_day(fact: Fact) -> date:
    return fact.start or date.min


def _obs_day(obs: Observation) -> date:
    return obs.effective or date.min


def _add_condition(knowledge: Knowledge, cond: Condition, as_of: date, add: Adder) -> None:
    if cond.refuted:
        return
    start = cond.onset or cond.recorded
    ended = cond.abatement is not None and cond.abatement <= as_of
    active = cond.active and not ended
    matched = _match(knowledge, cond.codings, _texts(cond.codings, cond.text))
    for concept, coding in matched.items():
        label = _label(cond.codings, cond.text)
        span = (start, cond.abatement)
        fact = _fact(concept, "condition", cond.ref, label, span, active, cond.site, coding)
        add(replace(fact, unconfirmed=True) if cond.unconfirmed else fact)


def _add_medication(knowledge: Knowledge, med: Medication, as_of: date, add: Adder) -> None:
    stopped = med.end is not None and med.end < as_of
    active = med.active and not stopped
    matched = _match(knowledge, med.codings, _texts(med.codings, med.text))
    # Medication codes are often clinical drugs, not ingredients: always try the text as well.
    for text in _texts(med.codings, med.text):
        for concept in knowledge.concepts_for_text(text):
            matched.setdefault(concept, None)
    for concept, coding in matched.items():
        label = _label(med.codings, med.text)
        span = (med.start, med.end)
        add(_fact(concept, "medication", med.ref, label, span, active, BodySite(), coding))


def _add_allergy(knowledge: Knowledge, allergy: Allergy, add: Adder) -> None:
    matched = _match(knowledge, allergy.codings, _texts(allergy.codings, allergy.text))
    for text in _texts(allergy.codings, allergy.text):
        for concept in knowledge.concepts_for_text(text):
            matched.setdefault(concept, None)
    for concept, coding in matched.items():
        # Allergies are dated for the record, not for relevance: an old allergy still counts.
        label = _label(allergy.codings, allergy.text)
        add(
            _fact(
                concept,
                "allergy",
                allergy.ref,
                label,
                (None, None),
                allergy.active,
                BodySite(),
                coding,
            )
        )
