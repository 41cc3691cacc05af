"""Feedback (`POST /cds-services/{id}/feedback`): what the clinician did with our cards.

Each feedback item is validated per CDS Hooks 2.0 (`card`, `outcome` accepted|overridden,
`acceptedSuggestions` for accepted, optional `overrideReason` with a `reason` Coding and/or a
`userComment`, `outcomeTimestamp` in RFC 3339). Items about cards this process issued are stored
as `alert_states` rows with source "cds-hooks", so they count in the unit lead's alert statistics
next to the app's own: accepted -> status "acknowledged", overridden -> "overridden" with the
reason's code. The same feedback sent twice is stored once (the spec asks services to tolerate
repeats). Feedback about a card this service does not know (never issued, or issued over a week
ago) or about a patient not in the app's database is accepted and not stored.

Issued cards are in the database (`ledger.py`, a week long), so feedback can reach any server
process: a card's uuid -> the service, patient and alert it stood for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hosentinel.alerts.decisions import SOURCE_CDS_HOOKS, record_feedback
from hosentinel.cdshooks.errors import BadRequest
from hosentinel.cdshooks.ledger import find_card
from hosentinel.store import models as m
from hosentinel.store.audit import audit

SOURCE = SOURCE_CDS_HOOKS
STATUS = {"accepted": "acknowledged", "overridden": "overridden"}


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    card: str
    outcome: str
    at: datetime
    accepted: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    comment: str | None = None


def _timestamp(value: object, where: str) -> datetime:
    if not isinstance(value, str) or "T" not in value.upper():
        raise BadRequest(f"{where}.outcomeTimestamp must be an RFC 3339 date-time")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{where}.outcomeTimestamp must be an RFC 3339 date-time") from None
    if parsed.tzinfo is None:
        raise BadRequest(f"{where}.outcomeTimestamp needs a time zone (UTC)")
    return parsed.astimezone(UTC)


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where} must be a non-empty string")
    return value.strip()


def parse_feedback(body: object) -> list[FeedbackItem]:
    if not isinstance(body, Mapping) or not isinstance(body.get("feedback"), list):
        raise BadRequest("the body must be an object with a 'feedback' array")
    items: list[FeedbackItem] = []
    for index, raw in enumerate(body["feedback"]):
        where = f"feedback[{index}]"
        if not isinstance(raw, Mapping):
            raise BadRequest(f"{where} must be an object")
        card = _string(raw.get("card"), f"{where}.card")
        outcome = raw.get("outcome")
        if outcome not in STATUS:
            raise BadRequest(f"{where}.outcome must be 'accepted' or 'overridden'")
        at = _timestamp(raw.get("outcomeTimestamp"), where)
        accepted: list[str] = []
        suggestions = raw.get("acceptedSuggestions")
        if outcome == "accepted":
            if not isinstance(suggestions, list) or not suggestions:
                raise BadRequest(f"{where}.acceptedSuggestions is required for accepted")
            for i, s in enumerate(suggestions):
                if not isinstance(s, Mapping):
                    raise BadRequest(f"{where}.acceptedSuggestions[{i}] must be an object")
                accepted.append(_string(s.get("id"), f"{where}.acceptedSuggestions[{i}].id"))
        reason_system = reason_code = comment = None
        override = raw.get("overrideReason")
        if override is not None:
            if outcome != "overridden":
                raise BadRequest(f"{where}.overrideReason is only for overridden cards")
            if not isinstance(override, Mapping):
                raise BadRequest(f"{where}.overrideReason must be an object")
            reason = override.get("reason")
            if reason is not None:
                if not isinstance(reason, Mapping):
                    raise BadRequest(f"{where}.overrideReason.reason must be a Coding")
                reason_code = _string(reason.get("code"), f"{where}.overrideReason.reason.code")
                reason_system = _string(
                    reason.get("system"), f"{where}.overrideReason.reason.system"
                )
            user_comment = override.get("userComment")
            if user_comment is not None:
                comment = _string(user_comment, f"{where}.overrideReason.userComment")
            if reason is None and user_comment is None:
                raise BadRequest(f"{where}.overrideReason needs a reason or a userComment")
        items.append(
            FeedbackItem(card, outcome, at, tuple(accepted), reason_system, reason_code, comment)
        )
    return items


def store_feedback(
    session: Session,
    service_id: str,
    items: list[FeedbackItem],
    caller: str,
) -> int:
    """Store what can be stored; returns how many rows were added."""
    added = 0
    for item in items:
        record = find_card(session, item.card)
        if record is None or record.service_id != service_id:
            continue
        if session.get(m.Patient, record.patient_id) is None:
            continue
        stored = record_feedback(
            session,
            record.patient_id,
            record.alert_key,
            STATUS[item.outcome],
            item.at,
            reason=item.reason_code,
            comment=item.comment,
            source=SOURCE,
        )
        if not stored:
            continue
        audit(
            session,
            None,
            "write",
            f"cds-hooks feedback {item.outcome} on {record.alert_key} from {caller}"[:200],
            record.patient_id,
        )
        added += 1
    return added
