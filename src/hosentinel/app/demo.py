"""Demo data for `hosentinel serve --demo`: the synthetic demo patients and one user per role.

Each demo patient's dates are shifted so that the catalog's as-of date falls on today: the
patients are always at the stage their story describes.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.accounts import UNIT_ROLES, non_demo_data
from hosentinel.app.config import AppConfig
from hosentinel.app.security import hash_password, now
from hosentinel.core.record import PatientRecord
from hosentinel.demo.catalog import load_catalog
from hosentinel.directory.npi import make_npi
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from hosentinel.store.records import store_record

# Demo accounts: synthetic, for local use only. Passwords are printed at start-up.
DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("physiatrist", "Dr Demo Physiatrist", "physiatrist"),
    ("therapist", "Demo Therapist", "therapist"),
    ("nurse", "Demo Nurse", "nurse"),
    ("lead", "Demo Unit Lead", "unit-lead"),
    ("admin", "Demo Admin", "admin"),
    ("family", "Demo Family Member", "family"),
)
FAMILY_PATIENT_FILE = "03-sci-hip-rom-loss-probable.json"
# The demo physiatrist's NPI: a valid check digit, but NPIs issued start with 1 or 2 (CMS), so
# one starting with 9 is nobody's.
DEMO_PHYSIATRIST_NPI = make_npi(999_000_001)
DEMO_UNIT = "Rehab unit"


class DemoRefused(Exception):
    """`--demo` pointed at a database that holds data of its own."""


def shift_dates(value: Any, delta: timedelta) -> Any:
    """Every date inside a record moved by delta (frozen dataclasses rebuilt)."""
    if isinstance(value, date):
        return value + delta
    if isinstance(value, tuple):
        return tuple(shift_dates(v, delta) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: shift_dates(getattr(value, f.name), delta)
            for f in dataclasses.fields(value)
            if f.name not in ("birth_date",)
        }
        return dataclasses.replace(value, **changes)
    return value


def load_demo(session: Session, config: AppConfig) -> list[tuple[str, str, str]]:
    """Load (or reload) the demo patients and users; returns (username, password, role)."""
    knowledge = default_knowledge()
    today = config.current_date()
    family_patient: str | None = None
    catalog = load_catalog()
    found = non_demo_data(
        session,
        {e.patient.removeprefix("Patient/") for e in catalog},
        {username for username, _, _ in DEMO_USERS},
    )
    if found:
        raise DemoRefused(
            f"--demo refused: this database holds {found}; the demo loads synthetic patients and"
            " accounts with a published password (use an empty database for the demo)"
        )
    for number, entry in enumerate(catalog, start=1):
        record: PatientRecord = read_bundle(entry.path.read_bytes(), knowledge)
        shifted = shift_dates(record, today - entry.as_of)
        # Fictional ward identifiers (the demo bundles carry no MRN or Encounter).
        ids = {"mrn": f"DEMO{number:05d}", "bed": f"4W-{number:02d}", "attending": DEMO_USERS[0][1]}
        store_record(session, shifted, display_name=entry.title, unit=DEMO_UNIT, identifiers=ids)
        if entry.file == FAMILY_PATIENT_FILE:
            family_patient = record.patient.id
    created: list[tuple[str, str, str]] = []
    for username, name, role in DEMO_USERS:
        user = session.scalar(select(m.User).where(m.User.username == username))
        if user is None:
            user = m.User(
                username=username,
                display_name=name,
                role=role,
                password_hash=hash_password(DEMO_PASSWORD),
                created_at=now(),
            )
            session.add(user)
        user.patient_id = family_patient if role == "family" else None
        user.unit = DEMO_UNIT if role in UNIT_ROLES else None
        user.npi = DEMO_PHYSIATRIST_NPI if role == "physiatrist" else None
        created.append((username, DEMO_PASSWORD, role))
    session.flush()
    load_demo_directory(session)
    return created


def load_demo_directory(session: Session) -> None:
    """The synthetic clinician directory (NPPES format, around Chicago, Houston and Seattle)."""
    from hosentinel.directory.nppes import read_nppes
    from hosentinel.directory.store import upsert
    from hosentinel.directory.synth import DEMO_DIRECTORY

    with DEMO_DIRECTORY.open(encoding="utf-8", newline="") as stream:
        upsert(session, read_nppes(stream), now())
