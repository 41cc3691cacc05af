"""PostgreSQL backups with Debian's client tools: `pg_dump -Fc` on an exported snapshot, checked
with `pg_restore --list`, restored in one transaction limited to the app's own objects."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import Connection, Engine, text

from hosentinel.store import models as m
from hosentinel.store.backup.errors import BackupError
from hosentinel.store.backup.manifest import Manifest
from hosentinel.store.backup.summary import TableSummary, schema_revision, summarize

PG_TOOL_TIMEOUT = 3600  # seconds; a dump or restore of a unit's database takes far less
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


def dump_postgres(engine: Engine, payload: Path) -> tuple[dict[str, TableSummary], str | None]:
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
        tables, revision = summarize(connection), schema_revision(connection)
        connection.rollback()
    return tables, revision


def check_dump(payload: Path, manifest: Manifest) -> None:
    """pg_restore reads the archive's whole table of contents; every table has its data."""
    tools = pg_bin_dir()
    listing = _run(tools / "pg_restore", "--list", str(payload), env={**os.environ})
    missing = [
        name
        for name in manifest.tables
        if not re.search(rf"TABLE DATA public {re.escape(name)}(\s|$)", listing.stdout, re.M)
    ]
    if missing:
        raise BackupError(f"the dump holds no data for {', '.join(sorted(missing))}")


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


def restore_postgres(payload: Path, engine: Engine) -> None:
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
