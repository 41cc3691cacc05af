"""Storage on both backends (SQLite and a real PostgreSQL server): migrations, the record
round-trip the engine depends on, SQLite's pragmas, the append-only audit log and one
transaction per request."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import APIRouter, FastAPI
from sqlalchemy import Engine, func, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import hosentinel.app.audit  # noqa: F401  (registers the append-only guard)
from hosentinel.app.audit import audit
from hosentinel.app.deps import CurrentViewer, Db
from hosentinel.app.errors import Invalid
from hosentinel.core import record as r
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.migrate import MIGRATIONS, alembic_config, upgrade
from hosentinel.store.records import load_record, store_record
from hosentinel.testing.postgres import PostgresServer
from tests.support.appkit import BACKENDS, SignedIn

_databases = itertools.count(1)


def _empty_database(request: pytest.FixtureRequest, directory: Path) -> Iterator[str]:
    """A brand-new, empty database on the backend named by request.param."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"empty_{next(_databases)}"
    url = server.create_database(name)
    yield url
    server.drop_database(name)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from _empty_database(request, tmp_path)


@pytest.fixture
def engine(empty_db_url: str) -> Iterator[Engine]:
    """A database migrated to head, empty of rows."""
    engine = make_engine(empty_db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for the per-bundle round-trips (each bundle is its own
    patient, so they do not interfere)."""
    for url in _empty_database(request, tmp_path_factory.mktemp("roundtrip")):
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


# --- migrations ------------------------------------------------------------------------------


def test_migrations_upgrade_an_empty_database_to_head(empty_db_url: str) -> None:
    engine = make_engine(empty_db_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade(engine)
        script = ScriptDirectory.from_config(alembic_config(engine))
        heads = script.get_heads()
        assert len(heads) == 1, f"migrations must have one head, found {heads}"
        with engine.connect() as connection:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert list(current) == heads
            # The migrations build exactly what the models describe: nothing to autogenerate.
            assert compare_metadata(MigrationContext.configure(connection), m.Base.metadata) == []
        tables = set(inspect(engine).get_table_names())
        assert tables == set(m.Base.metadata.tables) | {"alembic_version"}
        assert {"patients", "observations", "audit_log", "alert_states", "users"} <= tables
        upgrade(engine)  # a second upgrade (every app start does one) changes nothing
        with engine.connect() as connection:
            again = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
            assert list(again) == heads
    finally:
        engine.dispose()


def test_every_migration_file_is_in_the_chain() -> None:
    files = {p.stem.split("_", 1)[0] for p in (MIGRATIONS / "versions").glob("*.py")}
    script = ScriptDirectory(str(MIGRATIONS))
    chain = {rev.revision for rev in script.walk_revisions()}
    assert files == chain


# --- record round-trip -----------------------------------------------------------------------

CATALOG = load_catalog()
KNOWLEDGE = default_knowledge()


def _stored_and_loaded(engine: Engine, record: r.PatientRecord, **kwargs: str) -> r.PatientRecord:
    with make_sessionmaker(engine).begin() as session:
        store_record(session, record, **kwargs)
    with make_sessionmaker(engine)() as session:
        loaded = load_record(session, record.patient.id)
    assert loaded is not None
    return loaded


def _without_import_stats(record: r.PatientRecord) -> r.PatientRecord:
    # `stats` says what the importer could not use: a report of one import, not clinical data.
    return dataclasses.replace(record, stats=r.ImportStats())


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file.removesuffix(".json") for e in CATALOG])
def test_every_demo_bundle_round_trips(shared_engine: Engine, entry: DemoPatient) -> None:
    original = read_bundle(entry.path.read_bytes(), KNOWLEDGE)
    loaded = _stored_and_loaded(shared_engine, original, display_name=entry.title)
    assert loaded == _without_import_stats(original)
    # Storing it again replaces it (the same record) and bumps the version the cache keys on.
    again = _stored_and_loaded(shared_engine, original)
    assert again == loaded
    with make_sessionmaker(shared_engine)() as session:
        patient = session.get(m.Patient, original.patient.id)
        assert patient is not None
        assert (patient.version, patient.display_name) == (2, entry.title)


# Fields the importer never sets to a non-default value: it drops refuted conditions and
# cancelled observations before they reach the record, so the store has no column for them.
NOT_STORED = {("Condition", "refuted"), ("Observation", "cancelled")}


def _everything_set() -> r.PatientRecord:
    """A record in which every stored field of every kind of entry has a non-default value."""
    hip = r.BodySite(joint="hip", side="left")
    code = (r.Coding("snomed", "123", "Display"), r.Coding("icd10cm", "X1", None))
    return r.PatientRecord(
        patient=r.Patient(
            id="every-field", sex="female", birth_date=date(1970, 2, 3), deceased=True,
            deceased_on=date(2026, 3, 1),
        ),
        conditions=(
            r.Condition(
                "Condition/1", code, "text", date(2026, 1, 1), date(2026, 2, 1),
                date(2026, 1, 2), False, False, hip, True,
            ),
        ),
        procedures=(r.Procedure("Procedure/1", code, "text", date(2026, 1, 3), False, hip),),
        observations=(
            r.Observation(
                "Observation/1", code, "text", date(2026, 1, 4), 97.25, "deg", True, "positive",
                "H", 40.5, 129.75, r.BodySite(joint="elbow", side="right"), False,
                "R elbow flexion 97.25 deg.",
            ),
        ),
        medications=(
            r.Medication("Medication/1", code, "text", date(2026, 1, 5), date(2026, 1, 9), False),
        ),
        allergies=(r.Allergy("Allergy/1", code, "text", date(2026, 1, 6), False),),
    )  # fmt: skip


def test_every_stored_field_round_trips(engine: Engine) -> None:
    record = _everything_set()
    for f in dataclasses.fields(record.patient):
        assert getattr(record.patient, f.name) != f.default, f"Patient.{f.name}"
    for entries in (
        record.conditions,
        record.procedures,
        record.observations,
        record.medications,
        record.allergies,
    ):
        item = entries[0]
        for f in dataclasses.fields(item):
            default = f.default_factory() if callable(f.default_factory) else f.default
            if (type(item).__name__, f.name) not in NOT_STORED:
                assert getattr(item, f.name) != default, f"{type(item).__name__}.{f.name}"
    assert _stored_and_loaded(engine, record) == record


def test_the_demo_bundles_never_carry_unstored_fields() -> None:
    for entry in CATALOG:
        record = read_bundle(entry.path.read_bytes(), KNOWLEDGE)
        assert not any(c.refuted for c in record.conditions), entry.file
        assert not any(o.cancelled for o in record.observations), entry.file


# --- engine settings and constraints --------------------------------------------------------


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        upgrade(engine)
        for _ in range(2):  # every new connection, not just the first
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            engine.dispose()
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with pytest.raises(IntegrityError), make_sessionmaker(engine).begin() as session:
        session.add(m.Observation(patient_id="no-such-patient", ref="Observation/x", codings=[]))
    with make_sessionmaker(engine)() as session:
        assert session.scalar(select(func.count()).select_from(m.Observation)) == 0


def _patient(session: Session, pid: str = "p1") -> m.Patient:
    patient = m.Patient(id=pid, display_name="Test Patient", created_at=datetime.now(UTC))
    session.add(patient)
    session.flush()
    return patient


# --- the audit log is append-only ------------------------------------------------------------


def test_audit_entries_can_be_added_but_not_changed_or_removed(engine: Engine) -> None:
    factory = make_sessionmaker(engine)
    with factory.begin() as session:
        patient = _patient(session)
        audit(session, None, "read", "patient page", patient.id)
    with factory() as session:
        entry = session.scalars(select(m.AuditEntry)).one()
        entry.what = "nothing to see"
        with pytest.raises(PermissionError, match="append-only"):
            session.flush()
        session.rollback()
        entry = session.scalars(select(m.AuditEntry)).one()
        session.delete(entry)
        with pytest.raises(PermissionError, match="append-only"):
            session.flush()
        session.rollback()
    with factory() as session:
        rows = session.scalars(select(m.AuditEntry)).all()
        assert [(e.action, e.what, e.patient_id, e.username) for e in rows] == [
            ("read", "patient page", "p1", "anonymous")
        ]


# --- one transaction per request -------------------------------------------------------------


def _routes_that_write(fail_with: Callable[[], Exception] | None) -> APIRouter:
    router = APIRouter()

    @router.post("/test-only/write")
    def write(db: Db, viewer: CurrentViewer) -> dict[str, str]:
        patient = db.scalars(select(m.Patient).order_by(m.Patient.id)).first()
        assert patient is not None
        patient.display_name = "PARTIAL WRITE"
        patient.version += 1
        audit(db, viewer.user, "write", "test-only write", patient.id)
        db.flush()  # the rows reach the database inside the transaction
        if fail_with is not None:
            raise fail_with()
        return {"patient": patient.id}

    return router


def _written(app: FastAPI) -> tuple[int, int]:
    with app.state.sessionmaker() as session:
        names = session.scalar(
            select(func.count()).where(m.Patient.display_name == "PARTIAL WRITE")
        )
        audits = session.scalar(select(func.count()).where(m.AuditEntry.what == "test-only write"))
        return names, audits


def test_a_request_that_fails_with_a_domain_error_writes_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    app.include_router(_routes_that_write(lambda: Invalid("ROM out of range")))
    response = signed_in("physiatrist").post(
        "/test-only/write", headers={"accept": "application/json"}
    )
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert response.json() == {"error": "ROM out of range"}  # type: ignore[attr-defined]
    assert _written(app) == (0, 0)


def test_a_request_that_crashes_writes_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    app.include_router(_routes_that_write(lambda: RuntimeError("bug")))
    with pytest.raises(RuntimeError, match="bug"):
        signed_in("physiatrist").post("/test-only/write")
    assert _written(app) == (0, 0)


def test_a_request_that_succeeds_is_committed_before_the_response(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    app.include_router(_routes_that_write(None))
    response = signed_in("physiatrist").post("/test-only/write")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert _written(app) == (1, 1)
