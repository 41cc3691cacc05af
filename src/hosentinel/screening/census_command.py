"""`screen DIR --census PATH`: the CLI side of census.py (progress, summary, one-line errors)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.text import Text

from hosentinel.screening.census import CensusError, CensusResult, screen_census
from hosentinel.screening.export import ExportError
from hosentinel.screening.job import NoProgress
from hosentinel.screening.rows import OutputError
from hosentinel.screening.screen import ScreenOptions, Summary
from hosentinel.terminal import plain


def run_census(
    directory: Path,
    out: Path,
    census: Path,
    options: ScreenOptions,
    fail: Callable[[str], NoReturn],
) -> int:
    """Runs the census screen and prints what it did; the exit status."""
    from hosentinel.screening.report import ScreenProgress, print_export_problems

    console = Console()
    try:
        if console.is_terminal:
            with ScreenProgress(console) as progress:
                result = screen_census(directory, out, census, options, progress)
        else:
            result = screen_census(directory, out, census, options, NoProgress())
    except (ExportError, OutputError, CensusError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot screen {directory} into {census}: {exc.strerror or exc}")
    except Exception as exc:  # the engines' and DuckDB's own errors: one line
        fail(f"census failed: {type(exc).__name__}: {exc}")
    print_census(result, console)
    print_export_problems(Summary(result.export, out, options.engine, options.as_of), console)
    failures = result.summary.tally.failures if result.summary else 0
    return 1 if failures or result.export.refused else 0


def print_census(result: CensusResult, console: Console) -> None:
    who = (
        f"all {result.patients:,} patients re-screened ({result.why_everyone})"
        if result.everyone
        else f"{result.reevaluated:,} of {result.patients:,} patients re-screened (changed)"
    )
    lines = [
        f"{result.rows:,} rows -> {result.output}",
        f"census {result.census}: {result.upserted:,} resources merged, {result.removed:,} "
        f"removed ({result.deleted_entries:,} deleted entries); {who}",
    ]
    if result.without_id:
        lines.append(f"{result.without_id:,} resources without an id not kept in the census")
    if result.summary is not None:
        lines.append(f"re-screen: {result.summary.seconds:.1f} s ({result.summary.engine})")
    for line in lines:
        console.print(Text(plain(line, 1000)), highlight=False)
    for warning in result.warnings:
        console.print(Text.assemble(("warning:", "yellow"), f" {plain(warning)}"), highlight=False)
