"""Administration (admin role only): users and roles, and the audit-log viewer.

The audit log is read-only here: there is no route that changes or deletes an entry, and the
store refuses it anyway (`audit._append_only`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from hosentinel.app.audit import audit
from hosentinel.app.deps import UNIT_ROLES, CurrentViewer, Db, DbId, PageNumber, Viewer, require
from hosentinel.app.errors import Conflict, Invalid, NotFound
from hosentinel.app.security import hash_password, now
from hosentinel.app.templating import render_page
from hosentinel.store import models as m

router = APIRouter()

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,79}$")
ROLE_WORDS = {
    "physiatrist": "Physiatrist",
    "therapist": "Therapist (PT/OT)",
    "nurse": "Rehab nurse",
    "unit-lead": "Unit lead",
    "admin": "Administrator",
    "family": "Family member (one patient)",
}
AUDIT_PAGE_SIZE = 50
# A user id in a URL: a database integer (an id past 64 bits made SQLite raise, a 500).
UserId = DbId


# --- users ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    display_name: str
    role: str
    password: str
    patient_id: str | None
    unit: str | None = None


def _check_unit(role: str, unit: str | None) -> str | None:
    """Clinicians and unit leads belong to a unit (the patients they see); other roles none."""
    if role not in UNIT_ROLES:
        return None
    chosen = " ".join((unit or "").split())
    if len(chosen) > 80:
        raise Invalid("A unit name has at most 80 characters.")
    return chosen or None


def _check_role(role: str) -> str:
    if role not in m.ROLES:
        raise Invalid(f"Unknown role {role!r}. Choose one of: {', '.join(m.ROLES)}.")
    return role


def _check_password(password: str) -> str:
    if len(password) < PASSWORD_MIN:
        raise Invalid(f"The password must have at least {PASSWORD_MIN} characters.")
    if len(password) > PASSWORD_MAX:
        raise Invalid(f"The password must have at most {PASSWORD_MAX} characters.")
    return password


def _family_patient(db: Session, role: str, patient_id: str | None) -> str | None:
    """A family member must be linked to one existing patient; other roles to none."""
    if role != "family":
        return None
    chosen = (patient_id or "").strip()
    if not chosen:
        raise Invalid("A family member must be linked to their patient: choose one.")
    if db.get(m.Patient, chosen) is None:
        raise Invalid("No such patient.")
    return chosen


def create_user(db: Session, viewer: Viewer, new: NewUser) -> m.User:
    username = new.username.strip().lower()
    if not USERNAME.match(username):
        raise Invalid(
            "Usernames have 3 to 80 characters: lowercase letters, digits, '.', '_' or '-'."
        )
    display_name = new.display_name.strip()
    if not display_name or len(display_name) > 200:
        raise Invalid("Give a display name (at most 200 characters).")
    role = _check_role(new.role)
    password = _check_password(new.password)
    patient_id = _family_patient(db, role, new.patient_id)
    unit = _check_unit(role, new.unit)
    if db.scalar(select(m.User.id).where(m.User.username == username)) is not None:
        raise Invalid(f"The username {username!r} is taken.")
    user = m.User(
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        patient_id=patient_id,
        unit=unit,
        active=True,
        created_at=now(),
    )
    db.add(user)
    db.flush()
    in_unit = f" in {unit}" if unit else ""
    audit(db, viewer.user, "admin", f"created user {username} ({role}{in_unit})"[:200], patient_id)
    return user


def update_user(
    db: Session,
    viewer: Viewer,
    user_id: int,
    role: str | None = None,
    active: bool | None = None,
    patient_id: str | None = None,
    password: str | None = None,
    based_on: int | None = None,
    unit: str | None = None,
) -> m.User:
    """Change a user. `based_on` is the user's version the admin saw: when another admin saved
    the user since, nothing is saved (Conflict, 409); concurrent saves based on one version are
    caught by the versioned UPDATE (users.version is the mapper's version_id_col)."""
    user = db.get(m.User, user_id)
    if user is None:
        raise NotFound("No such user.")
    if based_on is not None and based_on != user.version:
        raise Conflict(
            f"User {user.username} was changed by another admin after you opened the page."
            " Nothing was saved: check the current settings below and save again."
        )
    new_role = _check_role(role) if role is not None else user.role
    new_active = user.active if active is None else active
    if user.id == viewer.user.id and (new_role != "admin" or not new_active):
        raise Invalid("You cannot remove your own admin role or deactivate yourself.")
    if new_role == "family":
        linked = _family_patient(db, new_role, patient_id or user.patient_id)
    else:
        linked = None
    new_unit = _check_unit(new_role, unit if unit is not None else user.unit)
    changes: list[str] = []
    if new_unit != user.unit:
        changes.append(f"unit {user.unit or '-'} -> {new_unit or '-'}")
    if new_role != user.role:
        changes.append(f"role {user.role} -> {new_role}")
    if new_active != user.active:
        changes.append("activated" if new_active else "deactivated")
    if linked != user.patient_id:
        changes.append("linked patient changed")
    if password:
        user.password_hash = hash_password(_check_password(password))
        changes.append("password reset")
    if not changes:
        return user
    revoke = new_role != user.role or not new_active or bool(password) or new_unit != user.unit
    old_patient = user.patient_id
    user.role, user.active, user.patient_id = new_role, new_active, linked
    user.unit = new_unit
    if revoke:
        # Signed-in sessions end: the user signs in again under the new role (or not at all).
        db.execute(delete(m.WebSession).where(m.WebSession.user_id == user.id))
    what = f"changed user {user.username}: {', '.join(changes)}"
    audit(db, viewer.user, "admin", what, linked or old_patient)
    db.flush()
    return user


def _users(db: Session) -> list[m.User]:
    return list(db.scalars(select(m.User).order_by(m.User.username)))


def _patients(db: Session) -> list[tuple[str, str]]:
    rows = db.execute(select(m.Patient.id, m.Patient.display_name).order_by(m.Patient.display_name))
    return [(row.id, row.display_name) for row in rows]


def _users_page(
    request: Request,
    db: Session,
    viewer: Viewer,
    error: str | None = None,
    form: dict[str, Any] | None = None,
    status_code: int = 200,
    message: str | None = None,
) -> Response:
    users = _users(db)
    audit(db, viewer.user, "read", f"users ({len(users)})")
    patients = _patients(db)
    context = {
        "users": users,
        "roles": m.ROLES,
        "role_words": ROLE_WORDS,
        "patients": patients,
        "patient_names": dict(patients),
        "error": error,
        "message": message,
        "form": form or {},
        "password_min": PASSWORD_MIN,
    }
    return render_page(request, viewer, "admin_users.html", context, status_code)


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request, db: Db, viewer: CurrentViewer, done: str | None = None
) -> Response:
    require(viewer, "admin")
    return _users_page(request, db, viewer, message=done)


@router.post("/admin/users")
def create_user_form(
    request: Request,
    db: Db,
    viewer: CurrentViewer,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    patient_id: Annotated[str | None, Form()] = None,
    unit: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    require(viewer, "admin")
    new = NewUser(username, display_name, role, password, patient_id, unit)
    try:
        created = create_user(db, viewer, new)
    except Invalid as problem:
        form = {
            "username": username,
            "display_name": display_name,
            "role": role,
            "patient_id": patient_id,
            "unit": unit,
        }
        return _users_page(request, db, viewer, problem.message, form, status_code=422)
    done = urlencode({"done": f"User {created.username} created."})
    return RedirectResponse(f"/admin/users?{done}", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user_form(
    request: Request,
    db: Db,
    viewer: CurrentViewer,
    user_id: UserId,
    role: Annotated[str | None, Form()] = None,
    active: Annotated[str | None, Form()] = None,
    patient_id: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    version: Annotated[str | None, Form()] = None,
) -> Response:
    require(viewer, "admin")
    try:
        based_on = int(version) if version else None
    except ValueError:
        based_on = -1  # not a number: cannot match, refused as stale
    try:
        user = update_user(
            db,
            viewer,
            user_id,
            role=role,
            active=active == "yes" if active is not None else None,
            patient_id=patient_id or None,
            password=password or None,
            based_on=based_on,
        )
    except Invalid as problem:
        return _users_page(request, db, viewer, problem.message, status_code=422)
    except Conflict as conflict:
        return _users_page(request, db, viewer, conflict.message, status_code=409)
    done = urlencode({"done": f"User {user.username} saved."})
    return RedirectResponse(f"/admin/users?{done}#user-{user.id}", status_code=303)


# --- audit log --------------------------------------------------------------------------------


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
        "result": result,
        "filters": filters,
        "page_url": page_url,
        "csv_url": "/admin/audit.csv" + ("?" + urlencode(filters) if filters else ""),
    }
    return render_page(request, viewer, "admin_audit.html", context)


# --- JSON API ---------------------------------------------------------------------------------


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    patient_id: str | None
    unit: str | None
    created_at: datetime
    version: int


class UserIn(BaseModel):
    username: str
    display_name: str
    role: str
    password: str = Field(description=f"At least {PASSWORD_MIN} characters")
    patient_id: str | None = Field(default=None, description="Required for a family member")
    unit: str | None = Field(default=None, description="A clinician's or unit lead's unit")


class UserPatch(BaseModel):
    unit: str | None = None
    role: str | None = None
    active: bool | None = None
    patient_id: str | None = None
    password: str | None = None
    version: int | None = Field(
        default=None,
        description="The user's `version` this change is based on; when another admin changed"
        " the user since: 409 and nothing saved. Left out: applied to the current user.",
    )


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


def _user_out(user: m.User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        active=user.active,
        patient_id=user.patient_id,
        unit=user.unit,
        created_at=user.created_at,
        version=user.version,
    )


@router.get("/api/admin/users", response_model=list[UserOut])
def users_api(db: Db, viewer: CurrentViewer) -> list[UserOut]:
    require(viewer, "admin")
    users = _users(db)
    audit(db, viewer.user, "read", f"users api ({len(users)})")
    return [_user_out(u) for u in users]


@router.post("/api/admin/users", response_model=UserOut, status_code=201)
def create_user_api(db: Db, viewer: CurrentViewer, body: UserIn) -> UserOut:
    require(viewer, "admin")
    new = NewUser(
        body.username, body.display_name, body.role, body.password, body.patient_id, body.unit
    )
    return _user_out(create_user(db, viewer, new))


@router.patch("/api/admin/users/{user_id}", response_model=UserOut)
def update_user_api(db: Db, viewer: CurrentViewer, user_id: UserId, body: UserPatch) -> UserOut:
    require(viewer, "admin")
    user = update_user(
        db,
        viewer,
        user_id,
        body.role,
        body.active,
        body.patient_id,
        body.password or None,
        based_on=body.version,
        unit=body.unit,
    )
    return _user_out(user)


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
