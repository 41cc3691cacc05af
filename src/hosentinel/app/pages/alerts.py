"""Alert pages: the alerts of a patient's current assessment with the decisions on them
(acknowledge, or override with a coded reason), and the unit's alert statistics. The logic (key
grammar, reasons, numbered decisions, statistics) lives in `hosentinel.alerts`; the JSON API is
`alerts_api.py`.

Pages include `_alert_actions.html` next to each recommendation or caution; put
`alert_context(db, patient_id)` into the page context so the partial finds the alert states and
the override reasons (see the template's header). A decision based on an older decision number
than the alert's latest is answered with HTTP 409 naming who decided in between.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from hosentinel.alerts.decisions import (
    AlertStateView,
    based_on,
    current_states,
    decision_versions,
    state_history,
)
from hosentinel.alerts.keys import alert_label
from hosentinel.alerts.reasons import OVERRIDE_REASONS, reason_display
from hosentinel.alerts.stats import totals
from hosentinel.app.alert_actions import (
    STATS_ROLES,
    alert_context,
    clean_comment,
    clean_reason,
    decide,
    firing,
    record_decision,
    stats_for,
)
from hosentinel.app.deps import (
    ALERT_ROLES,
    CLINICAL_ROLES,
    Config,
    CurrentViewer,
    Db,
    Viewer,
    knowledge_of,
    patient_for,
    require,
)
from hosentinel.app.errors import Conflict, Invalid
from hosentinel.app.templating import render_page
from hosentinel.store.audit import audit

__all__ = ["alert_context", "router"]

router = APIRouter()


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
    return render_page(
        request,
        viewer,
        "_alert_actions.html",
        {
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
    alerts = firing(request, db, config, patient.id)
    history = state_history(db, patient.id)
    audit(db, viewer.user, "read", "alerts", patient.id)
    context = {
        "patient": patient,
        "patient_id": patient.id,
        "alerts": alerts,
        "history": list(reversed(history)),
        "knowledge": knowledge_of(request),
        "next": f"/patients/{patient.id}/alerts",
        "alert_label": alert_label,
        **alert_context(db, patient.id),
    }
    return render_page(request, viewer, "alerts.html", context)


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
    patient = decide(request, db, config, viewer, patient_id, key)
    text = clean_comment(comment)
    try:
        state = record_decision(
            db, viewer, patient, key, "acknowledged", comment=text, version=based_on(version)
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
    patient = decide(request, db, config, viewer, patient_id, key)
    try:
        code = clean_reason(reason)
        text = clean_comment(comment)
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
            db,
            viewer,
            patient,
            key,
            "overridden",
            reason=code,
            comment=text,
            version=based_on(version),
        )
    except Conflict as conflict:
        return _conflicted(request, db, viewer, patient.id, key, next, conflict)
    return _after_form(
        request, viewer, patient.id, key, state, next, decision_versions(db, patient.id)
    )


# --- statistics -------------------------------------------------------------------------------


@router.get("/alerts/stats", response_class=HTMLResponse)
def stats_page(request: Request, db: Db, config: Config, viewer: CurrentViewer) -> Response:
    require(viewer, *STATS_ROLES)
    patients, stats = stats_for(request, db, config)
    audit(db, viewer.user, "read", f"alert statistics ({patients} patients)")
    context = {
        "stats": stats,
        "totals": totals(stats),
        "patients": patients,
        "today": config.current_date(),
        "reason_display": reason_display,
        "alert_label": alert_label,
        "knowledge": knowledge_of(request),
    }
    return render_page(request, viewer, "alerts_stats.html", context)
