"""Steps 5 and 6: the recommendations, one per id, each with its basis.

`Planner` holds what the earlier steps found and collects recommendations; the steps that fill it
live in their own modules: the work-up (`workup`), therapy and surgery (`management`) and the
drug options (`drug_options`). Drug cautions are `cautions`, the `next`/`also` split is `tiers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache

from hosentinel.core.assessment import (
    PRIORITY_ORDER,
    Basis,
    DvtAnswered,
    IndexEvent,
    Input,
    Lesion,
    Priority,
    Recommendation,
    Risk,
    Surveillance,
)
from hosentinel.core.clauses import Context
from hosentinel.core.suspicion import SiteKey, SuspicionResult
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge


@dataclass(frozen=True, slots=True)
class _Static:
    """The parts of a recommendation that come from the knowledge base alone."""

    category: str
    summary: str
    rationale: str
    citations: tuple[str, ...]
    evidence: tuple[dict[str, str], ...]
    conflicting_evidence: bool
    availability: str | None
    is_drug: bool


@cache
def _static_part(knowledge: Knowledge, rec_id: str) -> _Static:
    spec = knowledge.recommendations[rec_id]
    drug = next((d for d in knowledge.drugs if d.recommendation == rec_id), None)
    return _Static(
        category=spec.category,
        summary=spec.summary,
        rationale=spec.rationale,
        citations=tuple(dict.fromkeys(c.id for c in spec.citations)),
        evidence=tuple(
            {"stance": e.stance, "text": e.text, "citation": e.citation}
            for e in (drug.evidence if drug else [])
        ),
        conflicting_evidence=drug.conflicting_evidence if drug else False,
        availability=drug.availability if drug else None,
        is_drug=drug is not None,
    )


@dataclass
class Planner:
    ctx: Context
    events: tuple[IndexEvent, ...]
    risk: Risk
    surveillance: Surveillance
    suspicion: SuspicionResult
    lesions: tuple[Lesion, ...]
    populations: set[str]
    out: dict[str, Recommendation] = field(default_factory=dict)
    # Sites whose swelling still waits for the DVT work-up.
    dvt_pending: set[SiteKey] = field(default_factory=set)
    # Swollen lower limbs whose DVT question a record already answers (shown on the site).
    dvt_answered: dict[SiteKey, DvtAnswered] = field(default_factory=dict)

    def add(
        self,
        rec_id: str,
        priority: Priority,
        rule: str,
        inputs: tuple[Input, ...] = (),
        *,
        sites: tuple[str, ...] = (),
        settings: tuple[str, ...] = (),
        extra_citations: tuple[str, ...] = (),
        entries: tuple[str, ...] = (),
        note: str | None = None,
        summary: str | None = None,
        rationale: str | None = None,
    ) -> None:
        """Add a recommendation, or merge into the one already there: one per id, its basis led
        by the higher-priority reason."""
        static = _static_part(self.ctx.knowledge, rec_id)
        rule_id = f"recommend:{rule}"
        summary = summary or static.summary
        rationale = rationale or static.rationale
        existing = self.out.get(rec_id)
        if existing is not None:
            old = existing.basis
            if PRIORITY_ORDER[existing.priority] >= PRIORITY_ORDER[priority]:
                priority, rule_id, note = existing.priority, old.rule, old.note or note
                summary, rationale = existing.summary, existing.rationale
            sites = tuple(dict.fromkeys(existing.sites + sites))
            inputs = old.inputs + inputs
            settings = old.settings + settings
            entries = old.entries[1:] + entries
            extra_citations = old.citations + extra_citations
        self.out[rec_id] = Recommendation(
            id=rec_id,
            category=static.category,
            priority=priority,
            summary=summary,
            rationale=rationale,
            sites=sites,
            basis=Basis(
                rule=rule_id,
                entries=tuple(dict.fromkeys(("recommendations", *entries))),
                citations=tuple(dict.fromkeys(static.citations + extra_citations)),
                inputs=tuple(dict.fromkeys(inputs)),
                settings=tuple(dict.fromkeys(settings)),
                note=note,
            ),
            evidence=static.evidence,
            conflicting_evidence=static.conflicting_evidence,
            availability=static.availability,
            is_drug=static.is_drug,
        )

    def citations_of(self, rec_id: str) -> tuple[str, ...]:
        """The citations the knowledge base gives for a recommendation."""
        return _static_part(self.ctx.knowledge, rec_id).citations

    def wait_for_dvt(self, rec_id: str, site_keys: set[SiteKey] | None = None) -> None:
        """While a DVT work-up is open, a suggestion for that limb (site_keys), or a drug
        (None: any open work-up, since a DVT found changes every drug's cautions), says so and
        waits."""
        rec = self.out.get(rec_id)
        if rec is None or not self.dvt_pending:
            return
        if site_keys is not None and not any(
            _same_limb(key, pending) for key in site_keys for pending in self.dvt_pending
        ):
            return
        self.out[rec_id] = replace(
            rec,
            summary=f"After DVT is excluded: {rec.summary[0].lower()}{rec.summary[1:]}",
            waits_for=tuple(dict.fromkeys((*rec.waits_for, "rule-out-dvt"))),
        )

    def days_since_episode(self) -> int | None:
        """Days since the start of the current episode (the earliest open window's event)."""
        start = self.ctx.index_date
        return None if start is None else (self.ctx.as_of - start).days

    def episode_event(self) -> IndexEvent | None:
        start = self.ctx.index_date
        return next((e for e in self.events if e.date == start), None)

    def recommendations(self) -> tuple[Recommendation, ...]:
        return tuple(sorted(self.out.values(), key=rec_order))


def _same_limb(a: SiteKey, b: SiteKey) -> bool:
    """Two sites on the same leg: the same side (or one without a side), and the same joint
    unless one is a whole-limb site."""
    (joint_a, side_a), (joint_b, side_b) = a, b
    same_side = side_a is None or side_b is None or side_a == side_b
    same_joint = joint_a is None or joint_b is None or joint_a == joint_b
    return same_side and same_joint


_VOCABULARY_ORDER = {rec_id: n for n, rec_id in enumerate(s.RECOMMENDATION_IDS)}


def rec_order(rec: Recommendation) -> tuple[int, int]:
    return -PRIORITY_ORDER[rec.priority], _VOCABULARY_ORDER[rec.id]


__all__ = ["Planner", "SiteKey", "rec_order"]
