"""Alert statistics by unit: a unit lead sees their own unit's; an admin every unit's,
one by one and in total. Each unit counts the alerts firing for its patients and the decisions
about them only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from hosentinel.alerts.stats import AlertKindStats, Latest, alert_stats, latest_decisions, totals
from hosentinel.app.deps import Config, Viewer, knowledge_of
from hosentinel.app.services import WorklistRow, worklist

ALL_UNITS = None  # `UnitStats.unit` of the total over every unit


@dataclass(frozen=True)
class UnitStats:
    unit: str | None  # None: all units together
    patients: int
    stats: list[AlertKindStats]

    @property
    def totals(self) -> AlertKindStats:
        return totals(self.stats)


@dataclass(frozen=True)
class ScopedStats:
    shown: UnitStats  # the detail on the page: one unit, or all of them
    units: list[UnitStats]  # each unit (an admin's view); empty for a unit lead
    total: UnitStats | None = None  # all units together (an admin's view)


def _stats(db: Session, unit: str | None, rows: list[WorklistRow], latest: Latest) -> UnitStats:
    assessed = [(row.patient.id, row.assessment) for row in rows]
    return UnitStats(unit, len(rows), alert_stats(db, assessed, latest))


def scoped_stats(
    request: Request, db: Session, config: Config, viewer: Viewer, unit: str | None = None
) -> ScopedStats:
    """A unit lead: their unit (`unit` cannot widen it). An admin: every unit and the total,
    with `unit` choosing the detail shown (all units when left out)."""
    everyone = viewer.role == "admin"
    rows = worklist(
        db,
        knowledge_of(request),
        config.current_date(),
        None if everyone else viewer.unit_scope(),
        request.app.state.assessments,
    )
    latest = latest_decisions(db)
    if not everyone:
        return ScopedStats(_stats(db, viewer.user.unit or "(no unit)", rows, latest), [])
    by_unit: dict[str, list[WorklistRow]] = defaultdict(list)
    for row in rows:
        by_unit[row.patient.unit].append(row)
    units = [_stats(db, name, by_unit[name], latest) for name in sorted(by_unit)]
    total = _stats(db, ALL_UNITS, rows, latest)
    chosen = next((u for u in units if unit and u.unit == unit), None)
    return ScopedStats(chosen or total, units, total)
