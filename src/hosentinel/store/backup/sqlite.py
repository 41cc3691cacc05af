"""SQLite backups: the online backup API copies a consistent snapshot (also while the app writes),
and restores a copy page for page."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import Engine

from hosentinel.store.backup.errors import BackupError
from hosentinel.store.backup.manifest import Manifest
from hosentinel.store.backup.summary import TableSummary, compare, schema_revision, summarize


def sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def copy_sqlite(engine: Engine, payload: Path) -> tuple[dict[str, TableSummary], str | None]:
    source_path = sqlite_path(engine)
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
    return describe_sqlite(payload)


def describe_sqlite(path: Path) -> tuple[dict[str, TableSummary], str | None]:
    from hosentinel.store.db import make_engine

    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return summarize(connection), schema_revision(connection)
    finally:
        engine.dispose()


def check_sqlite_copy(payload: Path, manifest: Manifest) -> None:
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
    tables, _ = describe_sqlite(payload)
    compare(manifest.tables, tables, "the SQLite copy")


def restore_sqlite(payload: Path, engine: Engine) -> None:
    target_path = sqlite_path(engine)
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
