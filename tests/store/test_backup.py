"""Backups, on SQLite and PostgreSQL: `hosentinel backup` writes a verified file; `restore` brings
back exactly the backup-time state (every table's rows compared with the manifest), refuses a
database that holds data unless --force, and names the problem in one line when the file is
damaged. A backup taken while writes go on is a consistent snapshot."""

from __future__ import annotations

import io
import itertools
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, delete, select, text
from typer.testing import CliRunner

from hosentinel.cli import app as cli
from hosentinel.core import record as r
from hosentinel.store import backup as b
from hosentinel.store import models as m
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.migrate import alembic_config
from hosentinel.store.records import add_observations
from hosentinel.testing.postgres import PostgresServer

runner = CliRunner()
_targets = itertools.count(1)
SITE_KEY = "test-site-key-0123456789abcdef0123456789"


@pytest.fixture(autouse=True)
def site_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(b.KEY_SETTING, SITE_KEY)


def state(engine: Engine) -> dict[str, b.TableSummary]:
    with engine.connect() as connection:
        return b.summarize(connection)


@pytest.fixture
def engine(app_db_url: str) -> Iterator[Engine]:
    made = make_engine(app_db_url)
    yield made
    made.dispose()


@pytest.fixture
def empty_url(app_db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of the same backend that does not exist yet (SQLite) or is empty (PG)."""
    if app_db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'target.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"restore_{next(_targets)}"
    yield server.create_database(name)
    server.drop_database(name)


def mutate(engine: Engine) -> None:
    """What happens after a backup: an exam appended, a patient's medications removed, an alert
    decided, a user renamed."""
    with make_sessionmaker(engine).begin() as session:
        patient = session.scalars(select(m.Patient).order_by(m.Patient.id)).first()
        assert patient is not None
        obs = r.Observation(ref="Observation/after-backup", codings=(), value_quantity=42.0)
        add_observations(session, patient.id, [obs], None)
        session.execute(delete(m.Medication))
        user = session.scalars(select(m.User).order_by(m.User.id)).first()
        assert user is not None
        user.display_name = "Changed after the backup"


def test_backup_mutate_restore_gives_back_the_backup_time_state(
    engine: Engine, app_db_url: str, empty_url: str, tmp_path: Path
) -> None:
    at_backup = state(engine)
    out = tmp_path / "unit.backup"
    made = runner.invoke(cli, ["backup", "--database", app_db_url, "--out", str(out)])
    assert made.exit_code == 0, made.output
    assert "verified" in made.output
    manifest = b.verify(out)
    assert manifest.tables == at_backup
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    assert manifest.tables["observations"].rows > 0 and manifest.revision == head

    mutate(engine)
    assert state(engine) != at_backup
    refused = runner.invoke(cli, ["restore", str(out), "--database", app_db_url])
    assert refused.exit_code == 2
    assert "holds data" in refused.output and "--force" in refused.output
    assert state(engine) != at_backup, "a refused restore changes nothing"

    engine.dispose()
    forced = runner.invoke(cli, ["restore", str(out), "--database", app_db_url, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "identical to the backup's" in forced.output
    assert state(engine) == at_backup

    into_new = runner.invoke(cli, ["restore", str(out), "--database", empty_url])
    assert into_new.exit_code == 0, into_new.output
    other = make_engine(empty_url)
    try:
        assert state(other) == at_backup
    finally:
        other.dispose()


def test_a_backup_taken_during_writes_is_a_consistent_snapshot(
    engine: Engine, empty_url: str, tmp_path: Path
) -> None:
    """Exams are appended while the backup runs: the backup holds a moment's state whole (its
    manifest, recomputed from the restored copy, matches: no half-copied table), and each exam
    in it moved its patient's version, as in the live database."""
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        maker = make_sessionmaker(engine)
        with maker() as session:
            patients = list(session.scalars(select(m.Patient.id)))
        for n in range(2_000):  # bounded: stops at the event or after 2,000 exams
            if stop.is_set():
                return
            with maker.begin() as session:
                obs = r.Observation(ref=f"Observation/during-{n}", codings=(), value_quantity=1.0)
                add_observations(session, patients[n % len(patients)], [obs], None)
            written.append(n)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(written) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        manifest = b.backup(engine, tmp_path / "live.backup")
        time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()
    after = state(engine)
    assert manifest.tables["observations"].rows < after["observations"].rows, "writes went on"
    assert manifest.tables["observations"].rows >= 5
    target = make_engine(empty_url)
    try:
        b.restore(tmp_path / "live.backup", target)
        with target.connect() as connection:
            during = connection.scalar(
                select(m.Observation.ref).where(m.Observation.ref.like("Observation/during-%"))
            )
        assert during is not None
    finally:
        target.dispose()


def _rewrite(
    source: Path,
    target: Path,
    manifest: bytes | None,
    payload: bytes | None,
    resign: bool = False,
) -> None:
    """A copy of a backup with its manifest and/or payload replaced."""
    with tarfile.open(source) as tar_in, tarfile.open(target, "w") as tar_out:
        for member in tar_in.getmembers():
            data = tar_in.extractfile(member)
            assert data is not None
            content = data.read()
            if member.name == b.MANIFEST and manifest is not None:
                content = manifest
            elif member.name == b.SIGNATURE and resign and manifest is not None:
                content = b.sign(manifest, SITE_KEY.encode()).encode()
            elif member.name not in (b.MANIFEST, b.SIGNATURE) and payload is not None:
                content = payload
            member.size = len(content)
            tar_out.addfile(member, io.BytesIO(content))


def test_damaged_backups_are_refused_with_a_clear_error(
    engine: Engine, app_db_url: str, empty_url: str, tmp_path: Path
) -> None:
    good = tmp_path / "good.backup"
    b.backup(engine, good)
    with tarfile.open(good) as tar:
        manifest_raw = tar.extractfile(b.MANIFEST).read()  # type: ignore[union-attr]
        name = b.Manifest.from_json(manifest_raw).payload
        payload = tar.extractfile(name).read()  # type: ignore[union-attr]

    flipped = bytearray(payload)
    flipped[len(flipped) // 2] ^= 0xFF
    corrupt = tmp_path / "corrupt.backup"
    _rewrite(good, corrupt, None, bytes(flipped))
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(good.read_bytes()[:2000])
    lying = tmp_path / "lying.backup"
    altered = tmp_path / "altered.backup"
    text = manifest_raw.decode()
    rows = b.Manifest.from_json(manifest_raw).tables["patients"].rows
    lie = text.replace(f'"rows": {rows},', f'"rows": {rows + 1},', 1).encode()
    _rewrite(good, lying, lie, None, resign=True)  # as if by someone holding the site key
    _rewrite(good, altered, lie, None)
    assert b.Manifest.from_json(_member(lying)).tables["patients"].rows == rows + 1

    cases = [
        (corrupt, "is corrupt: the database copy does not match its checksum"),
        (truncated, "is not a readable backup"),
        (tmp_path / "missing.backup", "no backup file at"),
        (lying, "does not match the manifest: patients has"),
        (altered, "the signature does not match (altered, or signed with another site key)"),
    ]
    for path, message in cases:
        result = runner.invoke(cli, ["restore", str(path), "--database", empty_url])
        assert result.exit_code == 2, (path.name, result.output)
        assert message in result.output, (path.name, result.output)
        assert result.output.count("\n") == 1, "one line"
    with pytest.raises(b.BackupError, match="exists"):
        b.backup(engine, good)
    wrong = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    if app_db_url.startswith("postgresql"):
        wrong = f"sqlite:///{tmp_path / 'other.db'}"
    mismatch = runner.invoke(cli, ["restore", str(good), "--database", wrong])
    assert mismatch.exit_code == 2 and "backup; it restores only into" in mismatch.output


def _member(path: Path) -> bytes:
    with tarfile.open(path) as tar:
        data = tar.extractfile(b.MANIFEST)
        assert data is not None
        return data.read()


def test_backups_are_private_signed_and_restore_refuses_unsigned_or_foreign_ones(
    engine: Engine, empty_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    good = tmp_path / "good.backup"
    b.backup(engine, good)
    assert good.stat().st_mode & 0o077 == 0  # readable by its owner only
    unsigned = tmp_path / "unsigned.backup"
    with tarfile.open(good) as tar_in, tarfile.open(unsigned, "w") as tar_out:
        for member in tar_in.getmembers():
            if member.name != b.SIGNATURE:
                tar_out.addfile(member, tar_in.extractfile(member))
    result = runner.invoke(cli, ["restore", str(unsigned), "--database", empty_url])
    assert result.exit_code == 2 and "is not signed: refused" in result.output
    monkeypatch.setenv(b.KEY_SETTING, "another-site-key-" + "x" * 32)
    result = runner.invoke(cli, ["restore", str(good), "--database", empty_url])
    assert result.exit_code == 2 and "signed with another site key" in result.output
    monkeypatch.delenv(b.KEY_SETTING)
    result = runner.invoke(cli, ["backup", "--database", str(engine.url), "--out", "x.backup"])
    assert result.exit_code == 2 and b.KEY_SETTING in result.output


LISTING = """;
; Archive created at 2026-12-05 16:00:00 UTC
;
5; 2615 2200 SCHEMA - public pg_database_owner
220; 1255 16385 FUNCTION public hosentinel_audit_log_append_only() owner
221; 1255 16386 FUNCTION public planted_admin() owner
230; 1259 16390 TABLE public users owner
231; 1259 16391 SEQUENCE public users_id_seq owner
232; 0 0 SEQUENCE OWNED BY public users_id_seq owner
233; 1259 16400 TABLE public planted owner
3400; 0 16390 TABLE DATA public users owner
3401; 0 16400 TABLE DATA public planted owner
3402; 0 0 SEQUENCE SET public users_id_seq owner
3500; 2606 16500 CONSTRAINT public users users_pkey owner
3501; 1259 16501 INDEX public ix_audit_log_at owner
3502; 2620 16502 TRIGGER public audit_log audit_log_no_change owner
3503; 2620 16503 TRIGGER public planted planted_trigger owner
3504; 0 0 ACL - SCHEMA public pg_database_owner
"""


def test_a_postgresql_restore_loads_only_the_apps_own_objects() -> None:
    kept = b.app_entries(LISTING).splitlines()
    assert [line.split(" ", 3)[3] for line in kept] == [
        "FUNCTION public hosentinel_audit_log_append_only() owner",
        "TABLE public users owner",
        "SEQUENCE public users_id_seq owner",
        "SEQUENCE OWNED BY public users_id_seq owner",
        "TABLE DATA public users owner",
        "SEQUENCE SET public users_id_seq owner",
        "CONSTRAINT public users users_pkey owner",
        "INDEX public ix_audit_log_at owner",
        "TRIGGER public audit_log audit_log_no_change owner",
    ]


def test_a_planted_table_and_function_in_a_dump_are_not_restored(
    postgres_server: PostgresServer, demo_pg_template: str, tmp_path: Path
) -> None:
    source_name, target_name = f"planted_src_{next(_targets)}", f"planted_dst_{next(_targets)}"
    source_url = postgres_server.create_database(source_name, template=demo_pg_template)
    target_url = postgres_server.create_database(target_name)
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        with source.begin() as connection:
            connection.execute(text("CREATE TABLE planted (x int)"))
            connection.execute(text("INSERT INTO planted VALUES (1)"))
            connection.execute(
                text("CREATE FUNCTION planted_admin() RETURNS int LANGUAGE sql AS 'SELECT 1'")
            )
        out = tmp_path / "planted.backup"
        b.backup(source, out)
        restored = b.restore(out, target)
        assert restored.tables == state(source)
        with target.connect() as connection:
            names = set(
                connection.scalars(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            )
            functions = set(connection.scalars(text("SELECT proname FROM pg_proc")))
        assert "planted" not in names and "users" in names
        assert "planted_admin" not in functions
        assert "hosentinel_audit_log_append_only" in functions
    finally:
        source.dispose()
        target.dispose()
        postgres_server.drop_database(source_name)
        postgres_server.drop_database(target_name)
