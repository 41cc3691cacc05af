"""Alerts: the recommendations and cautions of a patient's current assessment, what clinicians did
with them (acknowledge, or override with a coded reason), and the unit's alert statistics.

An alert is keyed `rec:<recommendation id>` or `caution:<about>:<reason>`. Each decision is a new
`alert_states` row (the history is kept); the latest row of a patient's alert is its state.

Pages include `_alert_actions.html` next to each recommendation or caution; put
`alert_context(db, patient_id)` into the page context so the partial finds the alert states and
the override reasons (see the template's header).

Two clinicians deciding on the same alert at once: the app's decisions on an alert are numbered
(`alert_states.version`), each form and JSON call carries the number it saw (`version`; 0 before
any decision), and a decision based on an older number is refused with HTTP 409 naming who
decided in between, so nobody overrides an acknowledgement they never saw. Two decisions based
on the same number at the same moment: the unique constraint on (patient, alert, version) lets
one commit, the other gets 409. A call without `version` is recorded as the next decision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hosentinel.app.audit import audit
from hosentinel.app.deps import (
    ALERT_ROLES,
    CLINICAL_ROLES,
    Config,
    CurrentViewer,
    Db,
    Viewer,
    patient_for,
    require,
)
from hosentinel.app.errors import Conflict, Invalid, NotFound
from hosentinel.app.override_reasons import BY_CODE, OVERRIDE_REASONS, reason_display
from hosentinel.app.security import now
from hosentinel.app.services import WorklistRow, assess, worklist
from hosentinel.app.templating import render
from hosentinel.core.assessment import Assessment, Basis
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m

router = APIRouter()

STATS_ROLES = ("unit-lead", "admin")
COMMENT_MAX = 1000
# A CDS Hooks client reports `accepted`; in the app the same decision is `acknowledged`.
_ACCEPTED = frozenset({"acknowledged", "accepted"})
_CAUTION_ORDER = {"contraindicated": 0, "caution": 1}


# --- alerts of an assessment ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    kind: Literal["recommendation", "caution"]
    about: str  # the recommendation id (for a caution: the drug option it is about)
    reason: str | None  # caution reason id
    level: str  # recommendation priority or caution level
    summary: str
    basis: Basis


def recommendation_key(rec_id: str) -> str:
    return f"rec:{rec_id}"


def caution_key(about: str, reason: str) -> str:
    return f"caution:{about}:{reason}"


def alerts_of(assessment: Assessment) -> list[Alert]:
    """Every alert of an assessment: recommendations first, then cautions (one per drug and
    reason: the most severe when two rules give the same reason)."""
    found: list[Alert] = [
        Alert(
            recommendation_key(r.id), "recommendation", r.id, None, r.priority, r.summary, r.basis
        )
        for r in assessment.recommendations
    ]
    cautions = sorted(assessment.cautions, key=lambda c: _CAUTION_ORDER.get(c.level, 9))
    seen: set[str] = set()
    for c in cautions:
        key = caution_key(c.about, c.reason)
        if key in seen:
            continue
        seen.add(key)
        found.append(Alert(key, "caution", c.about, c.reason, c.level, c.summary, c.basis))
    return found


def describe_key(key: str) -> tuple[str, str, str | None]:
    """(kind, about, reason) of an alert key, in the key's own words."""
    parts = key.split(":")
    if parts[0] == "rec" and len(parts) == 2:
        return "recommendation", parts[1], None
    if parts[0] == "caution" and len(parts) == 3:
        return "caution", parts[1], parts[2]
    return "other", key, None


_ABBREVIATIONS = {"dvt": "DVT", "alp": "ALP", "crp": "CRP", "ck": "CK", "ct": "CT", "rom": "ROM"}


def _words(identifier: str) -> str:
    words = [_ABBREVIATIONS.get(w, w) for w in identifier.split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def alert_label(key: str, knowledge: Knowledge) -> str:
    """A short human label: "Rule out DVT", "NSAID (indomethacin): pregnancy"."""
    kind, about, reason = describe_key(key)
    if kind == "recommendation":
        # A drug suggestion reads as the drug ("NSAID (indomethacin)"), never as its id.
        drug = next((d.title for d in knowledge.drugs if d.recommendation == about), None)
        return drug or _words(about)
    if kind == "caution":
        drug = next((d.title for d in knowledge.drugs if d.recommendation == about), _words(about))
        return f"{drug}: {(reason or '').replace('-', ' ')}"
    return key


# --- alert states -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertStateView:
    key: str
    status: str
    reason_code: str | None
    reason_display: str
    comment: str | None
    by: str
    at: datetime
    source: str

    @property
    def accepted(self) -> bool:
        return self.status in _ACCEPTED


def _view(row: m.AlertState, users: dict[int, str]) -> AlertStateView:
    if row.user_id is not None:
        by = users.get(row.user_id, "unknown user")
    else:
        by = "EHR (CDS Hooks)" if row.source == "cds-hooks" else "unknown"
    return AlertStateView(
        key=row.alert_key,
        status="acknowledged" if row.status in _ACCEPTED else row.status,
        reason_code=row.reason_code,
        reason_display=reason_display(row.reason_code),
        comment=row.comment,
        by=by,
        at=row.at,
        source=row.source,
    )


def _user_names(db: Session, rows: list[m.AlertState]) -> dict[int, str]:
    ids = {r.user_id for r in rows if r.user_id is not None}
    if not ids:
        return {}
    return {u.id: u.display_name for u in db.scalars(select(m.User).where(m.User.id.in_(ids)))}


def state_history(db: Session, patient_id: str) -> list[AlertStateView]:
    """Every decision on this patient's alerts, oldest first."""
    rows = list(
        db.scalars(
            select(m.AlertState)
            .where(m.AlertState.patient_id == patient_id)
            .order_by(m.AlertState.at, m.AlertState.id)
        )
    )
    users = _user_names(db, rows)
    return [_view(r, users) for r in rows]


def current_states(db: Session, patient_id: str) -> dict[str, AlertStateView]:
    """The latest decision per alert key of this patient (from the app or an EHR)."""
    return {view.key: view for view in state_history(db, patient_id)}


def decision_versions(db: Session, patient_id: str) -> dict[str, int]:
    """The number of the app's latest decision per alert key of this patient."""
    rows = db.execute(
        select(m.AlertState.alert_key, func.max(m.AlertState.version))
        .where(m.AlertState.patient_id == patient_id, m.AlertState.version.is_not(None))
        .group_by(m.AlertState.alert_key)
    )
    return {key: int(version or 0) for key, version in rows}


def alert_context(db: Session, patient_id: str) -> dict[str, Any]:
    """What `_alert_actions.html` needs besides patient_id, key, csrf and user: merge it into the
    page context and set `alert_state = alert_states.get(key)` next to each include."""
    return {
        "alert_states": current_states(db, patient_id),
        "alert_versions": decision_versions(db, patient_id),
        "override_reasons": OVERRIDE_REASONS,
        "alert_roles": ALERT_ROLES,
    }


def _based_on(raw: object) -> int | None:
    """The decision number a form or call was based on; None when it carries none (a value
    that is not a number cannot match: -1)."""
    if raw is None or raw == "":
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return -1


def _decided_meanwhile(db: Session, patient_id: str, key: str) -> str:
    latest = db.scalar(
        select(m.AlertState)
        .where(m.AlertState.patient_id == patient_id, m.AlertState.alert_key == key)
        .where(m.AlertState.version.is_not(None))
        .order_by(m.AlertState.version.desc())
        .limit(1)
    )
    if latest is None:  # pragma: no cover - a stale number implies a decision exists
        return "This alert changed after you opened the page. Nothing was saved."
    view = _view(latest, _user_names(db, [latest]))
    verb = "acknowledged" if view.accepted else f"overrode ({view.reason_display or 'no reason'})"
    return (
        f"{view.by} {verb} this alert at {view.at.strftime('%H:%M')}, after you opened the page."
        " Nothing was saved: review their decision and decide again."
    )


def _firing(request: Request, db: Session, config: Config, patient_id: str) -> list[Alert]:
    assessment = assess(
        db,
        request.app.state.knowledge,
        patient_id,
        config.current_date(),
        request.app.state.assessments,
    )
    return alerts_of(assessment)


def record_decision(
    db: Session,
    viewer: Viewer,
    patient: m.Patient,
    key: str,
    status: str,
    reason: str | None = None,
    comment: str | None = None,
    based_on: int | None = None,
) -> AlertStateView:
    """Record a decision as the alert's next numbered decision. Raises Conflict when it was
    based on an older number than the latest (someone decided meanwhile), or when a concurrent
    decision took the same number first."""
    current = decision_versions(db, patient.id).get(key, 0)
    if based_on is not None and based_on != current:
        raise Conflict(_decided_meanwhile(db, patient.id, key))
    row = m.AlertState(
        patient_id=patient.id,
        alert_key=key,
        status=status,
        reason_code=reason,
        comment=comment,
        user_id=viewer.user.id,
        source="app",
        at=now(),
        version=current + 1,
    )
    db.add(row)
    what = f"alert {key} {status}" + (f" ({reason})" if reason else "")
    audit(db, viewer.user, "write", what, patient.id)
    try:
        db.flush()
    except IntegrityError as exc:
        # uq_alert_states_version: another decision on this number committed first. The
        # request's transaction is rolled back as the error leaves the handler.
        raise Conflict(
            "Someone else decided on this alert at the same moment. Nothing was saved:"
            " reload the page, review their decision and decide again."
        ) from exc
    return _view(row, {viewer.user.id: viewer.user.display_name})


def _decide(
    request: Request,
    db: Session,
    config: Config,
    viewer: Viewer,
    patient_id: str,
    key: str,
) -> m.Patient:
    """Checks shared by acknowledge and override: patient access, role, and that the alert fires
    for this patient now."""
    patient = patient_for(db, viewer, patient_id)
    require(viewer, *ALERT_ROLES)
    if key not in {a.key for a in _firing(request, db, config, patient.id)}:
        raise NotFound("This alert is not active for this patient.")
    return patient


def _clean_reason(reason: str | None) -> str:
    code = (reason or "").strip()
    if not code:
        raise Invalid("Choose a reason for the override.")
    if code not in BY_CODE:
        raise Invalid(f"Unknown override reason {code!r}.")
    return code


def _clean_comment(comment: str | None) -> str | None:
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise Invalid(f"The comment is too long (at most {COMMENT_MAX} characters).")
    return text or None


def _safe_next(target: str | None, default: str) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return default


def anchor_of(key: str) -> str:
    return "alert-" + key.replace(":", "--")


def _actions_partial(
    request: Request,
    viewer: Viewer,
    patient_id: str,
    key: str,
    state: AlertStateView | None,
    next_url: str | None,
    error: str | None = None,
    saved: bool = False,
    versions: dict[str, int] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "_alert_actions.html",
        {
            "user": viewer.user,
            "csrf": viewer.csrf_token,
            "patient_id": patient_id,
            "key": key,
            "alert_state": state,
            "override_reasons": OVERRIDE_REASONS,
            "alert_roles": ALERT_ROLES,
            "next": next_url,
            "alert_error": error,
            "alert_saved": saved,
            "alert_versions": versions or {},
        },
        status_code,
    )


def _after_form(
    request: Request,
    viewer: Viewer,
    patient_id: str,
    key: str,
    state: AlertStateView,
    next_url: str | None,
    versions: dict[str, int],
) -> Response:
    if request.headers.get("hx-request"):
        return _actions_partial(
            request, viewer, patient_id, key, state, next_url, saved=True, versions=versions
        )
    target = _safe_next(next_url, f"/patients/{patient_id}/alerts")
    return RedirectResponse(f"{target}#{anchor_of(key)}", status_code=303)


# --- pages ------------------------------------------------------------------------------------


@router.get("/patients/{patient_id}/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, patient_id: str
) -> Response:
    patient = patient_for(db, viewer, patient_id)
    require(viewer, *CLINICAL_ROLES)
    alerts = _firing(request, db, config, patient.id)
    history = state_history(db, patient.id)
    audit(db, viewer.user, "read", "alerts", patient.id)
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "patient": patient,
        "patient_id": patient.id,
        "alerts": alerts,
        "history": list(reversed(history)),
        "knowledge": request.app.state.knowledge,
        "next": f"/patients/{patient.id}/alerts",
        "alert_label": alert_label,
        **alert_context(db, patient.id),
    }
    return render(request, "alerts.html", context)


@router.post("/patients/{patient_id}/alerts/{key}/acknowledge")
def acknowledge_form(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    patient_id: str,
    key: str,
    comment: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
    version: Annotated[str | None, Form()] = None,
) -> Response:
    patient = _decide(request, db, config, viewer, patient_id, key)
    text = _clean_comment(comment)
    try:
        state = record_decision(
            db, viewer, patient, key, "acknowledged", None, text, _based_on(version)
        )
    except Conflict as conflict:
        return _conflicted(request, db, viewer, patient.id, key, next, conflict)
    return _after_form(
        request, viewer, patient.id, key, state, next, decision_versions(db, patient.id)
    )


def _conflicted(
    request: Request,
    db: Session,
    viewer: Viewer,
    patient_id: str,
    key: str,
    next_url: str | None,
    conflict: Conflict,
) -> Response:
    """HTMX: the alert's block with the decision made meanwhile and the message, as a 409 (the
    page's htmx-config swaps 409 answers); a plain form post: the 409 error page."""
    if not request.headers.get("hx-request") or not db.is_active:
        # (Inactive: a concurrent decision won at the flush; nothing more can be read here.)
        raise conflict
    state = current_states(db, patient_id).get(key)
    versions = decision_versions(db, patient_id)
    return _actions_partial(
        request, viewer, patient_id, key, state, next_url, conflict.message, False, versions, 409
    )


@router.post("/patients/{patient_id}/alerts/{key}/override")
def override_form(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    patient_id: str,
    key: str,
    reason: Annotated[str | None, Form()] = None,
    comment: Annotated[str | None, Form()] = None,
    next: Annotated[str | None, Form()] = None,
    version: Annotated[str | None, Form()] = None,
) -> Response:
    patient = _decide(request, db, config, viewer, patient_id, key)
    try:
        code = _clean_reason(reason)
        text = _clean_comment(comment)
    except Invalid as problem:
        if not request.headers.get("hx-request"):
            raise
        # HTMX swaps only 2xx answers: show the problem in place; nothing is stored.
        state = current_states(db, patient.id).get(key)
        versions = decision_versions(db, patient.id)
        return _actions_partial(
            request, viewer, patient.id, key, state, next, problem.message, versions=versions
        )
    try:
        state = record_decision(
            db, viewer, patient, key, "overridden", code, text, _based_on(version)
        )
    except Conflict as conflict:
        return _conflicted(request, db, viewer, patient.id, key, next, conflict)
    return _after_form(
        request, viewer, patient.id, key, state, next, decision_versions(db, patient.id)
    )


# --- statistics -------------------------------------------------------------------------------


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


def alert_stats(db: Session, rows: list[WorklistRow]) -> list[AlertKindStats]:
    """Per alert kind: patients it fires for now; decisions (the latest per patient and source,
    from the app or CDS Hooks feedback), acceptance and override rates over those decisions, and
    the override reasons."""
    stats: dict[str, AlertKindStats] = {}

    def entry(key: str) -> AlertKindStats:
        if key not in stats:
            kind, about, reason = describe_key(key)
            stats[key] = AlertKindStats(key, kind, about, reason)
        return stats[key]

    firing_by_patient: dict[str, set[str]] = {}
    for row in rows:
        keys = {a.key for a in alerts_of(row.assessment)}
        firing_by_patient[row.patient.id] = keys
        for key in keys:
            entry(key).firing += 1

    latest: dict[tuple[str, str, str], m.AlertState] = {}
    for state in db.scalars(select(m.AlertState).order_by(m.AlertState.at, m.AlertState.id)):
        latest[(state.alert_key, state.patient_id, state.source)] = state
    decided: set[tuple[str, str]] = set()
    for (key, patient_id, source), state in latest.items():
        item = entry(key)
        counts = item.by_source.setdefault(source, Counter())
        if state.status in _ACCEPTED:
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


def _stats_for(request: Request, db: Session, config: Config) -> tuple[int, list[AlertKindStats]]:
    rows = worklist(
        db, request.app.state.knowledge, config.current_date(), None, request.app.state.assessments
    )
    return len(rows), alert_stats(db, rows)


@router.get("/alerts/stats", response_class=HTMLResponse)
def stats_page(request: Request, db: Db, config: Config, viewer: CurrentViewer) -> Response:
    require(viewer, *STATS_ROLES)
    patients, stats = _stats_for(request, db, config)
    audit(db, viewer.user, "read", f"alert statistics ({patients} patients)")
    totals = AlertKindStats("all", "all", "all", None)
    for s in stats:
        totals.firing += s.firing
        totals.acknowledged += s.acknowledged
        totals.overridden += s.overridden
        totals.unanswered_now += s.unanswered_now
        totals.override_reasons.update(s.override_reasons)
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "stats": stats,
        "totals": totals,
        "patients": patients,
        "today": config.current_date(),
        "reason_display": reason_display,
        "alert_label": alert_label,
        "knowledge": request.app.state.knowledge,
    }
    return render(request, "alerts_stats.html", context)


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
    basis: dict[str, Any]
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


class StatsOut(BaseModel):
    as_of: str
    patients: int
    alerts: list[AlertStatsOut]


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
        basis=alert.basis.to_json(),
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
    alerts = _firing(request, db, config, patient.id)
    audit(db, viewer.user, "read", "alerts api", patient.id)
    knowledge = request.app.state.knowledge
    return [_alert_out(a, states.get(a.key), knowledge, versions.get(a.key, 0)) for a in alerts]


def _decided_out(
    request: Request, db: Session, config: Config, patient: m.Patient, key: str
) -> AlertOut:
    alert = next(a for a in _firing(request, db, config, patient.id) if a.key == key)
    state = current_states(db, patient.id).get(key)
    version = decision_versions(db, patient.id).get(key, 0)
    return _alert_out(alert, state, request.app.state.knowledge, version)


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
    patient = _decide(request, db, config, viewer, patient_id, key)
    comment = _clean_comment(body.comment if body else None)
    based_on = body.version if body else None
    record_decision(db, viewer, patient, key, "acknowledged", None, comment, based_on)
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
    patient = _decide(request, db, config, viewer, patient_id, key)
    code = _clean_reason(body.reason)
    comment = _clean_comment(body.comment)
    record_decision(db, viewer, patient, key, "overridden", code, comment, body.version)
    return _decided_out(request, db, config, patient, key)


@router.get("/api/alerts/stats", response_model=StatsOut)
def stats_api(request: Request, db: Db, config: Config, viewer: CurrentViewer) -> StatsOut:
    require(viewer, *STATS_ROLES)
    patients, stats = _stats_for(request, db, config)
    audit(db, viewer.user, "read", f"alert statistics api ({patients} patients)")
    return StatsOut(
        as_of=config.current_date().isoformat(),
        patients=patients,
        alerts=[
            AlertStatsOut(
                key=s.key,
                label=alert_label(s.key, request.app.state.knowledge),
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
