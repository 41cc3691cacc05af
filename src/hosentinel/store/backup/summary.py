"""What a database holds, in a form both backends agree on: per table its row count and a
checksum of its rows (primary-key order), and the schema revision."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, Table, func, inspect, select, text

from hosentinel.store import models as m
from hosentinel.store.backup.errors import BackupError


@dataclass(frozen=True)
class TableSummary:
    rows: int
    checksum: str


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


def schema_revision(connection: Connection) -> str | None:
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


def compare(expected: dict[str, TableSummary], found: dict[str, TableSummary], what: str) -> None:
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
