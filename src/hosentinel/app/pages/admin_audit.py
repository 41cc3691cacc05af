"""The audit-log viewer (admin role only): the page and its JSON API. The log is read-only here:
there is no route that changes or deletes an entry, and the store refuses it anyway
(`audit._append_only`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from hosentinel.app.deps import CurrentViewer, Db, PageNumber, require
from hosentinel.app.security import now
from hosentinel.app.templating import render_page
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()

AUDIT_PAGE_SIZE = 50
BREAK_GLASS_SHOWN = 20  # the latest break-glass accesses listed above the log


@dataclass(frozen=True, slots=True)
class AuditPage:
    rows: list[m.AuditEntry]
    total: int
    page: int
    pages: int
    actions: list[str]
    names: dict[str, str] = field(default_factory=dict)  # patient id -> name


def audit_query(
    user: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Select[Any]:
    """The entries matching the filters. `patient` is an id or any part of a patient's name;
    `since` and `until` are whole days (UTC), both included."""
    query = select(m.AuditEntry)
    if user:
        query = query.where(m.AuditEntry.username == user.strip())
    if patient:
        text = patient.strip()
        named = select(m.Patient.id).where(m.Patient.display_name.ilike(f"%{text}%"))
        query = query.where(
            or_(m.AuditEntry.patient_id == text, m.AuditEntry.patient_id.in_(named))
        )
    if action:
        query = query.where(m.AuditEntry.action == action.strip())
    if since:
        query = query.where(m.AuditEntry.at >= datetime.combine(since, time.min))
    if until:
        query = query.where(m.AuditEntry.at < datetime.combine(until + timedelta(days=1), time.min))
    return query


def patient_names(db: Session, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    rows = db.execute(select(m.Patient.id, m.Patient.display_name).where(m.Patient.id.in_(wanted)))
    return {str(pid): str(name) for pid, name in rows}


def audit_page(
    db: Session,
    user: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    page: int = 1,
    size: int = AUDIT_PAGE_SIZE,
    since: date | None = None,
    until: date | None = None,
) -> AuditPage:
    query = audit_query(user, patient, action, since, until)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    rows = list(
        db.scalars(query.order_by(m.AuditEntry.id.desc()).offset((page - 1) * size).limit(size))
    )
    actions = list(db.scalars(select(m.AuditEntry.action).distinct().order_by(m.AuditEntry.action)))
    return AuditPage(
        rows, total, page, pages, actions, patient_names(db, (r.patient_id for r in rows))
    )


@dataclass(frozen=True, slots=True)
class Grant:
    """One break-glass access, for the admin's review: who, which patient, why, until when, and
    how many reads of that patient by that user the audit log holds within it."""

    at: datetime
    until: datetime
    username: str
    patient_id: str
    patient_name: str
    reason: str
    active: bool
    reads: int


def break_glass_grants(db: Session, limit: int = BREAK_GLASS_SHOWN) -> list[Grant]:
    rows = db.execute(
        select(m.BreakGlass, m.User.username)
        .join(m.User, m.User.id == m.BreakGlass.user_id)
        .order_by(m.BreakGlass.at.desc(), m.BreakGlass.id.desc())
        .limit(limit)
    ).all()
    names = patient_names(db, (grant.patient_id for grant, _ in rows))
    current = now()
    grants: list[Grant] = []
    for grant, username in rows:
        at, until = _aware(grant.at), _aware(grant.expires_at)
        reads = db.scalar(
            select(func.count()).where(
                m.AuditEntry.username == username,
                m.AuditEntry.patient_id == grant.patient_id,
                m.AuditEntry.action == "read",
                m.AuditEntry.at >= at,
                m.AuditEntry.at <= until,
            )
        )
        name = names.get(grant.patient_id, grant.patient_id)
        active = until > current
        grants.append(
            Grant(at, until, username, grant.patient_id, name, grant.reason, active, reads or 0)
        )
    return grants


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)  # SQLite gives naive datetimes back


def _filters(
    user: str | None,
    patient: str | None,
    action: str | None,
    since: date | None = None,
    until: date | None = None,
) -> dict[str, str]:
    pairs = (
        ("user", user),
        ("patient", patient),
        ("action", action),
        ("since", since.isoformat() if since else None),
        ("until", until.isoformat() if until else None),
    )
    return {k: v for k, v in pairs if v}


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_viewer(
    request: Request,
    db: Db,
    viewer: CurrentViewer,
    user: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    page: PageNumber = 1,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    require(viewer, "admin")
    result = audit_page(db, user, patient, action, page, since=since, until=until)
    filters = _filters(user, patient, action, since, until)
    audit(db, viewer.user, "read", "audit log", patient or None)

    def page_url(number: int) -> str:
        return "/admin/audit?" + urlencode({**filters, "page": str(number)})

    context = {
        "grants": break_glass_grants(db),
        "result": result,
        "filters": filters,
        "page_url": page_url,
        "csv_url": "/admin/audit.csv" + ("?" + urlencode(filters) if filters else ""),
    }
    return render_page(request, viewer, "admin_audit.html", context)


# --- JSON API ---------------------------------------------------------------------------------


class AuditEntryOut(BaseModel):
    id: int
    at: datetime
    username: str
    action: str
    patient_id: str | None
    what: str


class AuditOut(BaseModel):
    total: int
    page: int
    pages: int
    entries: list[AuditEntryOut]


@router.get("/api/admin/audit", response_model=AuditOut)
def audit_api(
    db: Db,
    viewer: CurrentViewer,
    user: str | None = None,
    patient: str | None = None,
    action: str | None = None,
    page: PageNumber = 1,
) -> AuditOut:
    require(viewer, "admin")
    result = audit_page(db, user, patient, action, page)
    audit(db, viewer.user, "read", "audit log api", patient or None)
    return AuditOut(
        total=result.total,
        page=result.page,
        pages=result.pages,
        entries=[
            AuditEntryOut(
                id=r.id,
                at=r.at,
                username=r.username,
                action=r.action,
                patient_id=r.patient_id,
                what=r.what,
            )
            for r in result.rows
        ],
    )
