"""What `screen` and `synth` show a person: a Rich progress bar on a terminal, then the counts."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Self

from rich.console import Console
from rich.markup import escape
from rich.progress import TaskID
from rich.table import Table
from rich.text import Text

from hosentinel.progress import ProgressDisplay
from hosentinel.screening.screen import Summary
from hosentinel.terminal import plain

if TYPE_CHECKING:  # (not imported by `screen`: synth loads the scenarios)
    from hosentinel.screening.into_app import Loaded
    from hosentinel.screening.synth import SynthResult

_OUTCOMES = {
    "risk_level": ("high", "moderate", "low"),
    "suspicion": ("confirmed", "probable", "possible"),
    "phase": ("in-window", "before-window", "after-window"),
    "due": ("exams due",),
}
_STATUS_WORDS = {
    "patient": "Patient resources",
    "kept": "read for assessment",
    "skipped": "nothing the assessment uses",
    "other": "resource types assess does not read",
    "unassigned": "no patient to assign to",
    "bad": "bad lines (not a FHIR resource)",
    "blank": "blank lines",
}


class ScreenProgress(ProgressDisplay):
    """Two bars: the engine's pass over the export, then patients through `evaluate`."""

    def __init__(self, console: Console) -> None:
        super().__init__(console)
        self._scan: TaskID | None = None
        self._patients: TaskID | None = None

    def __enter__(self) -> Self:
        super().__enter__()
        self._scan = self._progress.add_task("reading the export", total=100)
        return self

    def scanning(self, fraction: float | None) -> None:
        if self._scan is not None and fraction is not None:
            self._progress.update(self._scan, completed=round(100 * fraction))

    def screened(self, patients: int) -> None:
        if self._patients is None:
            self._patients = self._progress.add_task("assessing patients", total=None)
        self._progress.advance(self._patients, patients)


def print_summary(summary: Summary, console: Console) -> None:
    tally = summary.tally
    statuses = summary.lines_by_status()
    rate = summary.rows / summary.seconds if summary.seconds else 0.0
    console.print(
        f"[bold]{summary.rows}[/bold] patients screened as of {summary.as_of.isoformat()} "
        f"-> {escape(plain(str(summary.output), 1000))} ({summary.engine}, "
        f"{summary.seconds:.1f} s, {rate:,.0f} patients/s)"
    )
    lines = Table(title="Lines", show_header=True, header_style="bold")
    lines.add_column("lines")
    lines.add_column("count", justify="right")
    for status, words in _STATUS_WORDS.items():
        if statuses.get(status):
            lines.add_row(words, f"{statuses[status]:,}")
    console.print(lines)
    bad = summary.bad_lines_by_file()
    if any(bad.values()):
        files = Table(title="Bad lines per file", header_style="bold")
        files.add_column("file")
        files.add_column("bad lines", justify="right")
        for name, n in bad.items():
            if n:
                files.add_row(Text(plain(name)), f"{n:,}")
        console.print(files)
    outcome = Table(title="Patients", header_style="bold")
    outcome.add_column("")
    outcome.add_column("patients", justify="right")
    for column, values in _OUTCOMES.items():
        for value in values:
            n = tally.results.get((column, value), 0)
            if n:
                outcome.add_row(f"{column.replace('_', ' ')}: {value}", f"{n:,}")
    console.print(outcome)
    results = Table(title="Counts", header_style="bold")
    results.add_column("")
    results.add_column("count", justify="right")
    for label, count in _result_counts(summary).items():
        results.add_row(label, f"{count:,}")
    console.print(results)
    for message in tally.messages:
        console.print(Text.assemble(("failed:", "red"), " ", plain(message)), highlight=False)
    print_export_problems(summary, console)


def print_export_problems(summary: Summary, console: Console) -> None:
    """Files not screened (past a cap) and files left out, each on its own line."""
    for name, why in summary.export.refused:
        line = Text.assemble(("not screened:", "bold red"), f" {plain(name)}: {plain(why)}")
        console.print(line, highlight=False)
    for warning in summary.export.warnings:
        console.print(Text.assemble(("warning:", "yellow"), f" {plain(warning)}"), highlight=False)


def _result_counts(summary: Summary) -> dict[str, int]:
    tally = summary.tally
    counts = {
        "rows written": summary.rows,
        "patients with no clinical entry (one shared result per sex)": tally.reused_rows,
        "resources skipped as assess skips them": tally.ignored_resources,
        "resources with a malformed date (skipped)": tally.bad_dates,
        "resource ids repeated for a patient (read once)": tally.duplicate_resources,
        "Patient ids on more than one line": tally.duplicate_patients,
        "patients referenced but not in the export": tally.orphan_patients,
        "  their resources": tally.orphan_resources,
        "codes the knowledge base does not know (in resources read)": tally.unknown_codes,
        "Patients failing the FHIR check (--validate)": tally.invalid_patients,
        "patients whose assessment failed": tally.failures,
    }
    return {k: v for k, v in counts.items() if v or k == "rows written"}


def print_synth(result: SynthResult, seconds: float, console: Console) -> None:
    by_type: Counter[str] = Counter()
    for f in result.files:
        by_type[f.type] += f.count
    console.print(
        f"[bold]{result.patients:,}[/bold] patients ({result.scenario_patients:,} with an HO "
        f"story), {result.resources:,} resources in {len(result.files)} files -> {result.out} "
        f"({seconds:.1f} s)"
    )
    table = Table(header_style="bold")
    table.add_column("resource type")
    table.add_column("resources", justify="right")
    for rtype, n in sorted(by_type.items()):
        table.add_row(rtype, f"{n:,}")
    console.print(table)


def print_loaded(loaded: Loaded, console: Console) -> None:
    """What `--into-app` put on the unit's worklist."""
    console.print(
        f"[bold]{loaded.patients}[/bold] patients who need the team are on the "
        f"{escape(loaded.unit)} worklist ({loaded.new_patients} new, "
        f"{loaded.resources:,} resources stored)"
    )
    if loaded.failures:
        console.print(f"[red]{loaded.failures} patients could not be stored:[/red]")
        for message in loaded.messages:
            console.print(f"  {escape(message)}")
