"""The append-only audit log: every read and write of a patient record, and every sign-in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from hosentinel.app.security import now
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
    """`actor` names a process that writes without a user (e.g. "hosentinel screen")."""
    session.add(
        m.AuditEntry(
            at=now(),
            user_id=user.id if user else None,
            username=user.username if user else actor or "anonymous",
            action=action,
            patient_id=patient_id,
            what=what,
        )
    )


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _context: Any, _instances: Any) -> None:
    """Audit entries can be added, never changed or removed."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, m.AuditEntry):
            raise PermissionError("the audit log is append-only")
