"""The app's database from the command line: `import` a Bundle, `backup`, `restore`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hosentinel.cli.common import DatabaseUrl, fail

database_app = typer.Typer()


@database_app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON) for one patient.")],
    database: DatabaseUrl = None,
) -> None:
    """Store a patient's Bundle in the app's database (idempotent on resource ids)."""
    from hosentinel.fhir.importer import BundleError, read_bundle
    from hosentinel.knowledge.loader import default_knowledge
    from hosentinel.store.db import default_url, make_engine, make_sessionmaker
    from hosentinel.store.merge import merge_record
    from hosentinel.store.migrate import upgrade

    try:
        record = read_bundle(bundle.read_bytes(), default_knowledge(), strict_dates=False)
    except OSError as exc:
        fail(f"cannot read {bundle}: {exc.strerror or exc}")
    except BundleError as exc:
        fail(f"{bundle}: {exc}")
    engine = make_engine(database or default_url())
    upgrade(engine)
    with make_sessionmaker(engine).begin() as session:
        written = merge_record(session, record)
    for warning in record.stats.warnings:
        sys.stderr.write(f"hosentinel: warning: {warning}\n")
    sys.stdout.write(f"stored {written} resources for Patient/{record.patient.id}\n")


@database_app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (a new file).")],
    database: DatabaseUrl = None,
) -> None:
    """Back up the app's database (safe while the app runs), then verify the backup."""
    from hosentinel.store import backup as b
    from hosentinel.store.db import default_url, make_engine

    url = database or default_url()
    engine = make_engine(url)
    try:
        manifest = b.backup(engine, out)
    except b.BackupError as exc:
        fail(str(exc))
    except Exception as exc:  # the database's own errors (unreachable, refused): one line
        fail(f"cannot back up {b.describe(url)}: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    sys.stdout.write(
        f"backed up {b.describe(url)} to {out}: {len(manifest.tables)} tables,"
        f" {manifest.rows} rows, schema {manifest.revision}; verified"
        f" (sha256 {manifest.payload_sha256[:16]}…)\n"
    )


@database_app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `hosentinel backup`.")],
    database: DatabaseUrl = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds data.")
    ] = False,
) -> None:
    """Restore a backup into the database (stop the app first), then compare every table with
    the backup's manifest."""
    from hosentinel.store import backup as b
    from hosentinel.store.db import default_url, make_engine

    url = database or default_url()
    engine = make_engine(url)
    try:
        restored = b.restore(backup_file, engine, force=force)
    except b.BackupError as exc:
        fail(str(exc))
    except Exception as exc:
        fail(f"cannot restore into {b.describe(url)}: {type(exc).__name__}: {exc}")
    finally:
        engine.dispose()
    manifest = restored.manifest
    sys.stdout.write(
        f"restored {backup_file} (made {manifest.created_at}) into {b.describe(url)}:"
        f" {len(restored.tables)} tables, {manifest.rows} rows, each table's rows identical to"
        f" the backup's\n"
    )
