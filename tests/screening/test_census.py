"""`screen DIR --census PATH`: a night's export merged into the census, only the patients it
changes re-screened, and the rows equal a full screen of the merged data (DuckDB and Spark;
a DuckDB-file census and a Parquet-folder census)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from hosentinel.cli import app
from hosentinel.screening.census import screen_census
from hosentinel.screening.screen import ScreenOptions, screen
from hosentinel.screening.synth import SynthOptions, synthesize
from tests.support.screenkit import read_rows

AS_OF = date(2025, 12, 1)
PATIENTS = 160


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("census-base") / "export"
    synthesize(out, SynthOptions(patients=PATIENTS, seed=23, max_lines=1500))
    return out


def resources(directory: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(directory.glob("*.ndjson")):
        for line in path.read_bytes().splitlines():
            if line.strip():
                yield path, orjson.loads(line)


def subject(resource: dict[str, Any]) -> str | None:
    holder = resource.get(
        "patient" if resource["resourceType"] == "AllergyIntolerance" else "subject"
    )
    ref = holder.get("reference") if isinstance(holder, dict) else None
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


@pytest.fixture(scope="module")
def night(base: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, set[str]]:
    """A night's changes to `base` as a Bulk export (with a `deleted` file), the merged data as
    a plain export, and the patients the changes touch."""
    root = tmp_path_factory.mktemp("census-night")
    delta, merged = root / "delta", root / "merged"
    delta.mkdir()
    merged.mkdir()
    everything = list(resources(base))
    conditions = [r for _, r in everything if r["resourceType"] == "Condition" and subject(r)]
    patients = [r for _, r in everything if r["resourceType"] == "Patient"]
    touched: set[str] = set()
    updates: dict[tuple[str, str], dict[str, Any]] = {}
    # 1. Conditions that change code (a carried one leaves the census; a plain one may join).
    for condition in conditions[:6]:
        changed = copy.deepcopy(condition)
        changed["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}
        updates[("Condition", changed["id"])] = changed
        touched.add(subject(condition) or "")
    # 2. A Condition moved to another patient (same id): both patients change.
    moved = copy.deepcopy(conditions[10])
    moved["subject"] = {"reference": f"Patient/{patients[0]['id']}"}
    updates[("Condition", moved["id"])] = moved
    touched |= {subject(conditions[10]) or "", patients[0]["id"]}
    # 3. New resources: another patient's HO-relevant Conditions copied to patient 1.
    new = []
    for i, condition in enumerate(conditions[20:40]):
        added = copy.deepcopy(condition) | {"id": f"night-new-{i}"}
        added["subject"] = {"reference": f"Patient/{patients[1]['id']}"}
        new.append(added)
    touched.add(patients[1]["id"])
    # 4. Deleted: patient 2 (their row goes) and one Condition of patient 3's.
    gone = {("Patient", patients[2]["id"])}
    theirs = [c for c in conditions if subject(c) == patients[3]["id"]]
    if theirs:
        gone.add(("Condition", theirs[0]["id"]))
    touched |= {patients[2]["id"], patients[3]["id"]}
    # The delta export: changed and new resources, a manifest with output and deleted entries.
    lines = [orjson.dumps(r) for r in [*updates.values(), *new]]
    (delta / "Condition.000.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [{"request": {"method": "DELETE", "url": f"{t}/{i}"}} for t, i in sorted(gone)],
    }
    (delta / "Bundle.deleted.ndjson").write_bytes(orjson.dumps(bundle) + b"\n")
    manifest = {
        "transactionTime": "2025-12-01T02:00:00Z",
        "request": "https://ehr.example/fhir/$export?_since=2025-11-30T02:00:00Z",
        "requiresAccessToken": True,
        "output": [{"type": "Condition", "url": "Condition.000.ndjson"}],
        "deleted": [{"type": "Bundle", "url": "Bundle.deleted.ndjson"}],
        "error": [],
    }
    (delta / "manifest.json").write_text(json.dumps(manifest))
    # The merged data, built here independently: in place, deletions out, new ones last.
    for path in sorted(base.glob("*.ndjson")):
        out = []
        for line in path.read_bytes().splitlines():
            resource = orjson.loads(line)
            key = (resource["resourceType"], resource.get("id"))
            if key in gone:
                continue
            out.append(orjson.dumps(updates[key]) if key in updates else line)
        (merged / path.name).write_bytes(b"\n".join(out) + b"\n")
    (merged / "zz-night.ndjson").write_bytes(b"\n".join(orjson.dumps(r) for r in new) + b"\n")
    return delta, merged, touched


def full(directory: Path, out: Path, **options: Any) -> list[dict[str, str]]:
    screen(directory, out, ScreenOptions(as_of=AS_OF, **options))
    return read_rows(out)


@pytest.mark.parametrize("kind", ["census.duckdb", "census-parquet"])
def test_a_night_merged_equals_a_full_screen_of_the_merged_data(
    kind: str, base: Path, night: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    delta, merged, touched = night
    census = tmp_path / kind
    options = ScreenOptions(as_of=AS_OF)
    first = screen_census(base, tmp_path / "first.csv", census, options)
    assert first.everyone and first.patients == PATIENTS and first.rows == PATIENTS
    assert read_rows(tmp_path / "first.csv") == full(base, tmp_path / "base.csv")

    second = screen_census(delta, tmp_path / "second.csv", census, options)
    assert not second.everyone
    assert second.deleted_entries == 2
    assert 0 < second.reevaluated <= len(touched)
    expected = full(merged, tmp_path / "merged.csv")
    got = read_rows(tmp_path / "second.csv")
    assert got == expected
    assert got != read_rows(tmp_path / "first.csv")  # the night did change rows
    assert len(got) == PATIENTS - 1  # the deleted patient's row is gone

    # The same night again changes nothing further.
    screen_census(delta, tmp_path / "third.csv", census, options)
    assert read_rows(tmp_path / "third.csv") == expected


def test_another_day_rescreens_everyone_from_the_census(
    base: Path, night: tuple[Path, Path, set[str]], tmp_path: Path
) -> None:
    delta, merged, _ = night
    census = tmp_path / "c.duckdb"
    screen_census(base, tmp_path / "a.csv", census, ScreenOptions(as_of=AS_OF))
    later = ScreenOptions(as_of=date(2026, 3, 1))
    result = screen_census(delta, tmp_path / "b.csv", census, later)
    assert result.everyone and "as of 2025-12-01" in result.why_everyone
    screen(merged, tmp_path / "m.csv", later)
    assert read_rows(tmp_path / "b.csv") == read_rows(tmp_path / "m.csv")


def test_census_on_spark(base: Path, night: tuple[Path, Path, set[str]], tmp_path: Path) -> None:
    from hosentinel.screening.spark_engine import stop_session

    delta, merged, _ = night
    census = tmp_path / "c.duckdb"
    spark = ScreenOptions(as_of=AS_OF, engine="spark", spark_master="local[2]")
    try:
        screen_census(base, tmp_path / "a.csv", census, spark)
        screen_census(delta, tmp_path / "b.csv", census, spark)
    finally:
        stop_session()
    assert read_rows(tmp_path / "b.csv") == full(merged, tmp_path / "m.csv")


def test_the_command_line(base: Path, night: tuple[Path, Path, set[str]], tmp_path: Path) -> None:
    delta, _, _ = night
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})
    census = tmp_path / "census.duckdb"
    args = ["--as-of", AS_OF.isoformat(), "--census", str(census)]
    first = runner.invoke(app, ["screen", str(base), "--out", str(tmp_path / "a.csv"), *args])
    assert first.exit_code == 0, first.output
    assert f"all {PATIENTS} patients re-screened (a new census)" in first.stdout
    second = runner.invoke(app, ["screen", str(delta), "--out", str(tmp_path / "b.csv"), *args])
    assert second.exit_code == 0, second.output
    assert "patients re-screened (changed)" in second.stdout
    bad = runner.invoke(
        app,
        [
            "screen",
            str(delta),
            "--out",
            str(tmp_path / "c.csv"),
            *args[:2],
            "--census",
            str(base / "manifest.json"),
        ],
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    shutil.rmtree(tmp_path / "nothing", ignore_errors=True)


def test_the_last_version_in_export_order_is_kept(tmp_path: Path) -> None:
    """A resource written twice in one export (here in two files: an export is read in file
    order) is kept as its last version, whatever order DuckDB's threads read the files in."""
    import duckdb

    export = tmp_path / "export"
    export.mkdir()
    patient = {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1980-01-01"}
    versions = ["Traumatic spinal cord injury", "Stroke"]
    (export / "Patient.000.ndjson").write_bytes(orjson.dumps(patient) + b"\n")
    for n, text in enumerate(versions):
        condition = {
            "resourceType": "Condition",
            "id": "c1",
            "subject": {"reference": "Patient/p"},
            "code": {"text": text},
            "onsetDateTime": "2025-11-01",
        }
        (export / f"Condition.00{n}.ndjson").write_bytes(orjson.dumps(condition) + b"\n")
    for run in range(5):  # the reordering showed in about one run of three
        census = tmp_path / f"census-{run}.duckdb"
        screen_census(export, tmp_path / f"rows-{run}.csv", census, ScreenOptions(as_of=AS_OF))
        con = duckdb.connect(str(census), read_only=True)
        (line,) = con.execute("SELECT line FROM resources WHERE id = 'c1'").fetchone() or (None,)
        con.close()
        assert line is not None and "Stroke" in line, line
