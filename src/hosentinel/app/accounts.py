"""Accounts made from the command line (`hosentinel user create`), and the guard that keeps
`--demo` away from a database holding real data."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hosentinel.app.security import hash_password, now
from hosentinel.directory.npi import valid_npi
from hosentinel.store import models as m

# Roles that see patients through their unit (see deps.Viewer.can_see).
UNIT_ROLES = ("physiatrist", "therapist", "nurse", "unit-lead")
MIN_PASSWORD = 12


class AccountError(Exception):
    """A refusal with a one-line reason."""


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    unit: str | None = None,
    npi: str | None = None,
) -> m.User:
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise AccountError("a username is 1-80 characters without spaces")
    if role not in m.ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of: {', '.join(m.ROLES)}")
    if role == "family":
        raise AccountError("family accounts are linked to a patient: an admin creates them")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must be at least {MIN_PASSWORD} characters")
    if unit is not None and (not unit.strip() or len(unit) > 80):
        raise AccountError("a unit name is 1-80 characters")
    if unit is not None and role not in UNIT_ROLES:
        raise AccountError(f"the {role} role belongs to no unit; leave out --unit")
    if npi is not None and not valid_npi(npi.strip()):
        raise AccountError(f"{npi!r} is not an NPI (10 digits ending in the check digit)")
    taken = session.scalar(select(func.count()).where(m.User.username == username))
    if taken:
        raise AccountError(f"a user named {username!r} already exists")
    user = m.User(
        username=username,
        display_name=username,
        role=role,
        password_hash=hash_password(password),
        unit=unit.strip() if unit else None,
        npi=npi.strip() if npi else None,
        created_at=now(),
    )
    session.add(user)
    session.flush()
    return user


def non_demo_data(session: Session, demo_patients: set[str], demo_users: set[str]) -> str | None:
    """What in this database is not demo data (one phrase), or None."""
    patients = session.scalars(select(m.Patient.id)).all()
    others = [p for p in patients if p not in demo_patients]
    if others:
        return f"{len(others)} patient(s) that are not demo patients"
    users = session.scalars(select(m.User.username)).all()
    accounts = [u for u in users if u not in demo_users]
    if accounts:
        return f"{len(accounts)} account(s) that are not demo accounts"
    return None
