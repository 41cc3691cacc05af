"""The alerts' JSON API: the same alerts, decisions and statistics as the alert pages."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from hosentinel.alerts.decisions import (
    COMMENT_MAX,
    AlertStateView,
    current_states,
    decision_versions,
)
from hosentinel.alerts.keys import Alert, alert_label
from hosentinel.alerts.reasons import OVERRIDE_REASONS, reason_display
from hosentinel.app.alert_actions import (
    STATS_ROLES,
    clean_comment,
    clean_reason,
    decide,
    firing,
    record_decision,
)
from hosentinel.app.deps import (
    CLINICAL_ROLES,
    Config,
    CurrentViewer,
    Db,
    knowledge_of,
    patient_for,
    require,
)
from hosentinel.app.unit_stats import UnitStats, scoped_stats
from hosentinel.core.output import BasisOut, basis_out
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()


# --- JSON API ---------------------------------------------------------------------------------


class AlertStateOut(BaseModel):
    status: str
    reason: str | None
    reason_display: str | None
    comment: str | None
    by: str
    at: datetime
    source: str


class AlertOut(BaseModel):
    key: str
    label: str
    kind: str
    about: str
    reason: str | None
    level: str
    summary: str
    basis: BasisOut
    state: AlertStateOut | None
    version: int = Field(
        description="The number of the app's latest decision on this alert (0: none yet);"
        " send it back as `version` with a decision."
    )


_VERSION_DOC = (
    "The alert's `version` this decision is based on; when someone decided meanwhile: 409 and"
    " nothing saved. Left out: recorded as the next decision."
)


class AcknowledgeIn(BaseModel):
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    version: int | None = Field(default=None, description=_VERSION_DOC)


class OverrideIn(BaseModel):
    reason: str | None = Field(
        default=None,
        description="Required: a code from GET /api/alerts/override-reasons (CDS Hooks)",
    )
    comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    version: int | None = Field(default=None, description=_VERSION_DOC)


class ReasonOut(BaseModel):
    system: str
    code: str
    display: str


class ReasonCount(BaseModel):
    code: str
    display: str
    count: int


class AlertStatsOut(BaseModel):
    key: str
    label: str
    kind: str
    about: str
    reason: str | None
    firing: int
    acknowledged: int
    overridden: int
    responded: int
    unanswered_now: int
    acceptance_rate: float | None
    override_rate: float | None
    override_reasons: list[ReasonCount]
    by_source: dict[str, dict[str, int]]


class UnitStatsOut(BaseModel):
    unit: str
    patients: int
    firing: int
    acknowledged: int
    overridden: int
    unanswered_now: int
    acceptance_rate: float | None
    override_rate: float | None


class StatsOut(BaseModel):
    as_of: str
    patients: int
    unit: str | None = Field(default=None, description="The unit of `alerts`; null: all units")
    units: list[UnitStatsOut] | None = Field(
        default=None, description="Each unit's totals (an admin's view; null for a unit lead)"
    )
    alerts: list[AlertStatsOut]


def _unit_out(unit: UnitStats) -> UnitStatsOut:
    t = unit.totals
    return UnitStatsOut(
        unit=unit.unit or "",
        patients=unit.patients,
        firing=t.firing,
        acknowledged=t.acknowledged,
        overridden=t.overridden,
        unanswered_now=t.unanswered_now,
        acceptance_rate=t.acceptance_rate,
        override_rate=t.override_rate,
    )


def _state_out(state: AlertStateView | None) -> AlertStateOut | None:
    if state is None:
        return None
    return AlertStateOut(
        status=state.status,
        reason=state.reason_code,
        reason_display=state.reason_display or None,
        comment=state.comment,
        by=state.by,
        at=state.at,
        source=state.source,
    )


def _alert_out(
    alert: Alert, state: AlertStateView | None, knowledge: Knowledge, version: int
) -> AlertOut:
    return AlertOut(
        key=alert.key,
        label=alert_label(alert.key, knowledge),
        kind=alert.kind,
        about=alert.about,
        reason=alert.reason,
        level=alert.level,
        summary=alert.summary,
        basis=basis_out(alert.basis),
        state=_state_out(state),
        version=version,
    )


@router.get("/api/alerts/override-reasons", response_model=list[ReasonOut])
def override_reasons_api(viewer: CurrentViewer) -> list[ReasonOut]:
    require(viewer, *CLINICAL_ROLES)
    return [ReasonOut(**r.coding()) for r in OVERRIDE_REASONS]


@router.get("/api/patients/{patient_id}/alerts", response_model=list[AlertOut])
def alerts_api(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> list[AlertOut]:
    patient = patient_for(db, viewer, patient_id)
    require(viewer, *CLINICAL_ROLES)
    states = current_states(db, patient.id)
    versions = decision_versions(db, patient.id)
    alerts = firing(request, db, config, patient.id)
    audit(db, viewer.user, "read", "alerts api", patient.id)
    knowledge = knowledge_of(request)
    return [_alert_out(a, states.get(a.key), knowledge, versions.get(a.key, 0)) for a in alerts]


def _decided_out(
    request: Request, db: Session, config: Config, patient: m.Patient, key: str
) -> AlertOut:
    alert = next(a for a in firing(request, db, config, patient.id) if a.key == key)
    state = current_states(db, patient.id).get(key)
    version = decision_versions(db, patient.id).get(key, 0)
    return _alert_out(alert, state, knowledge_of(request), version)


@router.post("/api/patients/{patient_id}/alerts/{key}/acknowledge", response_model=AlertOut)
def acknowledge_api(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    patient_id: str,
    key: str,
    body: AcknowledgeIn | None = None,
) -> AlertOut:
    patient = decide(request, db, config, viewer, patient_id, key)
    comment = clean_comment(body.comment if body else None)
    version = body.version if body else None
    record_decision(db, viewer, patient, key, "acknowledged", comment=comment, version=version)
    return _decided_out(request, db, config, patient, key)


@router.post("/api/patients/{patient_id}/alerts/{key}/override", response_model=AlertOut)
def override_api(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    patient_id: str,
    key: str,
    body: OverrideIn,
) -> AlertOut:
    patient = decide(request, db, config, viewer, patient_id, key)
    code = clean_reason(body.reason)
    comment = clean_comment(body.comment)
    record_decision(
        db, viewer, patient, key, "overridden", reason=code, comment=comment, version=body.version
    )
    return _decided_out(request, db, config, patient, key)


@router.get("/api/alerts/stats", response_model=StatsOut)
def stats_api(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, unit: str | None = None
) -> StatsOut:
    """A unit lead: their unit's statistics. An admin: every unit's (`units`) and, in `alerts`,
    all units together or the one named by `unit`."""
    require(viewer, *STATS_ROLES)
    scoped = scoped_stats(request, db, config, viewer, unit)
    shown, stats = scoped.shown, scoped.shown.stats
    where = shown.unit or "all units"
    audit(
        db, viewer.user, "read", f"alert statistics api, {where} ({shown.patients} patients)"[:200]
    )
    return StatsOut(
        as_of=config.current_date().isoformat(),
        patients=shown.patients,
        unit=shown.unit,
        units=[_unit_out(u) for u in scoped.units] if viewer.role == "admin" else None,
        alerts=[
            AlertStatsOut(
                key=s.key,
                label=alert_label(s.key, knowledge_of(request)),
                kind=s.kind,
                about=s.about,
                reason=s.reason,
                firing=s.firing,
                acknowledged=s.acknowledged,
                overridden=s.overridden,
                responded=s.responded,
                unanswered_now=s.unanswered_now,
                acceptance_rate=s.acceptance_rate,
                override_rate=s.override_rate,
                override_reasons=[
                    ReasonCount(code=code, display=reason_display(code), count=count)
                    for code, count in s.override_reasons.most_common()
                ],
                by_source={src: dict(c) for src, c in sorted(s.by_source.items())},
            )
            for s in stats
        ],
    )
