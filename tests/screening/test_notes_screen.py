"""Notes in a Bulk export (DocumentReference, DiagnosticReport text) screen as `assess` reads
them, on both engines' shared extraction (DuckDB here)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import orjson

from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening.synth import SynthOptions, synthesize
from tests.support.screenkit import AS_OF, assess, bundles, expected_row, run, write_ndjson

BONE_SCAN = "Increased uptake in all phases, consistent with heterotopic ossification."


def _note(nid: str, pid: str, text: str, day: str) -> dict[str, Any]:
    return {
        "resourceType": "DocumentReference",
        "id": nid,
        "status": "current",
        "subject": {"reference": f"Patient/{pid}"},
        "date": f"{day}T09:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(text.encode()).decode(),
                }
            }
        ],
    }


def test_notes_in_an_export_screen_as_assess_reads_them(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    export = tmp_path / "export"
    export.mkdir()
    onset = (AS_OF.replace(day=1)).isoformat()
    note_day = AS_OF.isoformat()
    write_ndjson(
        export / "Patient.000.ndjson",
        [{"resourceType": "Patient", "id": p, "gender": "male"} for p in ("n1", "n2", "n3")],
    )
    write_ndjson(
        export / "Condition.000.ndjson",
        [
            {
                "resourceType": "Condition",
                "id": f"sci-{p}",
                "subject": {"reference": f"Patient/{p}"},
                "code": {
                    "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}]
                },
                "onsetDateTime": onset,
            }
            for p in ("n1", "n2", "n3")
        ],
    )
    write_ndjson(
        export / "DocumentReference.000.ndjson",
        [
            _note("d1", "n1", "PT: R hip warm and swollen. Pain with PROM of R hip.", note_day),
            _note(
                "d2", "n2", "No swelling or warmth of either hip. Monitor for redness.", note_day
            ),
        ],
    )
    write_ndjson(
        export / "DiagnosticReport.000.ndjson",
        [
            {
                "resourceType": "DiagnosticReport",
                "id": "r3",
                "status": "final",
                "subject": {"reference": "Patient/n3"},
                "code": {"text": "NM bone scan three phase left hip"},
                "effectiveDateTime": note_day,
                "conclusion": BONE_SCAN,
            }
        ],
    )
    _, rows = run(export, tmp_path / "rows.csv")
    by_patient = {row["patient"]: row for row in rows}
    expected = bundles(export)
    for pid in ("n1", "n2", "n3"):
        assert by_patient[f"Patient/{pid}"] == expected_row(
            assess(expected[pid], AS_OF, knowledge, strict_dates=False)
        )
    assert by_patient["Patient/n1"]["suspicion"] == "probable"
    assert by_patient["Patient/n2"]["suspicion"] == "none"
    assert by_patient["Patient/n3"]["suspicion"] == "confirmed"


def test_synth_notes_are_deterministic_and_screen_as_assess_reads_them(
    tmp_path: Path, knowledge: Knowledge
) -> None:
    with_notes = tmp_path / "with"
    without = tmp_path / "without"
    synthesize(with_notes, SynthOptions(patients=60, seed=5, as_of=AS_OF, note_share=0.5))
    synthesize(without, SynthOptions(patients=60, seed=5, as_of=AS_OF))
    notes = (with_notes / "DocumentReference.000.ndjson").read_bytes()
    assert notes.count(b"\n") >= 30
    assert not (without / "DocumentReference.000.ndjson").exists()
    for path in without.glob("*.ndjson"):  # the rest of the export is the same bytes
        assert (with_notes / path.name).read_bytes() == path.read_bytes()
    again = tmp_path / "again"
    synthesize(again, SynthOptions(patients=60, seed=5, as_of=AS_OF, note_share=0.5))
    assert (again / "DocumentReference.000.ndjson").read_bytes() == notes
    _, rows = run(with_notes, tmp_path / "rows.csv")
    expected = bundles(with_notes)
    noted = {orjson.loads(line)["subject"]["reference"] for line in notes.splitlines()}
    by_patient = {row["patient"]: row for row in rows}
    for ref in noted:
        pid = ref.removeprefix("Patient/")
        assert by_patient[ref] == expected_row(
            assess(expected[pid], AS_OF, knowledge, strict_dates=False)
        )
    assert any(by_patient[ref]["suspicion"] != "none" for ref in noted)
