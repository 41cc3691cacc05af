"""What the alert pages and the alert API share: the alerts firing for a patient now, the checks
before a decision, and `hosentinel.alerts` errors turned into HTTP errors."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from hosentinel.alerts import decisions
from hosentinel.alerts.decisions import AlertStateView, current_states, decision_versions
from hosentinel.alerts.keys import Alert, alerts_of
from hosentinel.alerts.reasons import OVERRIDE_REASONS
from hosentinel.app.deps import ALERT_ROLES, Config, Viewer, knowledge_of, patient_for, require
from hosentinel.app.errors import Conflict, Invalid, NotFound
from hosentinel.app.services import assess
from hosentinel.store import models as m

STATS_ROLES = ("unit-lead", "admin")


def alert_context(db: Session, patient_id: str) -> dict[str, Any]:
    """What `_alert_actions.html` needs besides patient_id, key, csrf and user: merge it into the
    page context and set `alert_state = alert_states.get(key)` next to each include."""
    return {
        "alert_states": current_states(db, patient_id),
        "alert_versions": decision_versions(db, patient_id),
        "override_reasons": OVERRIDE_REASONS,
        "alert_roles": ALERT_ROLES,
    }


def firing(request: Request, db: Session, config: Config, patient_id: str) -> list[Alert]:
    assessment = assess(
        db,
        knowledge_of(request),
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
    *,
    reason: str | None = None,
    comment: str | None = None,
    version: int | None = None,
) -> AlertStateView:
    """`decisions.record_decision` for the signed-in clinician; a stale decision is a 409."""
    try:
        return decisions.record_decision(
            db,
            viewer.user,
            patient.id,
            key,
            status,
            reason=reason,
            comment=comment,
            version=version,
        )
    except decisions.StaleDecision as stale:
        raise Conflict(stale.message) from stale


def decide(
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
    if key not in {a.key for a in firing(request, db, config, patient.id)}:
        raise NotFound("This alert is not active for this patient.")
    return patient


def clean_reason(reason: str | None) -> str:
    try:
        return decisions.clean_reason(reason)
    except decisions.InvalidDecision as problem:
        raise Invalid(problem.message) from problem


def clean_comment(comment: str | None) -> str | None:
    try:
        return decisions.clean_comment(comment)
    except decisions.InvalidDecision as problem:
        raise Invalid(problem.message) from problem
