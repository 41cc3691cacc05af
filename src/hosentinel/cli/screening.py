"""Population screening: `hosentinel synth` writes a synthetic Bulk Data export, `hosentinel
screen` screens one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hosentinel.cli.common import fail, parse_as_of, whole_number

screening_app = typer.Typer()


@screening_app.command()
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

    count = whole_number("--patients", patients, 0)
    seed_number = whole_number("--seed", seed, 0)
    lines = whole_number("--max-lines", max_lines, 1)
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


@screening_app.command()
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
    worker_count = whole_number("--workers", workers, 1) if workers is not None else None
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
