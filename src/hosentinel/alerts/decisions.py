"""Decisions on alerts: acknowledge, or override with a coded reason. Each decision is a new
`alert_states` row (the history is kept); the latest row of a patient's alert is its state.

Two clinicians deciding on the same alert at once: the app's decisions on an alert are numbered
(`alert_states.version`), each decision carries the number its author saw (0 before any
decision), and a decision based on an older number is refused (`StaleDecision`, naming who
decided in between), so nobody overrides an acknowledgement they never saw. Two decisions based
on the same number at the same moment: the unique constraint on (patient, alert, version) lets
one commit, the other is refused. A decision without a number is recorded as the next one.
Feedback from an EHR (CDS Hooks) is stored in the same table, unnumbered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hosentinel.alerts.reasons import BY_CODE, reason_display
from hosentinel.store import models as m
from hosentinel.store.audit import audit

COMMENT_MAX = 1000
# A CDS Hooks client reports `accepted`; in the app the same decision is `acknowledged`.
ACCEPTED = frozenset({"acknowledged", "accepted"})
SOURCE_APP = "app"
SOURCE_CDS_HOOKS = "cds-hooks"


class DecisionRefused(Exception):
    """A decision that is not recorded; `message` says why, in words for the clinician."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class StaleDecision(DecisionRefused):
    """Someone decided on the alert after its author saw it: nothing was saved."""


class InvalidDecision(DecisionRefused):
    """A missing or unknown reason, or a comment too long: nothing was saved."""


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
        return self.status in ACCEPTED


def state_view(row: m.AlertState, users: dict[int, str]) -> AlertStateView:
    if row.user_id is not None:
        by = users.get(row.user_id, "unknown user")
    else:
        by = "EHR (CDS Hooks)" if row.source == SOURCE_CDS_HOOKS else "unknown"
    return AlertStateView(
        key=row.alert_key,
        status="acknowledged" if row.status in ACCEPTED else row.status,
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
    return [state_view(r, users) for r in rows]


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


def based_on(raw: object) -> int | None:
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
    view = state_view(latest, _user_names(db, [latest]))
    verb = "acknowledged" if view.accepted else f"overrode ({view.reason_display or 'no reason'})"
    return (
        f"{view.by} {verb} this alert at {view.at.strftime('%H:%M')}, after you opened the page."
        " Nothing was saved: review their decision and decide again."
    )


def clean_reason(reason: str | None) -> str:
    code = (reason or "").strip()
    if not code:
        raise InvalidDecision("Choose a reason for the override.")
    if code not in BY_CODE:
        raise InvalidDecision(f"Unknown override reason {code!r}.")
    return code


def clean_comment(comment: str | None) -> str | None:
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise InvalidDecision(f"The comment is too long (at most {COMMENT_MAX} characters).")
    return text or None


def record_decision(
    db: Session,
    user: m.User,
    patient_id: str,
    key: str,
    status: str,
    *,
    reason: str | None = None,
    comment: str | None = None,
    version: int | None = None,
) -> AlertStateView:
    """Record a clinician's decision as the alert's next numbered decision. `version` is the
    number the decision was based on. Raises StaleDecision when someone decided meanwhile, or
    when a concurrent decision took the same number first."""
    current = decision_versions(db, patient_id).get(key, 0)
    if version is not None and version != current:
        raise StaleDecision(_decided_meanwhile(db, patient_id, key))
    row = m.AlertState(
        patient_id=patient_id,
        alert_key=key,
        status=status,
        reason_code=reason,
        comment=comment,
        user_id=user.id,
        source=SOURCE_APP,
        at=datetime.now(UTC),
        version=current + 1,
    )
    db.add(row)
    what = f"alert {key} {status}" + (f" ({reason})" if reason else "")
    audit(db, user, "write", what, patient_id)
    try:
        db.flush()
    except IntegrityError as exc:
        # uq_alert_states_version: another decision on this number committed first. The
        # caller's transaction is rolled back as the error leaves it.
        raise StaleDecision(
            "Someone else decided on this alert at the same moment. Nothing was saved:"
            " reload the page, review their decision and decide again."
        ) from exc
    return state_view(row, {user.id: user.display_name})


def record_feedback(
    db: Session,
    patient_id: str,
    key: str,
    status: str,
    at: datetime,
    *,
    reason: str | None = None,
    comment: str | None = None,
    source: str = SOURCE_CDS_HOOKS,
) -> bool:
    """Store an EHR's feedback on an alert (unnumbered: an EHR saw no version); False when the
    same feedback was stored already (a client may resend it)."""
    duplicate = db.scalar(
        select(m.AlertState.id).where(
            m.AlertState.patient_id == patient_id,
            m.AlertState.alert_key == key,
            m.AlertState.source == source,
            m.AlertState.status == status,
            m.AlertState.at == at,
        )
    )
    if duplicate is not None:
        return False
    db.add(
        m.AlertState(
            patient_id=patient_id,
            alert_key=key[:120],
            status=status,
            reason_code=reason[:80] if reason else None,
            comment=comment,
            user_id=None,
            source=source,
            at=at,
        )
    )
    return True
