"""The `hosentinel` command line.

`hosentinel assess BUNDLE --as-of DATE [--format json|text]` assesses one patient's FHIR Bundle.
`hosentinel demo` assesses the bundled synthetic demo patients (what `make run` shows until the
web app exists). Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import os
import re
import sys
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="HO Sentinel: clinical decision support for heterotopic ossification.",
)

EXIT_BAD_INPUT = 2
# The contract's form, and only it: date.fromisoformat would also take 20250101 and 2025-W01-1.
_AS_OF = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class OutputFormat(StrEnum):
    json = "json"
    text = "text"


def fail(message: str) -> NoReturn:
    """One line on stderr naming the problem, then exit non-zero."""
    first_line = " ".join(message.split())
    sys.stderr.write(f"hosentinel: error: {first_line}\n")
    raise typer.Exit(EXIT_BAD_INPUT)


def parse_as_of(value: str) -> date:
    from hosentinel.fhir.dates import MAX_YEAR, MIN_YEAR

    try:
        if _AS_OF.fullmatch(value) and MIN_YEAR <= int(value[:4]) <= MAX_YEAR:
            return date.fromisoformat(value)
    except ValueError:
        pass
    fail(f"--as-of {value!r} is not a date; use YYYY-MM-DD (years {MIN_YEAR}-{MAX_YEAR})")


@app.command()
def assess(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON) for one patient.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Assess as of this date (YYYY-MM-DD); default today."),
    ] = None,
    output: Annotated[
        OutputFormat, typer.Option("--format", help="json for machines, text for people.")
    ] = OutputFormat.json,
) -> None:
    """Assess one patient's Bundle and print the assessment."""
    # Imported here so `hosentinel --help` starts without loading the engine and its models.
    from hosentinel.core.engine import evaluate
    from hosentinel.fhir.importer import BundleError, read_bundle
    from hosentinel.knowledge.loader import KnowledgeError, default_knowledge

    day = date.today() if as_of is None else parse_as_of(as_of)
    try:
        raw = bundle.read_bytes()
    except OSError as exc:
        fail(f"cannot read {bundle}: {exc.strerror or exc}")
    try:
        knowledge = default_knowledge()
        record = read_bundle(raw, knowledge)
    except BundleError as exc:
        fail(f"{bundle}: {exc}")
    except KnowledgeError as exc:
        fail(f"the knowledge base is invalid: {exc}")
    # Dates are bounded (years 1800-2199) on the way in, so the engine's arithmetic stays in range.
    assessment = evaluate(record, knowledge, day)
    if output is OutputFormat.json:
        sys.stdout.buffer.write(orjson.dumps(assessment.to_json(), option=orjson.OPT_INDENT_2))
        sys.stdout.write("\n")
    else:
        from hosentinel.report import print_assessment

        print_assessment(assessment)


@app.command()
def demo(
    full: Annotated[bool, typer.Option("--full", help="Print every patient's assessment.")] = False,
) -> None:
    """Assess the bundled synthetic demo patients and print the results."""
    from hosentinel.core.engine import evaluate
    from hosentinel.demo.catalog import load_catalog
    from hosentinel.fhir.importer import read_bundle
    from hosentinel.knowledge.loader import default_knowledge
    from hosentinel.report import print_assessment, print_demo_summary

    knowledge = default_knowledge()
    rows = []
    for entry in load_catalog():
        record = read_bundle(entry.path.read_bytes(), knowledge)
        assessment = evaluate(record, knowledge, entry.as_of)
        rows.append((entry, assessment))
        if full:
            print_assessment(assessment, title=entry.title)
    print_demo_summary(rows, knowledge.release, knowledge.digest)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    database: Annotated[
        str | None,
        typer.Option(help="SQLAlchemy URL (default: an SQLite file in the working directory)."),
    ] = None,
    demo_data: Annotated[
        bool, typer.Option("--demo", help="Load the synthetic demo patients and demo users.")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(help="Server processes (one per core serves the most calls).", min=1),
    ] = 1,
    base_url_option: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar="HOSENTINEL_BASE_URL",
            help="Public URL the service is reached at, e.g. behind a TLS proxy "
            "(default http://HOST:PORT).",
        ),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option("--secure-cookies", help="Secure session cookies on an http base URL.")
    ] = False,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(help="Proxies whose X-Forwarded-For is believed (default: none)."),
    ] = None,
) -> None:
    """Run the web app and all services."""
    import uvicorn

    from hosentinel.app.config import AppConfig, public_base_url
    from hosentinel.app.demo import DemoRefused
    from hosentinel.app.exposure import exposure_warning, proxy_options
    from hosentinel.app.main import WORKER_SETTING, create_app
    from hosentinel.notes.warmup import start as notes_warm_up
    from hosentinel.store.db import default_url

    url = database or default_url()
    try:
        base_url = public_base_url(base_url_option, host, port)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--base-url") from None
    config = AppConfig.from_env(
        url, demo=demo_data, base_url=base_url, secure_cookies=secure_cookies
    )
    # This process migrates the database and loads the demo data once, before any worker starts.
    from hosentinel.app.smart.settings import SmartSettingsError

    try:
        application = create_app(config)
    except (SmartSettingsError, DemoRefused) as exc:
        fail(str(exc))
    warning = exposure_warning(host, base_url)
    if warning:
        sys.stderr.write(f"hosentinel: warning: {warning}\n")
    if demo_data:
        sys.stdout.write("Demo users (synthetic, local use only):\n")
        for username, password, role in application.state.demo_users:
            sys.stdout.write(f"  {username:<12} {password:<16} {role}\n")
    processes = f" ({workers} processes)" if workers > 1 else ""
    local = f"http://{host}:{port}"
    listening = f" (listening on {local})" if base_url != local else ""
    sys.stdout.write(f"HO Sentinel on {base_url}/{processes}{listening}\n")
    sys.stdout.flush()
    if workers == 1:
        notes_warm_up(application.state.knowledge)
        uvicorn.run(
            application,
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
            **proxy_options(forwarded_allow_ips),  # type: ignore[arg-type]
        )
        return
    application.state.engine.dispose()
    os.environ[WORKER_SETTING] = json.dumps(
        {"database_url": url, "base_url": base_url, "secure_cookies": secure_cookies}
    )
    uvicorn.run(
        "hosentinel.app.main:worker_app",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        **proxy_options(forwarded_allow_ips),  # type: ignore[arg-type]
    )


@app.command("import")
def import_(
    bundle: Annotated[Path, typer.Argument(help="A FHIR R4 Bundle (JSON) for one patient.")],
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
    ] = None,
) -> None:
    """Store a patient's Bundle in the app's database (idempotent on resource ids)."""
    import orjson

    from hosentinel.fhir.identifiers import bundle_ids
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
        ids = bundle_ids(orjson.loads(bundle.read_bytes())).given()
        written = merge_record(session, record, identifiers=ids)
    for warning in record.stats.warnings:
        sys.stderr.write(f"hosentinel: warning: {warning}\n")
    sys.stdout.write(f"stored {written} resources for Patient/{record.patient.id}\n")


@app.command()
def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to write (a new file).")],
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
    ] = None,
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


@app.command()
def restore(
    backup_file: Annotated[Path, typer.Argument(help="A file written by `hosentinel backup`.")],
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
    ] = None,
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


@app.command()
def export(
    bundle: Annotated[
        Path | None, typer.Argument(help="Assess this Bundle (or use --patient and --database).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="YYYY-MM-DD (default today).")
    ] = None,
    patient: Annotated[str | None, typer.Option(help="A patient id in the database.")] = None,
    database: Annotated[str | None, typer.Option(help="SQLAlchemy URL.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Write the assessment as FHIR R4 resources in a Bundle."""
    from hosentinel.core.engine import evaluate
    from hosentinel.fhir.export import assessment_bundle
    from hosentinel.fhir.importer import BundleError, read_bundle
    from hosentinel.knowledge.loader import default_knowledge

    day = parse_as_of(as_of) if as_of else date.today()
    knowledge = default_knowledge()
    if bundle is not None:
        try:
            record = read_bundle(bundle.read_bytes(), knowledge)
        except OSError as exc:
            fail(f"cannot read {bundle}: {exc.strerror or exc}")
        except BundleError as exc:
            fail(f"{bundle}: {exc}")
    elif patient is not None:
        from hosentinel.store.db import default_url, make_engine, make_sessionmaker
        from hosentinel.store.records import load_record

        engine = make_engine(database or default_url())
        with make_sessionmaker(engine)() as session:
            found = load_record(session, patient)
        if found is None:
            fail(f"no patient {patient!r} in the database")
        record = found
    else:
        fail("give a BUNDLE file, or --patient ID (with --database)")
    payload = orjson.dumps(
        assessment_bundle(evaluate(record, knowledge, day), knowledge), option=orjson.OPT_INDENT_2
    )
    if out is not None:
        out.write_bytes(payload + b"\n")
    else:
        sys.stdout.buffer.write(payload + b"\n")


@app.command()
def knowledge() -> None:
    """Show the knowledge release, its digest, what it holds and the local settings."""
    from hosentinel.knowledge.loader import KnowledgeError, default_knowledge
    from hosentinel.report import print_knowledge

    try:
        loaded = default_knowledge()
    except KnowledgeError as exc:
        fail(f"the knowledge base is invalid: {exc}")
    print_knowledge(loaded)


def _whole_number(option: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        fail(f"{option} {value!r} is not a whole number")
    if number < minimum:
        fail(f"{option} must be at least {minimum}, not {number}")
    return number


@app.command()
def synth(
    patients: Annotated[str, typer.Option("--patients", help="How many patients.")],
    seed: Annotated[str, typer.Option("--seed", help="Same seed, same bytes.")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the NDJSON files.")],
    as_of: Annotated[
        str, typer.Option("--as-of", help="The export's date: nothing is dated after it.")
    ] = "2025-12-01",
    gzip: Annotated[bool, typer.Option("--gzip", help="Write .ndjson.gz files.")] = False,
    max_lines: Annotated[
        str, typer.Option("--max-lines", help="Lines per file before the next file of a type.")
    ] = "50000",
    scenario_share: Annotated[
        str, typer.Option("--scenario-share", help="Share of patients with an HO story (0-1).")
    ] = "0.2",
    note_share: Annotated[
        float,
        typer.Option("--note-share", min=0.0, max=1.0, help="Share of patients with notes (0-1)."),
    ] = 0.0,
) -> None:
    """Write a synthetic FHIR Bulk Data export (NDJSON per resource type and a manifest)."""
    import time

    from rich.console import Console

    from hosentinel.screening.report import print_synth
    from hosentinel.screening.synth import SynthOptions, synthesize

    count = _whole_number("--patients", patients, 0)
    seed_number = _whole_number("--seed", seed, 0)
    lines = _whole_number("--max-lines", max_lines, 1)
    try:
        share = float(scenario_share)
    except ValueError:
        share = -1.0
    if not 0.0 <= share <= 1.0:
        fail(f"--scenario-share {scenario_share!r} is not a number from 0 to 1")
    if out.exists() and not out.is_dir():
        fail(f"{out} exists and is not a directory")
    if out.is_dir() and any(
        p.name.endswith((".ndjson", ".ndjson.gz", "manifest.json")) for p in out.iterdir()
    ):
        fail(f"{out} already holds an export; give an empty or new directory")
    options = SynthOptions(count, seed_number, parse_as_of(as_of), gzip, lines, share, note_share)
    started = time.perf_counter()
    try:
        result = synthesize(out, options)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    print_synth(result, time.perf_counter() - started, Console())


@app.command()
def screen(
    directory: Annotated[Path, typer.Argument(help="A Bulk Data export: *.ndjson / *.ndjson.gz.")],
    as_of: Annotated[str, typer.Option("--as-of", help="Screen as of this date (YYYY-MM-DD).")],
    out: Annotated[Path, typer.Option("--out", help="Rows to write: FILE.csv or FILE.parquet.")],
    engine: Annotated[str, typer.Option("--engine", help="duckdb (embedded) or spark.")] = "duckdb",
    validate: Annotated[
        bool, typer.Option("--validate", help="Check each resource read with the FHIR models.")
    ] = False,
    workers: Annotated[
        str | None, typer.Option("--workers", help="DuckDB: processes running the assessments.")
    ] = None,
    memory_limit: Annotated[
        str, typer.Option("--memory-limit", help="DuckDB: memory before it spills to disk.")
    ] = "512MB",
    spark_master: Annotated[
        str | None,
        typer.Option(
            "--spark-master",
            help="Spark: a cluster URL (default $HOSENTINEL_SPARK_MASTER, else local[*]).",
        ),
    ] = None,
    into_app: Annotated[
        str | None,
        typer.Option(
            "--into-app",
            metavar="UNIT",
            help="Also load the patients who need the team into this unit's worklist in the app.",
        ),
    ] = None,
    database: Annotated[
        str | None,
        typer.Option(help="--into-app: the app's SQLAlchemy URL (default: the file of `serve`)."),
    ] = None,
    census: Annotated[
        Path | None,
        typer.Option(
            "--census",
            help="Merge DIR (e.g. a --since export) into this census (.duckdb file or Parquet "
            "folder) and re-screen only the patients it changes; rows for all.",
        ),
    ] = None,
) -> None:
    """Screen a whole Bulk Data export: one row per patient (risk, phase, suspicion, due, ...)."""
    from rich.console import Console

    from hosentinel.screening.export import ExportError
    from hosentinel.screening.job import NoProgress
    from hosentinel.screening.report import ScreenProgress, print_loaded, print_summary
    from hosentinel.screening.rows import OutputError
    from hosentinel.screening.screen import ScreenOptions
    from hosentinel.screening.screen import screen as run_screen

    day = parse_as_of(as_of)
    if engine not in ("duckdb", "spark"):
        fail(f"--engine {engine!r} is not duckdb or spark")
    if engine == "spark":
        import importlib.util

        if importlib.util.find_spec("pyspark") is None:
            fail("--engine spark needs PySpark: install hosentinel with the 'spark' extra")
    worker_count = _whole_number("--workers", workers, 1) if workers is not None else None
    options = ScreenOptions(
        as_of=day,
        engine="spark" if engine == "spark" else "duckdb",
        validate=validate,
        workers=worker_count,
        memory_limit=memory_limit,
        spark_master=spark_master,
    )
    if database is not None and into_app is None:
        fail("--database is for --into-app UNIT")
    if census is not None:
        if into_app is not None:
            fail("--census and --into-app go separately")
        from hosentinel.screening.census_command import run_census

        raise typer.Exit(run_census(directory, out, census, options, fail))
    loader = None
    if into_app is not None:
        from hosentinel.knowledge.loader import default_knowledge
        from hosentinel.screening.into_app import IntoAppError, WorklistLoader
        from hosentinel.store.db import default_url

        try:
            loader = WorklistLoader(database or default_url(), into_app, default_knowledge(), day)
        except IntoAppError as exc:
            fail(str(exc))
    console = Console()
    try:
        if console.is_terminal:
            with ScreenProgress(console) as progress:
                summary = run_screen(directory, out, options, progress, into=loader)
        else:
            summary = run_screen(directory, out, options, NoProgress(), into=loader)
    except (ExportError, OutputError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot screen {directory}: {exc.strerror or exc}")
    except Exception as exc:  # the engine's own errors (DuckDB, Spark, Java): one line
        fail(f"{engine} failed: {type(exc).__name__}: {exc}")
    finally:
        if loader is not None:
            loader.close()
    print_summary(summary, console)
    if loader is not None:
        print_loaded(loader.loaded, console)
    failed = summary.tally.failures or summary.export.refused
    if failed or (loader is not None and loader.loaded.failures):
        raise typer.Exit(1)


directory_app = typer.Typer(
    no_args_is_help=True, help="The clinician directory: load NPPES or FHIR files, synthesize."
)
app.add_typer(directory_app, name="directory")

from hosentinel.bulk.command import bulk_app  # noqa: E402 (registered next to directory)

app.add_typer(bulk_app, name="bulk")


@directory_app.command("load")
def directory_load(
    file: Annotated[
        Path, typer.Argument(help="An NPPES NPI downloadable file (CSV) or a FHIR Bundle (JSON).")
    ],
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
    ] = None,
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

    count = _whole_number("--clinicians", clinicians, 1)
    seed_number = _whole_number("--seed", seed, 0)
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


user_app = typer.Typer(no_args_is_help=True, help="Accounts: create users from the command line.")
app.add_typer(user_app, name="user")


@user_app.command("create")
def user_create(
    name: Annotated[str, typer.Argument(help="The username to sign in with.")],
    role: Annotated[str, typer.Option("--role", help="physiatrist, therapist, nurse, ...")],
    unit: Annotated[
        str | None, typer.Option("--unit", help="The unit whose patients a clinician sees.")
    ] = None,
    npi: Annotated[
        str | None, typer.Option("--npi", help="A clinician's NPI, for the letters they sign.")
    ] = None,
    database: Annotated[
        str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create an account (the first admin of an empty database, or any later one)."""
    from hosentinel.app.accounts import AccountError, create_user
    from hosentinel.store.db import default_url, make_engine, make_sessionmaker
    from hosentinel.store.migrate import upgrade

    if not password_stdin:
        fail("give the password on standard input with --password-stdin (never as an argument)")
    password = sys.stdin.readline().rstrip("\r\n")
    engine = make_engine(database or default_url())
    try:
        upgrade(engine)
        with make_sessionmaker(engine).begin() as session:
            user = create_user(session, name, role, password, unit, npi)
            where = f" in unit {user.unit}" if user.unit else ""
    except AccountError as exc:
        fail(str(exc))
    finally:
        engine.dispose()
    sys.stdout.write(f"created user {name} ({role}{where})\n")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
