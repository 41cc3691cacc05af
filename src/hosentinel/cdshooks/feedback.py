"""Feedback (`POST /cds-services/{id}/feedback`): what the clinician did with our cards.

Each feedback item is validated per CDS Hooks 2.0 (`card`, `outcome` accepted|overridden,
`acceptedSuggestions` for accepted, optional `overrideReason` with a `reason` Coding and/or a
`userComment`, `outcomeTimestamp` in RFC 3339). An `outcomeTimestamp` later than now + the clock
skew the service allows (30 s) is refused (400): nothing of that request is stored.

Feedback counts only about a card this service issued (in the last week) to the same issuer
(`cds_issued_cards.issuer`) through the same service. Every such item is kept as received in
`cds_feedback` (the override reason's system and code, the comment, the caller's outcome time),
whether or not the patient is in the app's database, so a CDS-only deployment has its override
statistics. When the patient is in the database, the item is also an `alert_states` row with
source "cds-hooks", next to the app's own decisions: accepted -> "acknowledged", overridden ->
"overridden" with the reason's code. Its time is the server's receive time: decisions are
ordered as they arrived, never by a time the caller chose (a year-9999 timestamp would pin an
alert's state forever). The same item sent twice is stored once (the spec asks services to
tolerate repeats). Feedback about a card this service does not know is accepted and not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.alerts.decisions import SOURCE_CDS_HOOKS, record_feedback
from hosentinel.cdshooks.errors import BadRequest
from hosentinel.cdshooks.ledger import find_card
from hosentinel.cdshooks.security import LEEWAY_SECONDS
from hosentinel.store import models as m
from hosentinel.store.audit import audit

log = logging.getLogger("hosentinel.cdshooks")

SOURCE = SOURCE_CDS_HOOKS
CLOCK_SKEW = timedelta(seconds=LEEWAY_SECONDS)
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


def parse_feedback(body: object, now: datetime | None = None) -> list[FeedbackItem]:
    latest = (now or datetime.now(UTC)) + CLOCK_SKEW
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
        if at > latest:
            raise BadRequest(f"{where}.outcomeTimestamp is in the future")
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
    received_at: datetime | None = None,
) -> int:
    """Store what can be stored; returns how many items were new."""
    received = received_at or datetime.now(UTC)
    added = 0
    for item in items:
        record = find_card(session, item.card)
        if record is None or record.service_id != service_id:
            continue
        if record.issuer is not None and record.issuer != caller:
            log.warning("CDS Hooks feedback about a card issued to another issuer: ignored")
            continue
        duplicate = session.scalar(
            select(m.CdsFeedback.id).where(
                m.CdsFeedback.card == item.card[:64],
                m.CdsFeedback.issuer == caller[:300],
                m.CdsFeedback.outcome == item.outcome,
                m.CdsFeedback.outcome_at == item.at,
            )
        )
        if duplicate is not None:
            continue
        session.add(
            m.CdsFeedback(
                received_at=received,
                service_id=service_id,
                issuer=caller[:300],
                card=item.card[:64],
                patient_id=record.patient_id,
                alert_key=record.alert_key[:120],
                outcome=item.outcome,
                outcome_at=item.at,
                reason_system=item.reason_system[:300] if item.reason_system else None,
                reason_code=item.reason_code[:80] if item.reason_code else None,
                comment=item.comment,
            )
        )
        added += 1
        if session.get(m.Patient, record.patient_id) is None:
            continue
        record_feedback(
            session,
            record.patient_id,
            record.alert_key,
            STATUS[item.outcome],
            received,
            reason=item.reason_code,
            comment=item.comment,
            source=SOURCE,
        )
        audit(
            session,
            None,
            "write",
            f"cds-hooks feedback {item.outcome} on {record.alert_key} from {caller}"[:200],
            record.patient_id,
        )
    return added
