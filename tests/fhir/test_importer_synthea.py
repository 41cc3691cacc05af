"""Real Synthea output (a Bulk Data export) assembled into one Bundle per patient."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import orjson
import pytest

from hosentinel.fhir.importer import read_bundle

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "synthea-bulk-10"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"sample export not found at {DATA}")


@cache
def _lines(resource_type: str) -> tuple[bytes, ...]:
    path = DATA / f"{resource_type}.000.ndjson"
    return tuple(line for line in path.read_bytes().splitlines() if line.strip())


def ndjson(resource_type: str) -> Iterator[dict[str, Any]]:
    """Fresh dicts each time (the tests rewrite them)."""
    yield from (orjson.loads(line) for line in _lines(resource_type))


def about(resource: dict[str, Any]) -> str | None:
    owner: dict[str, Any] = resource.get("subject") or resource.get("patient") or {}
    reference = owner.get("reference")
    return reference if isinstance(reference, str) else None


def patient_ids() -> list[str]:
    return [p["id"] for p in ndjson("Patient")] if DATA.is_dir() else []


def assemble(
    patient_id: str, *, urn_references: bool
) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """One patient's resources from every file, as a transaction-style Bundle with urn:uuid
    fullUrls (references rewritten to urn:uuid when asked, as Synthea's own Bundles have them)."""
    mine: dict[str, list[Any]] = {}
    patient = next(p for p in ndjson("Patient") if p["id"] == patient_id)
    mine["Patient"] = [patient]
    for path in sorted(DATA.glob("*.ndjson")):
        resource_type = path.name.split(".")[0]
        if resource_type == "Patient":
            continue
        found = [r for r in ndjson(resource_type) if about(r) == f"Patient/{patient_id}"]
        if found:
            mine[resource_type] = found
    entries = []
    for resources in mine.values():
        for resource in resources:
            if urn_references and about(resource):
                key = "patient" if "patient" in resource else "subject"
                resource = {**resource, key: {"reference": f"urn:uuid:{patient_id}"}}
            entries.append({"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}, mine


@pytest.mark.parametrize("patient_id", patient_ids())
@pytest.mark.parametrize("urn_references", [False, True])
def test_every_condition_and_procedure_is_kept(patient_id: str, urn_references: bool) -> None:
    raw, mine = assemble(patient_id, urn_references=urn_references)
    record = read_bundle(orjson.dumps(raw))

    assert record.patient.id == patient_id
    assert [c.ref for c in record.conditions] == [
        f"Condition/{c['id']}" for c in mine.get("Condition", [])
    ]
    assert [p.ref for p in record.procedures] == [
        f"Procedure/{p['id']}" for p in mine.get("Procedure", [])
    ]
    assert len(record.medications) == len(mine.get("MedicationRequest", []))
    assert len(record.allergies) == len(mine.get("AllergyIntolerance", []))
    unsupported = sum(len(mine.get(t, [])) for t in ("Encounter", "Immunization", "Device"))
    assert record.stats.resources == sum(len(v) for v in mine.values())
    assert record.stats.ignored_resources == unsupported
    assert record.stats.warnings == ()


def test_a_synthea_patient_in_detail() -> None:
    """Patient 129c6ac7 has 49 SNOMED-coded Conditions and 587 Procedures in the sample."""
    patient_id = "129c6ac7-8d06-89de-ad63-0204a93e76c3"
    raw, mine = assemble(patient_id, urn_references=True)
    record = read_bundle(raw)
    assert (len(record.conditions), len(record.procedures)) == (49, 587)
    assert {coding.system for c in record.conditions for coding in c.codings} == {"snomed"}
    sepsis = next(
        c for c in record.conditions if c.ref == "Condition/0023b3a7-2ded-840c-ee5b-6b123fdcfb0b"
    )
    assert sepsis.codings[0].code == "91302008"
    assert sepsis.text == "Sepsis (disorder)"
    assert sepsis.onset == date(1976, 1, 19)
    assert sepsis.recorded == date(1976, 1, 19)
    first = mine["Condition"][0]
    resolved = first["clinicalStatus"]["coding"][0]["code"] == "resolved"
    assert record.conditions[0].active is not resolved
    assert all(p.completed for p in record.procedures)  # Synthea's are all "completed"
    assert {m.codings[0].system for m in record.medications} == {"rxnorm"}
    assert record.patient.birth_date is not None
