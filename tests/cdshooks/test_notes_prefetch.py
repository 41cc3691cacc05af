"""patient-view with clinical notes in the optional `notes` prefetch: a sign written only in a
therapy note makes the card; without the key the call is served as before (no 412)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any

from tests.support.cdskit import PV, Cds, hook_request

TODAY = date(2026, 6, 1)
SENTENCE = "R hip warm and swollen, TTP over greater trochanter."


def _prefetch(with_notes: bool | None) -> dict[str, Any]:
    def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
        entries = [{"resource": r} for r in resources]
        return {"resourceType": "Bundle", "type": "searchset", "entry": entries}

    sci = {
        "resourceType": "Condition",
        "id": "sci",
        "subject": {"reference": "Patient/np1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}]},
        "onsetDateTime": "2026-04-15",
    }
    note = {
        "resourceType": "DocumentReference",
        "id": "pt1",
        "status": "current",
        "subject": {"reference": "Patient/np1"},
        "date": "2026-05-30T10:00:00Z",
        "content": [
            {
                "attachment": {
                    "contentType": "text/plain",
                    "data": base64.b64encode(f"PT note.\n{SENTENCE}\n".encode()).decode(),
                }
            }
        ],
    }
    prefetch: dict[str, Any] = {
        "patient": {"resourceType": "Patient", "id": "np1", "gender": "male"},
        "conditions": searchset(sci),
        **{k: searchset() for k in ("observations", "medications", "procedures", "allergies")},
    }
    if with_notes is not None:
        prefetch["notes"] = searchset(note) if with_notes else None
    return prefetch


def test_a_sign_in_a_prefetched_note_makes_the_card(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(TODAY)
    response = cds.post(PV, hook_request("patient-view", "np1", _prefetch(True)))
    assert response.status_code == 200, response.text
    detail = response.json()["cards"][0]["detail"]
    assert "Right hip (probable)" in detail or "Right hip (possible)" in detail
    without = cds.post(PV, hook_request("patient-view", "np1", _prefetch(None)))
    assert without.status_code == 200
    assert "Right hip (p" not in without.json()["cards"][0]["detail"]
    empty = cds.post(PV, hook_request("patient-view", "np1", _prefetch(False)))
    assert empty.status_code == 200
