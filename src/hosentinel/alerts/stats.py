"""The unit's alert statistics: per alert kind, the patients it fires for now and what was
decided about it (in the app or through CDS Hooks feedback)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.alerts.decisions import ACCEPTED
from hosentinel.alerts.keys import alerts_of, describe_key
from hosentinel.core.assessment import Assessment
from hosentinel.store import models as m


@dataclass
class AlertKindStats:
    key: str
    kind: str
    about: str
    reason: str | None
    firing: int = 0
    acknowledged: int = 0
    overridden: int = 0
    unanswered_now: int = 0
    override_reasons: Counter[str] = field(default_factory=Counter)
    by_source: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def responded(self) -> int:
        return self.acknowledged + self.overridden

    @property
    def acceptance_rate(self) -> float | None:
        return self.acknowledged / self.responded if self.responded else None

    @property
    def override_rate(self) -> float | None:
        return self.overridden / self.responded if self.responded else None


Latest = dict[tuple[str, str, str], m.AlertState]


def latest_decisions(db: Session) -> Latest:
    """The latest decision per (alert key, patient, source)."""
    latest: Latest = {}
    for state in db.scalars(select(m.AlertState).order_by(m.AlertState.at, m.AlertState.id)):
        latest[(state.alert_key, state.patient_id, state.source)] = state
    return latest


def alert_stats(
    db: Session, assessed: Iterable[tuple[str, Assessment]], latest: Latest | None = None
) -> list[AlertKindStats]:
    """Per alert kind, over (patient id, current assessment) pairs: patients it fires for now;
    decisions about those patients only (the latest per patient and source, from the app or
    CDS Hooks feedback), acceptance and override rates over those decisions, and the override
    reasons. `latest` (from `latest_decisions`) saves reading the decisions again per unit."""
    stats: dict[str, AlertKindStats] = {}

    def entry(key: str) -> AlertKindStats:
        if key not in stats:
            kind, about, reason = describe_key(key)
            stats[key] = AlertKindStats(key, kind, about, reason)
        return stats[key]

    firing_by_patient: dict[str, set[str]] = {}
    for patient_id, assessment in assessed:
        keys = {a.key for a in alerts_of(assessment)}
        firing_by_patient[patient_id] = keys
        for key in keys:
            entry(key).firing += 1

    if latest is None:
        latest = latest_decisions(db)
    decided: set[tuple[str, str]] = set()
    for (key, patient_id, source), state in latest.items():
        if patient_id not in firing_by_patient:
            continue  # another unit's patient (or one no longer listed): not these statistics
        item = entry(key)
        counts = item.by_source.setdefault(source, Counter())
        if state.status in ACCEPTED:
            item.acknowledged += 1
            counts["acknowledged"] += 1
        elif state.status == "overridden":
            item.overridden += 1
            counts["overridden"] += 1
            item.override_reasons[state.reason_code or "no reason given"] += 1
        else:
            continue
        decided.add((key, patient_id))
    for patient_id, keys in firing_by_patient.items():
        for key in keys:
            if (key, patient_id) not in decided:
                stats[key].unanswered_now += 1
    return sorted(stats.values(), key=lambda s: (-s.firing, -s.responded, s.key))


def totals(stats: Iterable[AlertKindStats]) -> AlertKindStats:
    """All alert kinds added up."""
    total = AlertKindStats("all", "all", "all", None)
    for s in stats:
        total.firing += s.firing
        total.acknowledged += s.acknowledged
        total.overridden += s.overridden
        total.unanswered_now += s.unanswered_now
        total.override_reasons.update(s.override_reasons)
    return total
