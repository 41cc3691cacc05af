"""`hosentinel synth` and `hosentinel screen` from the command line."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hosentinel.cli import EXIT_BAD_INPUT, app
from hosentinel.screening.patients import Row, needs_the_team
from tests.support.screenkit import read_rows

PLAIN = {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}


def one_line(stderr: str) -> str:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("hosentinel: error: ")
    return lines[0]


def test_synth_then_screen(tmp_path: Path) -> None:
    runner = CliRunner(env=PLAIN)
    made = runner.invoke(
        app,
        ["synth", "--patients", "40", "--seed", "3", "--out", str(tmp_path / "x"), "--gzip"],
    )
    assert made.exit_code == 0, made.stderr
    assert "40 patients (8 with an HO story)" in made.stdout
    assert sorted(p.name for p in (tmp_path / "x").iterdir())[-1] == "manifest.json"
    assert all(p.suffix == ".gz" for p in (tmp_path / "x").glob("*.ndjson*"))
    out = tmp_path / "rows.parquet"
    result = runner.invoke(
        app, ["screen", str(tmp_path / "x"), "--as-of", "2025-12-01", "--out", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    assert "40 patients screened as of 2025-12-01" in result.stdout
    assert "rows written" in result.stdout
    assert len(read_rows(out)) == 40


SYNTH = "synth --patients 5 --seed 1 --out {tmp}/a"
SCREEN = "screen {tmp}/full --as-of 2025-12-01 --out {tmp}/r.csv"


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("synth --patients ten --seed 1 --out {tmp}/a", "not a whole number"),
        ("synth --patients -1 --seed 1 --out {tmp}/a", "at least 0"),
        (SYNTH + " --scenario-share 2", "from 0 to 1"),
        (SYNTH + " --as-of soon", "not a date"),
        ("synth --patients 5 --seed 1 --out {tmp}/full", "already holds an export"),
        ("screen {tmp}/missing --as-of 2025-12-01 --out {tmp}/r.csv", "not a directory"),
        ("screen {tmp}/empty --as-of 2025-12-01 --out {tmp}/r.csv", "no .ndjson"),
        ("screen {tmp}/full --as-of 2025-12-01 --out {tmp}/r.xlsx", ".csv or .parquet"),
        ("screen {tmp}/full --as-of 12/01/2025 --out {tmp}/r.csv", "not a date"),
        (SCREEN + " --engine polars", "not duckdb or spark"),
        (SCREEN + " --workers 0", "at least 1"),
        ("screen {tmp}/full --as-of 2025-12-01 --out {tmp}/no/r.csv", "not a directory"),
        (SCREEN + " --database sqlite:///{tmp}/app.db", "--database is for --into-app"),
        (SCREEN + " --into-app '' --database sqlite:///{tmp}/app.db", "unit name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, command: str, words: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "Patient.000.ndjson").write_text('{"resourceType":"Patient","id":"a"}\n')
    args = shlex.split(command.replace("{tmp}", str(tmp_path)))
    result = CliRunner(env=PLAIN).invoke(app, args)
    assert result.exit_code == EXIT_BAD_INPUT
    assert words in one_line(result.stderr)


def test_bad_lines_are_reported_not_fatal(tmp_path: Path) -> None:
    export = tmp_path / "export"
    export.mkdir()
    (export / "Patient.000.ndjson").write_text(
        '{"resourceType":"Patient","id":"a"}\n{oops\n{"resourceType":"Patient","id":"b"}\n'
    )
    (export / "Condition.000.ndjson").write_text("not json\n")
    result = CliRunner(env=PLAIN).invoke(
        app, ["screen", str(export), "--as-of", "2025-12-01", "--out", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 0, result.stderr
    assert "Bad lines per file" in result.stdout
    assert "Patient.000.ndjson" in result.stdout and "Condition.000.ndjson" in result.stdout
    assert [row["patient"] for row in read_rows(tmp_path / "r.csv")] == ["Patient/a", "Patient/b"]


def test_screen_into_app_fills_the_units_worklist(tmp_path: Path) -> None:
    runner = CliRunner(env=PLAIN)
    synth = ["synth", "--patients", "40", "--seed", "3", "--out", f"{tmp_path}/x"]
    made = runner.invoke(app, synth)
    assert made.exit_code == 0, made.stderr
    database = f"sqlite:///{tmp_path}/app.db"
    args = ["screen", f"{tmp_path}/x", "--as-of", "2025-12-01", "--out", f"{tmp_path}/r.csv"]
    result = runner.invoke(app, [*args, "--into-app", "Brain injury unit", "--database", database])
    assert result.exit_code == 0, result.stderr
    flagged = [row for row in read_rows(tmp_path / "r.csv") if needs_the_team(Row(**row))]
    assert flagged
    assert f"{len(flagged)} patients who need the team are on the Brain injury unit worklist" in (
        " ".join(result.stdout.split())
    )
    with sqlite3.connect(tmp_path / "app.db") as db:
        units = db.execute("SELECT unit, count(*) FROM patients GROUP BY unit").fetchall()
    assert units == [("Brain injury unit", len(flagged))]
