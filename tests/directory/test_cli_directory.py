"""`hosentinel directory synth` and `hosentinel directory load`, in process (Typer's CliRunner)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from hosentinel.cli import EXIT_BAD_INPUT, app
from hosentinel.store import models as m
from hosentinel.store.db import make_engine


def test_synth_then_load_twice_is_an_upsert(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "synthetic.csv"
    made = runner.invoke(
        app, ["directory", "synth", "--clinicians", "40", "--seed", "2", "--out", str(out)]
    )
    assert made.exit_code == 0, made.output
    assert "wrote 40 synthetic clinicians" in made.output
    with out.open("a", encoding="utf-8") as f:  # a row whose NPI fails the check digit
        f.write('"1234567890","1","DOE","JO","","","1 A ST","","X","IL","60611"\n')
    url = f"sqlite:///{tmp_path / 'app.db'}"
    first = runner.invoke(app, ["directory", "load", str(out), "--database", url])
    assert first.exit_code == 0, first.output
    assert "40 clinicians loaded (40 new, 0 updated); 1 bad rows; 0 skipped" in first.stdout
    assert "bad row: line 42 NPI 1234567890: NPI fails the check digit" in first.stderr
    again = runner.invoke(app, ["directory", "load", str(out), "--database", url])
    assert "40 clinicians loaded (0 new, 40 updated)" in again.stdout
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(m.Clinician)).scalar() == 40
    engine.dispose()


def test_load_names_what_is_wrong(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'app.db'}"
    not_nppes = tmp_path / "other.csv"
    not_nppes.write_text("a,b\n1,2\n")
    result = runner.invoke(app, ["directory", "load", str(not_nppes), "--database", url])
    assert result.exit_code == EXIT_BAD_INPUT
    assert "not an NPPES NPI file: missing column(s) 'NPI'" in result.stderr
    missing = runner.invoke(app, ["directory", "load", str(tmp_path / "nope.csv")])
    assert missing.exit_code == EXIT_BAD_INPUT and "no such file" in missing.stderr
    bundle = tmp_path / "patient.json"
    bundle.write_text('{"resourceType": "Patient"}')
    result = runner.invoke(app, ["directory", "load", str(bundle), "--database", url])
    assert result.exit_code == EXIT_BAD_INPUT and "not a FHIR Bundle" in result.stderr
    bad_zip = runner.invoke(
        app,
        ["directory", "synth", "--clinicians", "3", "--seed", "1", "--near", "00000", "--out",
         str(tmp_path / "x.csv")],
    )  # fmt: skip
    assert bad_zip.exit_code == EXIT_BAD_INPUT and "00000 does not exist" in bad_zip.stderr
