"""Load a directory file (NPPES CSV or FHIR Bundle JSON) into the database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from hosentinel.directory.fhir_bundle import read_directory_bundle
from hosentinel.directory.nppes import read_nppes
from hosentinel.directory.records import LoadReport
from hosentinel.directory.store import upsert


def load_file(session: Session, path: Path, at: datetime) -> LoadReport:
    """By the content: a file starting with "{" is a FHIR Bundle, anything else NPPES CSV.
    NppesFormatError / DirectoryBundleError when it is neither; row problems are in the report."""
    with path.open("rb") as probe:
        head = probe.read(64).lstrip()
    if head.startswith(b"{"):
        return upsert(session, read_directory_bundle(path.read_bytes()), at)
    # utf-8-sig: a byte-order mark before the header is dropped; NPPES itself writes plain UTF-8.
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return upsert(session, read_nppes(stream), at)


DIRECTORY_TABLES = ("clinicians", "clinician_taxonomies", "clinician_search")


def refresh_statistics(engine: Engine) -> None:
    """After a large load: the planner's statistics, and on PostgreSQL the visibility map too
    (VACUUM), without which the covering index cannot answer a search on its own."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in DIRECTORY_TABLES:
            if engine.dialect.name == "postgresql":
                connection.execute(text(f"VACUUM ANALYZE {table}"))
            else:
                connection.execute(text(f"ANALYZE {table}"))
