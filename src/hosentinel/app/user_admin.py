"""Managing accounts from the admin pages and API: creating users and changing their role, unit,
status, linked patient or password, each change audited."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hosentinel.app.deps import UNIT_ROLES, Viewer
from hosentinel.app.errors import Conflict, Invalid, NotFound
from hosentinel.app.security import hash_password, now
from hosentinel.store import models as m
from hosentinel.store.audit import audit

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
