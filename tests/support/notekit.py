"""Bundles with notes for the notes tests."""

from __future__ import annotations

import base64
from typing import Any

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
SIDES = {"left": "7771000", "right": "24028007"}


def patient() -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", "gender": "male", "birthDate": "1990-01-01"}


def sci(onset: str = "2026-10-20") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "sci",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": ICD10CM, "code": "S24.111A"}]},
        "onsetDateTime": onset,
    }


def note(
    nid: str,
    text: str | bytes,
    day: str = "2026-11-30T10:00:00Z",
    *,
    content_type: str = "text/plain; charset=utf-8",
    status: str = "current",
    raw_data: str | None = None,
) -> dict[str, Any]:
    data = text.encode() if isinstance(text, str) else text
    return {
        "resourceType": "DocumentReference",
        "id": nid,
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "date": day,
        "content": [
            {
                "attachment": {
                    "contentType": content_type,
                    "data": raw_data if raw_data is not None else base64.b64encode(data).decode(),
                }
            }
        ],
    }


def report(rid: str, title: str, conclusion: str, day: str = "2026-12-01") -> dict[str, Any]:
    return {
        "resourceType": "DiagnosticReport",
        "id": rid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"text": title},
        "effectiveDateTime": day,
        "conclusion": conclusion,
    }


def finding(oid: str, code: str, side: str, day: str, **value: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": FINDING, "code": code}]},
        "bodySite": {"coding": [{"system": SNOMED, "code": SIDES[side]}]},
        "effectiveDateTime": day,
        **value,
    }


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resource": patient()}] + [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
