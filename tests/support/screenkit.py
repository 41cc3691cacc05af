"""Shared pieces for the screening tests: small synthetic exports, and the `assess` side
(fixtures built on them are in tests/screening/conftest.py).

The `assess` side here is written independently of `hosentinel.screening`: it reads every line of
every file in name order, builds one Bundle per patient the way a person would (the Patient, then
every resource whose subject/patient names it, in export order), and runs `read_bundle` +
`evaluate`. Screening must give the same row for every patient.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening.screen import ScreenOptions, Summary, screen

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SYNTHEA = SHARED / "data" / "synthea-bulk-10"
AS_OF = date(2025, 12, 1)
COLUMNS = ["patient", "risk_level", "phase", "suspicion", "due", "recommendations"]
# Enough patients for every story to appear once on its own day (33 stories, one patient in 5).
SMALL = 200


@dataclass(frozen=True)
class ExportRun:
    directory: Path
    patients: int


def export_lines(directory: Path) -> Iterator[tuple[Path, int, bytes]]:
    """(file, line number, line) for every line of every NDJSON file, in name order."""
    paths = sorted(p for p in directory.iterdir() if p.name.endswith((".ndjson", ".ndjson.gz")))
    for path in paths:
        raw = path.read_bytes()
        if path.name.endswith(".gz"):
            raw = gzip.decompress(raw)
        for number, line in enumerate(raw.split(b"\n"), start=1):
            yield path, number, line


_REFERENCE = re.compile(r"(?:^|/)Patient/([^/]+?)(?:/_history/[^/]+)?$|^urn:uuid:(.+)$")


def owner(resource: dict[str, Any]) -> str | None:
    """The patient a resource belongs to: its id, or the Patient its subject (patient, for an
    AllergyIntolerance) references, written any way FHIR allows."""
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) else None
    key = "patient" if resource.get("resourceType") == "AllergyIntolerance" else "subject"
    holder = resource.get(key)
    reference = holder.get("reference") if isinstance(holder, dict) else None
    match = _REFERENCE.search(reference) if isinstance(reference, str) else None
    return (match.group(1) or match.group(2)) if match else None


def bundles(directory: Path) -> dict[str, dict[str, Any]]:
    """One collection Bundle per Patient in the export, resources in export order."""
    patients: dict[str, list[dict[str, Any]]] = {}
    others: dict[str, list[dict[str, Any]]] = {}
    for _, _, line in export_lines(directory):
        try:
            resource = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(resource, dict):
            continue
        who = owner(resource)
        if who is None:
            continue
        target = patients if resource.get("resourceType") == "Patient" else others
        target.setdefault(who, []).append(resource)
    out = {}
    for pid, mine in patients.items():
        entries = [{"resource": r} for r in [*mine, *others.get(pid, [])]]
        out[pid] = {"resourceType": "Bundle", "type": "collection", "entry": entries}
    return out


def assess(bundle: dict[str, Any], as_of: date, knowledge: Knowledge, **kw: Any) -> Assessment:
    return evaluate(read_bundle(bundle, knowledge, **kw), knowledge, as_of)


def expected_row(assessment: Assessment) -> dict[str, str]:
    """The contract's columns, written out from the assessment."""
    return {
        "patient": assessment.patient,
        "risk_level": assessment.risk.level,
        "phase": assessment.surveillance.phase,
        "suspicion": assessment.suspicion.level,
        "due": " ".join(
            f"{d.joint}-{d.side}:{d.due.isoformat()}" for d in assessment.surveillance.due
        ),
        "recommendations": " ".join(r.id for r in assessment.recommendations),
    }


def read_rows(path: Path) -> list[dict[str, str]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        assert table.column_names == COLUMNS
        return [{k: v or "" for k, v in row.items()} for row in table.to_pylist()]
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert reader.fieldnames == COLUMNS
        return list(reader)


BAD_LINES = [
    b'{"resourceType": "Condition", "id": "cut-off", "code": {"coding": [',  # truncated
    b"not json at all",
    b"[1, 2, 3]",
    b'{"id": "no-type", "subject": {"reference": "Patient/x"}}',
    b'"a string"',
    b'{"resourceType": "Observation", "note": "bad \xff\xfe utf-8"}',
    b'{"resourceType": "Observation", "status": "final", "code": {"text": "x\x01y"}}',
]


def corrupted_copy(source: Path, target: Path) -> dict[str, int]:
    """The export gzipped file by file, with bad and blank lines spread over some files.
    Returns the bad lines put in each (gzipped) file."""
    target.mkdir()
    bad: dict[str, int] = {}
    for index, path in enumerate(sorted(source.glob("*.ndjson"))):
        lines = path.read_bytes().split(b"\n")
        inserted = BAD_LINES[index % len(BAD_LINES)] if index % 2 == 0 else None
        if inserted is not None:
            lines.insert(len(lines) // 2, inserted)
            lines.insert(1, b"")
            lines.insert(3, b"   ")
        name = path.name + ".gz"
        (target / name).write_bytes(gzip.compress(b"\n".join(lines), mtime=0))
        bad[name] = 1 if inserted is not None else 0
    return bad


def run(directory: Path, out: Path, **options: Any) -> tuple[Summary, list[dict[str, str]]]:
    summary = screen(directory, out, ScreenOptions(**{"as_of": AS_OF, **options}))
    return summary, read_rows(out)


def write_ndjson(path: Path, resources: list[Any]) -> None:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in resources))
