"""Administration of users (admin role only): the users page and the users' JSON API. The
rules for a user (roles, units, passwords) are in `app/user_admin.py`; the audit-log viewer is
`admin_audit.py`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.deps import UNIT_ROLES, CurrentViewer, Db, DbId, Viewer, require
from hosentinel.app.errors import Conflict, Invalid
from hosentinel.app.templating import render_page
from hosentinel.app.user_admin import (
    PASSWORD_MIN,
    ROLE_WORDS,
    NewUser,
    create_user,
    update_user,
)
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()

# A user id in a URL: a database integer (an id past 64 bits made SQLite raise, a 500).
UserId = DbId


def _users(db: Session) -> list[m.User]:
    return list(db.scalars(select(m.User).order_by(m.User.username)))


def _units(db: Session) -> list[str]:
    """Units in use (patients' and users'), offered when choosing a user's unit."""
    found = set(db.scalars(select(m.Patient.unit).distinct()))
    found |= {u for u in db.scalars(select(m.User.unit).distinct()) if u}
    return sorted(found)


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
        "units": _units(db),
        "unit_roles": UNIT_ROLES,
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
    unit: Annotated[str | None, Form(max_length=200)] = None,
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
            unit=unit,  # present and blank: no unit; left out: unchanged
        )
    except Invalid as problem:
        return _users_page(request, db, viewer, problem.message, status_code=422)
    except Conflict as conflict:
        return _users_page(request, db, viewer, conflict.message, status_code=409)
    done = urlencode({"done": f"User {user.username} saved."})
    return RedirectResponse(f"/admin/users?{done}#user-{user.id}", status_code=303)


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
