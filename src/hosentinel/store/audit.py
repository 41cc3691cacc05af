"""The append-only audit log: every read and write of a patient record, and every sign-in.

The one home of the audit: the web app, CDS Hooks feedback and the screening import all write
through `audit()` here (the store layer, below every shell)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from hosentinel.store import models as m


def audit(
    session: Session,
    user: m.User | None,
    action: str,
    what: str,
    patient_id: str | None = None,
    *,
    actor: str | None = None,
) -> None:
    """Record an entry; it is written with the transaction's commit (and only then).

    Written at commit rather than at once: an INSERT starts SQLite's write lock, which is then
    held until the commit. A read request that audited early (the page then queries on, and
    renders) held the database's one write lock for its whole duration; under 50 concurrent
    clinicians writers waited past the busy timeout ("database is locked", HTTP 500). Now a
    read takes the lock only for its commit.

    `actor` names a process that writes without a user (e.g. "hosentinel screen")."""
    entry = m.AuditEntry(
        at=datetime.now(UTC),
        user_id=user.id if user else None,
        username=user.username if user else actor or "anonymous",
        action=action,
        patient_id=patient_id,
        what=what,
    )
    session.info.setdefault(_PENDING, []).append(entry)


_PENDING = "hosentinel.audit.pending"


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Add the transaction's audit entries; the commit's flush writes them with it."""
    session.add_all(session.info.pop(_PENDING, []))


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    """A rolled-back transaction wrote nothing, and audits nothing either."""
    session.info.pop(_PENDING, None)


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context: Any, _instances: Any) -> None:
    """Audit entries can be added, never changed or removed."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, m.AuditEntry):
            raise PermissionError("the audit log is append-only")
