"""`hosentinel directory`: load the clinician directory (NPPES or FHIR files), synthesize one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hosentinel.cli.common import DatabaseUrl, fail, whole_number

directory_app = typer.Typer(
    no_args_is_help=True, help="The clinician directory: load NPPES or FHIR files, synthesize."
)


@directory_app.command("load")
def directory_load(
    file: Annotated[
        Path, typer.Argument(help="An NPPES NPI downloadable file (CSV) or a FHIR Bundle (JSON).")
    ],
    database: DatabaseUrl = None,
) -> None:
    """Load (upsert) clinicians; bad rows are reported with their line and skipped."""
    from datetime import UTC, datetime

    from hosentinel.directory.fhir_bundle import DirectoryBundleError
    from hosentinel.directory.load import load_file, refresh_statistics
    from hosentinel.directory.nppes import NppesFormatError
    from hosentinel.store.db import default_url, make_engine, make_sessionmaker
    from hosentinel.store.migrate import upgrade

    if not file.is_file():
        fail(f"cannot read {file}: no such file")
    engine = make_engine(database or default_url())
    upgrade(engine)
    try:
        with make_sessionmaker(engine).begin() as session:
            report = load_file(session, file, datetime.now(UTC))
    except (NppesFormatError, DirectoryBundleError) as exc:
        fail(f"{file}: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {file}: {exc}")
    refresh_statistics(engine)
    for problem in report.problems:
        if problem.kind == "bad":
            sys.stderr.write(f"hosentinel: bad row: {problem}\n")
    if report.bad > sum(p.kind == "bad" for p in report.problems):
        sys.stderr.write("hosentinel: (more bad rows not listed)\n")
    sys.stdout.write(report.summary() + "\n")


@directory_app.command("synth")
def directory_synth(
    clinicians: Annotated[str, typer.Option("--clinicians", help="How many clinicians.")],
    seed: Annotated[str, typer.Option("--seed", help="Same seed, same file.")],
    out: Annotated[Path, typer.Option("--out", help="The NPPES-format CSV to write.")],
    near: Annotated[
        list[str] | None,
        typer.Option("--near", help="Only within --radius miles of this ZIP code (repeatable)."),
    ] = None,
    radius: Annotated[float, typer.Option("--radius", help="Miles, with --near.")] = 40.0,
) -> None:
    """Write a synthetic clinician directory in the NPPES file format (nobody real)."""
    from hosentinel.directory.geo import ZipError, zip_place
    from hosentinel.directory.synth import synth_clinicians, write_nppes

    count = whole_number("--clinicians", clinicians, 1)
    seed_number = whole_number("--seed", seed, 0)
    centres = tuple(near or ())
    try:
        for code in centres:
            zip_place(code)
    except ZipError as exc:
        fail(str(exc))
    try:
        with out.open("w", encoding="utf-8", newline="") as stream:
            rows = write_nppes(stream, synth_clinicians(count, seed_number, centres, radius))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    sys.stdout.write(f"wrote {rows} synthetic clinicians to {out}\n")
