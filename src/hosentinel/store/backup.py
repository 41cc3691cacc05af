"""Backups of the app's database that prove themselves: `hosentinel backup` and `restore`.

A backup is one tar file holding the database copy and `manifest.json`: the backend, the schema
revision, the SHA-256 of the copy, and per table its row count and a checksum of its rows (in
primary-key order). The manifest describes exactly the copy, not the live database at some
other moment:

- SQLite: the copy is made with SQLite's online backup API, a consistent snapshot even while the
  app writes (WAL); the manifest is computed from the copy.
- PostgreSQL: `pg_dump -Fc` runs on a snapshot exported from a REPEATABLE READ transaction, and
  the manifest is computed in that same transaction: both see the same rows. The client tools
  come from Debian's packages (/usr/lib/postgresql/<major>/bin), the major version matching the
  server's (a newer one also reads an older server; an older one is refused).

Verification: after writing, the backup is read back and checked (the copy's SHA-256; SQLite:
`PRAGMA integrity_check` and the manifest recomputed from the copy; PostgreSQL:
`pg_restore --list` reads the whole archive's table of contents). `restore` checks the file the
same way before touching the target, refuses a target that holds data unless forced, and after
restoring recomputes every table's count and checksum from the target and compares them with
the manifest. Any mismatch is a `BackupError` with one line saying what is wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text
from sqlalchemy.engine import make_url

from hosentinel.store import models as m

MANIFEST = "manifest.json"
# HMAC-SHA256 of manifest.json with the site key: the manifest holds the copy's SHA-256, so the
# signature covers the whole backup. `restore` refuses a backup without it or with another.
SIGNATURE = "manifest.sig"
KEY_SETTING = "HOSENTINEL_BACKUP_KEY"
MIN_KEY = 32
FORMAT = "hosentinel-backup/1"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
PG_TOOL_TIMEOUT = 3600  # seconds; a dump or restore of a unit's database takes far less


class BackupError(Exception):
    """A backup that cannot be made, read, trusted or restored; the message says why."""


def site_key() -> bytes:
    """The site's backup signing key: `HOSENTINEL_BACKUP_KEY`, the key itself or the path of a
    file holding it (at least 32 characters; e.g. `openssl rand -hex 32`)."""
    value = os.environ.get(KEY_SETTING, "").strip()
    if value and os.path.isfile(value):
        value = Path(value).read_text(encoding="utf-8").strip()
    if len(value) < MIN_KEY:
        raise BackupError(
            f"set {KEY_SETTING} to the site's backup key (at least {MIN_KEY} characters, or a"
            " file holding it): backups are signed with it and restore checks the signature"
        )
    return value.encode()


def sign(raw_manifest: bytes, key: bytes) -> str:
    return hmac.new(key, raw_manifest, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class TableSummary:
    rows: int
    checksum: str


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    payload: str
    payload_sha256: str
    tables: dict[str, TableSummary]

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "backend": self.backend,
            "revision": self.revision,
            "created_at": self.created_at,
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
            "tables": {
                name: {"rows": t.rows, "checksum": t.checksum}
                for name, t in sorted(self.tables.items())
            },
        }
        return json.dumps(data, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(f"unknown backup format {data.get('format')!r}")
            return cls(
                backend=str(data["backend"]),
                revision=data["revision"],
                created_at=str(data["created_at"]),
                payload=str(data["payload"]),
                payload_sha256=str(data["payload_sha256"]),
                tables={
                    str(name): TableSummary(int(t["rows"]), str(t["checksum"]))
                    for name, t in data["tables"].items()
                },
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest is unreadable: {exc}") from exc

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    tables: dict[str, TableSummary]


# --- what a database holds ---------------------------------------------------------------------


def _tables(connection: Connection) -> list[Table]:
    """The app's tables and Alembic's, as they exist in this database."""
    names = set(inspect(connection).get_table_names())
    wanted = [t.name for t in m.Base.metadata.sorted_tables] + ["alembic_version"]
    reflected = MetaData()
    return [Table(name, reflected, autoload_with=connection) for name in wanted if name in names]


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        # SQLite hands back naive UTC datetimes, PostgreSQL aware ones: one form for both.
        return (value.astimezone(UTC) if value.tzinfo else value).replace(tzinfo=None).isoformat()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def summarize(connection: Connection) -> dict[str, TableSummary]:
    """Row count and SHA-256 of the rows (primary-key order, columns in name order) per table."""
    found: dict[str, TableSummary] = {}
    for table in _tables(connection):
        columns = sorted(table.columns, key=lambda c: c.name)
        order = list(table.primary_key.columns) or columns
        digest = hashlib.sha256()
        rows = 0
        for row in connection.execute(select(*columns).order_by(*order)):
            line = json.dumps([_canonical(v) for v in row], sort_keys=True, default=str)
            digest.update(line.encode())
            digest.update(b"\n")
            rows += 1
        found[table.name] = TableSummary(rows, digest.hexdigest())
    return found


def _revision(connection: Connection) -> str | None:
    if "alembic_version" not in inspect(connection).get_table_names():
        return None
    value = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return str(value) if value is not None else None


def holds_data(engine: Engine) -> bool:
    """True when any of the app's tables has a row."""
    with engine.connect() as connection:
        for table in _tables(connection):
            if table.name != "alembic_version" and connection.scalar(
                select(func.count()).select_from(table)
            ):
                return True
    return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in PAYLOAD:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


# --- backup --------------------------------------------------------------------------------------


def backup(engine: Engine, out: Path) -> Manifest:
    """Write a verified backup of the database to `out` (a tar file); returns its manifest."""
    backend = _backend(engine)
    key = site_key()
    if out.exists():
        raise BackupError(f"{out} exists; give a new file name")
    with tempfile.TemporaryDirectory(prefix="hosentinel-backup-") as tmp:
        payload = Path(tmp) / PAYLOAD[backend]
        if backend == "sqlite":
            tables, revision = _copy_sqlite(engine, payload)
        else:
            tables, revision = _dump_postgres(engine, payload)
        manifest = Manifest(
            backend=backend,
            revision=revision,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            payload=payload.name,
            payload_sha256=_sha256(payload),
            tables=tables,
        )
        partial = out.with_name(out.name + ".partial")
        try:
            # Readable by its owner only: a backup holds every patient's record.
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
            os.chmod(partial, 0o600)
            with tarfile.open(partial, "w") as tar:
                raw = manifest.to_json()
                for name, data in ((MANIFEST, raw), (SIGNATURE, sign(raw, key).encode())):
                    info = tarfile.TarInfo(name)
                    info.size = len(data)
                    info.mtime = int(datetime.now(UTC).timestamp())
                    tar.addfile(info, io.BytesIO(data))
                tar.add(payload, arcname=payload.name)
            with partial.open("rb") as f:
                os.fsync(f.fileno())
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
    verify(out)
    return manifest


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _copy_sqlite(engine: Engine, payload: Path) -> tuple[dict[str, TableSummary], str | None]:
    source_path = _sqlite_path(engine)
    if not source_path.is_file():
        raise BackupError(f"no SQLite database at {source_path}")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    target = sqlite3.connect(payload)
    try:
        source.backup(target)  # online backup API: a consistent snapshot, pages in steps
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite could not copy {source_path}: {exc}") from exc
    finally:
        target.close()
        source.close()
    return _describe_sqlite(payload)


def _describe_sqlite(path: Path) -> tuple[dict[str, TableSummary], str | None]:
    from hosentinel.store.db import make_engine

    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return summarize(connection), _revision(connection)
    finally:
        engine.dispose()


PG_TOOLS = ("pg_dump", "pg_restore", "psql")
# Functions the migrations create (the audit log's append-only trigger): the dump recreates them.
FUNCTIONS = ("hosentinel_audit_log_append_only",)


def pg_bin_dir(server_major: int | None = None) -> Path:
    """The directory of pg_dump, pg_restore and psql for a server of this major version:
    Debian's /usr/lib/postgresql/<major>/bin, else the nearest newer one, else the tools on
    PATH. None: the newest installed (to read any archive)."""
    installed = sorted(
        (int(d.parent.name), d)
        for d in Path("/usr/lib/postgresql").glob("*/bin")
        if d.parent.name.isdigit() and all((d / tool).is_file() for tool in PG_TOOLS)
    )
    if server_major is None and installed:
        return installed[-1][1]
    for major, directory in installed:
        if major >= (server_major or 0):
            return directory
    on_path = shutil.which("pg_dump")
    if on_path and all(shutil.which(tool) for tool in PG_TOOLS):
        return Path(on_path).resolve().parent
    server_major = server_major or 0
    newest = installed[-1][0] if installed else None
    raise BackupError(
        f"pg_dump/pg_restore for PostgreSQL {server_major} not found"
        + (f" (only {newest} is installed)" if newest else "")
        + ": install the postgresql-client package of that version"
    )


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """A libpq connection URI for the tools, and the environment with the password (kept off
    the command line, where other users could read it)."""
    url = engine.url
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(
    tool: Path, *args: str, env: dict[str, str], stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            [str(tool), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=PG_TOOL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BackupError(f"{tool.name} failed: {exc}") from exc
    if result.returncode != 0:
        message = " ".join(result.stderr.split())[:500]
        raise BackupError(f"{tool.name} failed ({result.returncode}): {message}")
    return result


def _server_major(connection: Connection) -> int:
    return int(connection.scalar(text("SHOW server_version_num")) or 0) // 10000


def _dump_postgres(engine: Engine, payload: Path) -> tuple[dict[str, TableSummary], str | None]:
    uri, env = _libpq(engine)
    with engine.connect() as connection:
        tools = pg_bin_dir(_server_major(connection))
    with engine.connect() as connection:
        connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        snapshot = str(connection.scalar(text("SELECT pg_export_snapshot()")))
        # pg_dump sees the exported snapshot: the rows counted below, no more, no fewer.
        _run(
            tools / "pg_dump",
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--snapshot={snapshot}",
            f"--file={payload}",
            f"--dbname={uri}",
            env=env,
        )
        tables, revision = summarize(connection), _revision(connection)
        connection.rollback()
    return tables, revision


# --- reading and checking a backup file ---------------------------------------------------------


@contextmanager
def _opened(path: Path) -> Iterator[tuple[Manifest, Path]]:
    """The manifest and the payload extracted to a temporary directory, its SHA-256 checked."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with tempfile.TemporaryDirectory(prefix="hosentinel-restore-") as tmp:
        try:
            with tarfile.open(path, "r") as tar:
                member = tar.extractfile(MANIFEST)
                if member is None:
                    raise BackupError(f"{path} has no {MANIFEST}")
                raw = member.read()
                _check_signature(path, tar, raw)
                manifest = Manifest.from_json(raw)
                if manifest.payload not in PAYLOAD.values():
                    raise BackupError(f"unexpected payload {manifest.payload!r}")
                tar.extract(manifest.payload, tmp, filter="data")
        except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
            raise BackupError(f"{path} is not a readable backup: {exc}") from exc
        payload = Path(tmp) / manifest.payload
        if _sha256(payload) != manifest.payload_sha256:
            raise BackupError(f"{path} is corrupt: the database copy does not match its checksum")
        yield manifest, payload


def _check_signature(path: Path, tar: tarfile.TarFile, raw_manifest: bytes) -> None:
    key = site_key()
    try:
        member = tar.extractfile(SIGNATURE)
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"{path} is not signed: refused (only signed backups are restored)")
    given = member.read(200).decode("ascii", "replace").strip()
    if not hmac.compare_digest(given, sign(raw_manifest, key)):
        raise BackupError(
            f"{path}: the signature does not match (altered, or signed with another site key):"
            " refused"
        )


def verify(path: Path) -> Manifest:
    """Check a backup file: readable, the copy matches its checksum, and the copy itself is sound
    (SQLite: integrity_check and every table's count and checksum as in the manifest;
    PostgreSQL: pg_restore reads the archive's whole table of contents)."""
    with _opened(path) as (manifest, payload):
        if manifest.backend == "sqlite":
            _check_sqlite_copy(payload, manifest)
        else:
            tools = pg_bin_dir()
            listing = _run(tools / "pg_restore", "--list", str(payload), env={**os.environ})
            missing = [
                name
                for name in manifest.tables
                if not re.search(
                    rf"TABLE DATA public {re.escape(name)}(\s|$)", listing.stdout, re.M
                )
            ]
            if missing:
                raise BackupError(f"the dump holds no data for {', '.join(sorted(missing))}")
    return manifest


def _check_sqlite_copy(payload: Path, manifest: Manifest) -> None:
    try:
        connection = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
        try:
            result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        finally:
            connection.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the SQLite copy is damaged: {exc}") from exc
    if result != ["ok"]:
        raise BackupError(f"the SQLite copy is damaged: {'; '.join(result[:3])}")
    tables, _ = _describe_sqlite(payload)
    _compare(manifest.tables, tables, "the SQLite copy")


def _compare(expected: dict[str, TableSummary], found: dict[str, TableSummary], what: str) -> None:
    problems: list[str] = []
    for name, e in sorted(expected.items()):
        got = found.get(name)
        if got is None:
            problems.append(f"{name} is missing")
        elif got.rows != e.rows:
            problems.append(f"{name} has {got.rows} rows, the backup {e.rows}")
        elif got.checksum != e.checksum:
            problems.append(f"{name} rows differ from the backup's (checksum)")
    problems += [f"{name} is not in the backup" for name in sorted(set(found) - set(expected))]
    if problems:
        raise BackupError(f"{what} does not match the manifest: {'; '.join(problems)}")


# --- restore -------------------------------------------------------------------------------------


def restore(path: Path, engine: Engine, force: bool = False) -> Restored:
    """Restore a backup into the database; refuses one that holds data unless `force`. Stop the
    app first. Afterwards every table is compared with the manifest."""
    backend = _backend(engine)
    manifest = verify(path)
    if manifest.backend != backend:
        raise BackupError(
            f"{path} is a {manifest.backend} backup; it restores only into {manifest.backend}"
        )
    if _exists(engine) and holds_data(engine) and not force:
        raise BackupError(
            "the target database holds data; restore into an empty one, or give --force to"
            " replace it"
        )
    with _opened(path) as (_, payload):
        if backend == "sqlite":
            _restore_sqlite(payload, engine)
        else:
            _restore_postgres(payload, engine)
    engine.dispose()
    with engine.connect() as connection:
        tables = summarize(connection)
    _compare(manifest.tables, tables, "the restored database")
    return Restored(manifest, tables)


def _exists(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        return _sqlite_path(engine).exists()
    return True


def _restore_sqlite(payload: Path, engine: Engine) -> None:
    target_path = _sqlite_path(engine)
    target_path.parent.mkdir(parents=True, exist_ok=True)
    engine.dispose()
    source = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
    target = sqlite3.connect(target_path, timeout=30)
    try:
        # The backup API replaces the target's pages wholesale, in one step (WAL-aware).
        source.backup(target)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"SQLite could not restore into {target_path}: {exc}") from exc
    finally:
        target.close()
        source.close()


# Entries of a dump's table of contents a restore loads: the app's own tables, their data,
# sequences, defaults, keys, indexes and triggers, and its functions. Anything else a dump may
# carry (another table, a role, an extension, a function of someone else's) is left out.
_TOC_ENTRY = re.compile(r"^\d+; \d+ \d+ (?P<kind>[A-Z][A-Z ]*?) public (?P<rest>\S.*)$")
_ON_TABLE = ("TABLE", "TABLE DATA", "DEFAULT", "CONSTRAINT", "FK CONSTRAINT", "TRIGGER")
_SEQUENCE = ("SEQUENCE", "SEQUENCE OWNED BY", "SEQUENCE SET")


def app_entries(listing: str) -> str:
    """The lines of `pg_restore --list` output that a restore of the app may load."""
    tables = {t.name for t in m.Base.metadata.sorted_tables} | {"alembic_version"}
    indexes = {i.name for t in m.Base.metadata.sorted_tables for i in t.indexes if i.name}
    sequences = {f"{t}_id_seq" for t in tables}
    functions = {f"{f}()" for f in FUNCTIONS}
    kept: list[str] = []
    for line in listing.splitlines():
        found = _TOC_ENTRY.match(line)
        if found is None:
            continue
        kind, name = found["kind"], found["rest"].split(" ")[0]
        if (
            (kind in _ON_TABLE and name in tables)
            or (kind in _SEQUENCE and name in sequences)
            or (kind == "INDEX" and name in indexes)
            or (kind == "FUNCTION" and name in functions)
        ):
            kept.append(line)
    return "\n".join(kept) + "\n"


def _restore_postgres(payload: Path, engine: Engine) -> None:
    """One transaction: drop the app's tables and functions (and Alembic's table; nothing else
    in the database), then the dump's SQL for the app's own objects only (`app_entries`:
    pg_restore writes it, psql runs it). On any error nothing changed."""
    uri, env = _libpq(engine)
    with engine.connect() as connection:
        tools = pg_bin_dir(_server_major(connection))
    engine.dispose()
    names = [t.name for t in reversed(m.Base.metadata.sorted_tables)] + ["alembic_version"]
    drops = "".join(f'DROP TABLE IF EXISTS public."{name}" CASCADE;\n' for name in names)
    drops += "".join(f"DROP FUNCTION IF EXISTS public.{name}() CASCADE;\n" for name in FUNCTIONS)
    listing = _run(tools / "pg_restore", "--list", str(payload), env=env).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as chosen:
        chosen.write(app_entries(listing))
    try:
        script = _run(
            tools / "pg_restore",
            "--no-owner",
            "--no-privileges",
            f"--use-list={chosen.name}",
            "--file=-",
            str(payload),
            env=env,
        ).stdout
    finally:
        os.unlink(chosen.name)
    _run(
        tools / "psql",
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        f"--dbname={uri}",
        "--file=-",
        env=env,
        stdin=drops + script,
    )


def describe(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
