"""`screen` on DuckDB: one row per patient, the same as `assess` gives, whatever the files."""

from __future__ import annotations

import gzip
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening.export import ExportError
from hosentinel.screening.rows import OutputError
from hosentinel.screening.screen import ScreenOptions, screen
from tests.support.screenkit import (
    AS_OF,
    SMALL,
    SYNTHEA,
    ExportRun,
    assess,
    bundles,
    corrupted_copy,
    expected_row,
    read_rows,
    run,
    write_ndjson,
)


@pytest.fixture(scope="module")
def screened(small_export: ExportRun, tmp_path_factory: pytest.TempPathFactory) -> Any:
    out = tmp_path_factory.mktemp("screened") / "rows.csv"
    return run(small_export.directory, out)


def test_one_row_per_patient_sorted_by_id(screened: Any) -> None:
    summary, rows = screened
    ids = [row["patient"] for row in rows]
    assert len(ids) == len(set(ids)) == SMALL == summary.rows
    assert ids == sorted(ids)
    assert summary.tally.failures == 0


def test_screening_agrees_with_assess_on_every_patient(
    screened: Any, small_export: ExportRun, knowledge: Knowledge
) -> None:
    _, rows = screened
    by_patient = {row["patient"]: row for row in rows}
    for pid, bundle in bundles(small_export.directory).items():
        expected = expected_row(assess(bundle, AS_OF, knowledge))
        assert by_patient[f"Patient/{pid}"] == expected, pid
    levels = Counter(row["suspicion"] for row in rows)
    assert set(levels) == {"none", "possible", "probable", "confirmed"}


def test_agreement_holds_on_other_days(
    small_export: ExportRun, knowledge: Knowledge, tmp_path: Path
) -> None:
    patients = bundles(small_export.directory)
    for day in (date(2025, 6, 15), date(2026, 9, 1)):
        summary = screen(small_export.directory, tmp_path / "rows.csv", ScreenOptions(as_of=day))
        assert summary.rows == SMALL
        for row in read_rows(tmp_path / "rows.csv"):
            pid = row["patient"].removeprefix("Patient/")
            assert row == expected_row(assess(patients[pid], day, knowledge)), (day, pid)


def test_the_counts_add_up(screened: Any, small_export: ExportRun) -> None:
    summary, _ = screened
    statuses = summary.lines_by_status()
    manifest = orjson.loads((small_export.directory / "manifest.json").read_bytes())
    assert sum(statuses.values()) == sum(item["count"] for item in manifest["output"])
    assert statuses["patient"] == SMALL
    assert statuses["other"] == sum(
        i["count"] for i in manifest["output"] if i["type"] == "Encounter"
    )
    assert statuses["kept"] < 0.05 * statuses["skipped"]
    assert summary.bad_lines_by_file() == {
        p.name: 0 for p in sorted(small_export.directory.glob("*.ndjson"))
    }
    # The messy demo story files one resource under a patient who is not in the export.
    assert summary.tally.orphan_patients == summary.tally.orphan_resources > 0
    assert summary.tally.reused_rows >= SMALL * 0.8 - 2


def test_csv_and_parquet_hold_the_same_rows(
    screened: Any, small_export: ExportRun, tmp_path: Path
) -> None:
    _, rows = screened
    _, parquet_rows = run(small_export.directory, tmp_path / "rows.parquet")
    assert parquet_rows == rows


def test_worker_processes_give_the_same_file(
    screened: Any, small_export: ExportRun, tmp_path: Path
) -> None:
    _, rows = screened
    _, pooled = run(small_export.directory, tmp_path / "rows.csv", workers=2)
    assert pooled == rows


def test_gzip_several_files_and_corrupt_lines(
    screened: Any, small_export: ExportRun, tmp_path: Path
) -> None:
    _, clean_rows = screened
    expected_bad = corrupted_copy(small_export.directory, tmp_path / "export")
    summary, rows = run(tmp_path / "export", tmp_path / "rows.csv")
    assert rows == clean_rows
    assert summary.bad_lines_by_file() == expected_bad
    assert sum(expected_bad.values()) >= 5
    assert summary.lines_by_status()["blank"] >= 2 * sum(expected_bad.values())


def test_plain_and_gzipped_files_mix(
    screened: Any, small_export: ExportRun, tmp_path: Path
) -> None:
    _, clean_rows = screened
    mixed = tmp_path / "mixed"
    shutil.copytree(small_export.directory, mixed)
    manifest = (mixed / "manifest.json").read_text()
    for path in sorted(mixed.glob("Observation.*.ndjson"))[::2]:
        (path.parent / (path.name + ".gz")).write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
        manifest = manifest.replace(f'"{path.name}"', f'"{path.name}.gz"')
    (mixed / "manifest.json").write_text(manifest)
    summary, rows = run(mixed, tmp_path / "rows.csv")
    assert rows == clean_rows
    assert not summary.export.warnings


def sign(rid: str, value: bool, day: str = "2025-11-20") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {
            "coding": [
                {"system": "https://hosentinel.org/fhir/CodeSystem/finding", "code": "hip-swelling"}
            ]
        },
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
        "valueBoolean": value,
        "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "24028007"}]},
    }


def hand_made_export(directory: Path) -> None:
    """Order-sensitive findings across files, references in every spelling, duplicates,
    orphans, a Patient without id, and a resource with a malformed date."""
    directory.mkdir()
    injury = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "s24111a"}]},
        "subject": {"reference": "https://ehr.example/fhir/Patient/p1/_history/3"},
        "onsetDateTime": "2025-10-01",
    }
    write_ndjson(
        directory / "Patient.000.ndjson",
        [
            {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1980-02-30"},
            {"resourceType": "Patient", "gender": "female"},
            {"resourceType": "Patient", "id": "p2", "gender": "female"},
        ],
    )
    write_ndjson(directory / "Patient.001.ndjson", [{"resourceType": "Patient", "id": "p1"}])
    write_ndjson(
        directory / "Condition.000.ndjson",
        [
            injury,
            {**injury, "onsetDateTime": "2025-10-05"},  # the same id again: read once
            {**injury, "id": "c2", "onsetDateTime": "2025-13-01"},  # malformed date
            {**injury, "id": "c3", "subject": {"reference": "Patient/ghost"}},
            {
                "resourceType": "Condition",
                "id": "c4",
                "code": {"text": "Pressure ulcer of sacrum"},
                "subject": {"reference": "urn:uuid:p2"},
            },
        ],
    )
    # Same day, opposite values, in two files: the later line (file order) is the latest.
    write_ndjson(directory / "Observation.000.ndjson", [sign("o1", True)])
    write_ndjson(directory / "Observation.001.ndjson", [sign("o2", False)])
    write_ndjson(
        directory / "Observation.002.ndjson",
        [{**sign("o3", True), "subject": {"display": "nobody"}}],
    )


def test_a_hand_made_export_agrees_with_assess(tmp_path: Path, knowledge: Knowledge) -> None:
    hand_made_export(tmp_path / "export")
    summary, rows = run(tmp_path / "export", tmp_path / "rows.csv")
    by_patient = {row["patient"]: row for row in rows}
    assert set(by_patient) == {"Patient/p1", "Patient/p2"}
    expected = bundles(tmp_path / "export")
    for pid in ("p1", "p2"):
        assert by_patient[f"Patient/{pid}"] == expected_row(
            assess(expected[pid], AS_OF, knowledge, strict_dates=False)
        )
    assert by_patient["Patient/p1"]["phase"] == "in-window"
    tally = summary.tally
    assert tally.duplicate_patients == 1
    assert tally.duplicate_resources == 1
    assert tally.bad_dates == 1
    assert tally.orphan_patients == 1
    assert summary.lines_by_status()["unassigned"] == 2  # the Patient without id, o3
    # urn:uuid references name the patient too (as read_bundle accepts them): a pressure ulcer
    assert by_patient["Patient/p2"]["risk_level"] == "moderate"


def test_texts_that_only_case_folding_or_escapes_reveal_are_read(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    """ "Stroke" spelled with a KELVIN SIGN (lower-cased, it is plain ASCII "k"), with a long s
    (it stays outside ASCII) and with a JSON escape: assess reads all three as a stroke, so the
    engine must keep them."""
    directory = tmp_path / "export"
    directory.mkdir()
    spellings = {"p1": "Stro\u212ae", "p2": "\u017ftroke", "p3": "\\u0053troke"}
    patients = [{"resourceType": "Patient", "id": pid} for pid in [*spellings, "p4"]]
    write_ndjson(directory / "Patient.000.ndjson", patients)
    (directory / "Condition.000.ndjson").write_text(
        "".join(
            f'{{"resourceType":"Condition","id":"c-{pid}","code":{{"text":"{text}"}},'
            f'"subject":{{"reference":"Patient/{pid}"}},"onsetDateTime":"2025-11-01"}}\n'
            for pid, text in spellings.items()
        ),
        encoding="utf-8",
    )
    summary, rows = run(directory, tmp_path / "rows.csv")
    assert summary.lines_by_status()["kept"] == 3
    expected = bundles(directory)
    by_patient = {row["patient"]: row for row in rows}
    for pid in [*spellings, "p4"]:
        assert by_patient[f"Patient/{pid}"] == expected_row(
            assess(expected[pid], AS_OF, knowledge)
        ), pid
    judged = [{**by_patient[f"Patient/{pid}"], "patient": ""} for pid in [*spellings, "p4"]]
    assert judged[0] == judged[1] == judged[2] != judged[3]  # three strokes, and nothing


def test_validate_reads_as_read_bundle_does(tmp_path: Path, knowledge: Knowledge) -> None:
    """A resource that is readable but not valid FHIR (a code with spaces around it, which the
    R4B models refuse and the builders trim) counts in the fast path and not in assess; with
    validate=True screening agrees with assess."""
    directory = tmp_path / "export"
    directory.mkdir()
    write_ndjson(directory / "Patient.000.ndjson", [{"resourceType": "Patient", "id": "p1"}])
    injury = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}]},
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": "2025-10-01",
    }
    write_ndjson(directory / "Condition.000.ndjson", [injury])
    sloppy = sign("o1", True)
    sloppy["code"]["coding"][0]["code"] = " hip-swelling "
    write_ndjson(directory / "Observation.000.ndjson", [sloppy])
    expected = expected_row(assess(bundles(directory)["p1"], AS_OF, knowledge))
    assert expected["suspicion"] == "none"
    _, fast = run(directory, tmp_path / "fast.csv")
    _, strict = run(directory, tmp_path / "strict.csv", validate=True)
    assert strict == [expected]
    assert fast[0]["suspicion"] == "possible"  # the fast path reads the sloppy sign


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="not a directory"):
        screen(tmp_path / "missing", tmp_path / "rows.csv", ScreenOptions(as_of=AS_OF))
    with pytest.raises(ExportError, match=r"no \.ndjson"):
        screen(tmp_path, tmp_path / "rows.csv", ScreenOptions(as_of=AS_OF))
    with pytest.raises(OutputError, match=r"\.csv or \.parquet"):
        screen(tmp_path, tmp_path / "rows.json", ScreenOptions(as_of=AS_OF))


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="the Synthea sample is in ../shared")
@pytest.mark.parametrize("day", [date(2018, 12, 1), date(2023, 1, 1)])
def test_the_real_synthea_sample_screens_cleanly(
    day: date, tmp_path: Path, knowledge: Knowledge
) -> None:
    summary = screen(SYNTHEA, tmp_path / "rows.csv", ScreenOptions(as_of=day))
    rows = read_rows(tmp_path / "rows.csv")
    patients = bundles(SYNTHEA)
    assert summary.rows == len(rows) == len(patients) == 13
    assert summary.tally.failures == summary.tally.orphan_patients == 0
    assert set(summary.bad_lines_by_file().values()) == {0}
    for row in rows:
        pid = row["patient"].removeprefix("Patient/")
        assert row == expected_row(assess(patients[pid], day, knowledge)), pid
    by_id = {row["patient"].removeprefix("Patient/"): row for row in rows}
    fractures = {
        "a5cb8ce9-cec6-6b23-0990-cbaf753578a4": "2018-10-18",  # forearm
        "63ee2253-bdd5-da55-2ad2-b4984d0ad700": "2017-01-03",  # ankle
        "3af3708d-41f1-cd80-f3dd-ec5ac76072bf": "1970-12-07",  # ankle
    }
    for pid, onset in fractures.items():
        events = assess(patients[pid], day, knowledge).index_events
        assert any(e.kind == "fracture" and e.date.isoformat() == onset for e in events)
        assert by_id[pid]["phase"] != "not-applicable"
    if day == date(2018, 12, 1):
        assert by_id["a5cb8ce9-cec6-6b23-0990-cbaf753578a4"]["phase"] == "in-window"
