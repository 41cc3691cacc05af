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

This module writes and reads the backup file; one module each holds the manifest, the table
summaries, the signature, and the SQLite and PostgreSQL specifics.
"""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from hosentinel.settings import Settings
from hosentinel.store.backup.errors import BackupError
from hosentinel.store.backup.manifest import MANIFEST, PAYLOAD, Manifest, sha256
from hosentinel.store.backup.postgres import (
    app_entries,
    check_dump,
    dump_postgres,
    pg_bin_dir,
    restore_postgres,
)
from hosentinel.store.backup.signing import KEY_SETTING, SIGNATURE, check_signature, sign, site_key
from hosentinel.store.backup.sqlite import (
    check_sqlite_copy,
    copy_sqlite,
    restore_sqlite,
    sqlite_path,
)
from hosentinel.store.backup.summary import TableSummary, compare, holds_data, summarize

__all__ = [
    "KEY_SETTING",
    "MANIFEST",
    "SIGNATURE",
    "BackupError",
    "Manifest",
    "Restored",
    "TableSummary",
    "app_entries",
    "backup",
    "describe",
    "holds_data",
    "pg_bin_dir",
    "restore",
    "sign",
    "site_key",
    "summarize",
    "verify",
]


@dataclass(frozen=True)
class Restored:
    manifest: Manifest
    tables: dict[str, TableSummary]


def _backend(engine: Engine) -> str:
    name = engine.dialect.name
    if name not in PAYLOAD:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


def backup(engine: Engine, out: Path, settings: Settings | None = None) -> Manifest:
    """Write a verified backup of the database to `out` (a tar file); returns its manifest.
    `settings` gives the site key (default: read from the environment now)."""
    backend = _backend(engine)
    settings = settings or Settings()
    key = site_key(settings)
    if out.exists():
        raise BackupError(f"{out} exists; give a new file name")
    with tempfile.TemporaryDirectory(prefix="hosentinel-backup-") as tmp:
        payload = Path(tmp) / PAYLOAD[backend]
        if backend == "sqlite":
            tables, revision = copy_sqlite(engine, payload)
        else:
            tables, revision = dump_postgres(engine, payload)
        manifest = Manifest(
            backend=backend,
            revision=revision,
            created_at=datetime.now(UTC).isoformat(timespec="seconds"),
            payload=payload.name,
            payload_sha256=sha256(payload),
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
    verify(out, settings)
    return manifest


@contextmanager
def _opened(path: Path, settings: Settings | None) -> Iterator[tuple[Manifest, Path]]:
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
                check_signature(path, tar, raw, settings)
                manifest = Manifest.from_json(raw)
                if manifest.payload not in PAYLOAD.values():
                    raise BackupError(f"unexpected payload {manifest.payload!r}")
                tar.extract(manifest.payload, tmp, filter="data")
        except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
            raise BackupError(f"{path} is not a readable backup: {exc}") from exc
        payload = Path(tmp) / manifest.payload
        if sha256(payload) != manifest.payload_sha256:
            raise BackupError(f"{path} is corrupt: the database copy does not match its checksum")
        yield manifest, payload


def verify(path: Path, settings: Settings | None = None) -> Manifest:
    """Check a backup file: readable, the copy matches its checksum, and the copy itself is sound
    (SQLite: integrity_check and every table's count and checksum as in the manifest;
    PostgreSQL: pg_restore reads the archive's whole table of contents)."""
    settings = settings or Settings()
    with _opened(path, settings) as (manifest, payload):
        if manifest.backend == "sqlite":
            check_sqlite_copy(payload, manifest)
        else:
            check_dump(payload, manifest)
    return manifest


def restore(
    path: Path, engine: Engine, force: bool = False, settings: Settings | None = None
) -> Restored:
    """Restore a backup into the database; refuses one that holds data unless `force`. Stop the
    app first. Afterwards every table is compared with the manifest."""
    backend = _backend(engine)
    settings = settings or Settings()
    manifest = verify(path, settings)
    if manifest.backend != backend:
        raise BackupError(
            f"{path} is a {manifest.backend} backup; it restores only into {manifest.backend}"
        )
    if _exists(engine) and holds_data(engine) and not force:
        raise BackupError(
            "the target database holds data; restore into an empty one, or give --force to"
            " replace it"
        )
    with _opened(path, settings) as (_, payload):
        if backend == "sqlite":
            restore_sqlite(payload, engine)
        else:
            restore_postgres(payload, engine)
    engine.dispose()
    with engine.connect() as connection:
        tables = summarize(connection)
    compare(manifest.tables, tables, "the restored database")
    return Restored(manifest, tables)


def _exists(engine: Engine) -> bool:
    if engine.dialect.name == "sqlite":
        return sqlite_path(engine).exists()
    return True


def describe(url: str) -> str:
    """The database URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)
