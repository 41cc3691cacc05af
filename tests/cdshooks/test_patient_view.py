"""patient-view: one well-formed info card with the basis, or no card when HO does not apply."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.cdskit import (
    BASE,
    PV,
    Cds,
    assert_no_null_or_empty,
    assert_well_formed_card,
    bearer,
    demo,
    hook_request,
    prefetch_for,
    sign,
    url,
)


@pytest.fixture
def sci_hip(make_cds: Callable[..., Cds]) -> tuple[Cds, str, dict[str, object]]:
    """Demo 03: complete SCI two months ago, right hip stiff, swollen and warm."""
    entry = demo("03-sci-hip-rom-loss-probable")
    cds = make_cds(entry.as_of)
    patient_id, prefetch = prefetch_for(entry)
    return cds, patient_id, prefetch


def test_patient_view_card_for_hip_signs_after_sci(
    sci_hip: tuple[Cds, str, dict[str, object]],
) -> None:
    cds, patient_id, prefetch = sci_hip
    response = cds.post(PV, hook_request("patient-view", patient_id, prefetch))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    cards = response.json()["cards"]
    assert len(cards) == 1
    card = cards[0]
    assert_well_formed_card(card)
    assert card["indicator"] == "info"
    assert card["summary"] == (
        "HO probable at right hip; HO risk high; 2 joint exams due (2 overdue); "
        "urgent: rule out DVT first."
    )
    detail = card["detail"]
    # The basis: index event, risk factors with the patient's codes, due joints, the findings,
    # the next steps with their sources, and the knowledge release.
    assert "Index event: spinal cord injury on 2025-01-06 (day 61)" in detail
    assert "Complete spinal cord injury" in detail and "S24.113A (2025-01-06)" in detail
    assert "- Left knee: overdue 2025-02-22; last examined 2025-02-15." in detail
    assert "Right hip (probable): hip flexion 75° down from 105° (30° loss)" in detail
    assert "1. **Urgent** (right hip): Rule out deep vein thrombosis first" in detail
    assert re.search(r"Sources: \[[^\]]+\]\(https://", detail)
    assert f"knowledge {cds.app.state.knowledge.release}" in detail
    assert card["source"]["label"] == "HO Sentinel"
    assert card["source"]["url"] == f"{BASE}/"
    assert card["links"] == [
        {
            "label": "Open the patient in HO Sentinel",
            "url": f"{BASE}/patients/{patient_id}",
            "type": "absolute",
        },
        {
            "label": "Open HO Sentinel (SMART app)",
            "url": f"{BASE}/smart/launch",
            "type": "smart",
            "appContext": '{"view":"patient","joint":"hip","side":"right"}',
        },
    ]
    codes = [r["code"] for r in card["overrideReasons"]]
    assert codes[0] == "cds-not-applicable" and "suggestions" not in card


def test_each_call_gets_new_card_uuids_and_is_audited(
    sci_hip: tuple[Cds, str, dict[str, object]],
) -> None:
    cds, patient_id, prefetch = sci_hip
    first = cds.post(PV, hook_request("patient-view", patient_id, prefetch)).json()["cards"][0]
    second = cds.post(PV, hook_request("patient-view", patient_id, prefetch)).json()["cards"][0]
    assert first["uuid"] != second["uuid"] and first["summary"] == second["summary"]
    with cds.app.state.sessionmaker() as session:
        entries = session.scalars(
            select(m.AuditEntry).where(
                m.AuditEntry.action == "cds-hooks", m.AuditEntry.patient_id == patient_id
            )
        ).all()
    assert len(entries) == 2
    assert entries[0].what == "patient-view from https://ehr.example.com/: cds:patient-view"


def test_no_card_when_ho_does_not_apply(make_cds: Callable[..., Cds]) -> None:
    entry = demo("27-no-index-event-knee-arthritis")
    cds = make_cds(entry.as_of)
    patient_id, prefetch = prefetch_for(entry)
    response = cds.post(PV, hook_request("patient-view", patient_id, prefetch))
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_spec_example_request_shape(make_cds: Callable[..., Cds]) -> None:
    """The spec's patient-view example: fhirServer, fhirAuthorization, userId/patientId/
    encounterId context, and prefetch keys of which some hold null ("no data"). With every key
    answered, the FHIR server is not called."""
    entry = demo("03-sci-hip-rom-loss-probable")
    cds = make_cds(entry.as_of)
    patient_id, prefetch = prefetch_for(entry)
    prefetch["medications"] = None
    prefetch["procedures"] = None
    prefetch["allergies"] = {"resourceType": "Bundle", "type": "searchset", "total": 0}
    body = hook_request("patient-view", patient_id, prefetch)
    body["fhirServer"] = "https://unreachable.invalid/fhir"
    body["fhirAuthorization"] = {
        "access_token": "some-opaque-fhir-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Observation.read",
        "subject": "cds-service4",
    }
    response = cds.post(PV, body)
    assert response.status_code == 200
    assert response.json()["cards"][0]["summary"].startswith("HO probable at right hip")


def test_412_only_when_not_even_the_patient_can_be_had(make_cds: Callable[..., Cds]) -> None:
    entry = demo("03-sci-hip-rom-loss-probable")
    cds = make_cds(entry.as_of)
    patient_id, prefetch = prefetch_for(entry)
    response = cds.post(PV, hook_request("patient-view", patient_id, None))
    assert response.status_code == 412
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert "Patient" in outcome["issue"][0]["diagnostics"]

    def unread(body: dict[str, object]) -> list[str]:
        response = cds.post(PV, body)
        assert response.status_code == 200, response.text
        cards = response.json()["cards"]
        for card in cards:
            assert_well_formed_card(card)
        return [c["summary"] for c in cards if c["source"]["topic"]["code"] == "data-unread"]

    # One key left out, and no fhirServer: cards from the rest, and the gap named.
    del prefetch["conditions"]
    missing = "HO checks incomplete: could not read conditions."
    assert unread(hook_request("patient-view", patient_id, prefetch)) == [missing]
    # A key holding an OperationOutcome (the client's prefetch failed) counts as missing.
    prefetch["conditions"] = {"resourceType": "OperationOutcome", "issue": []}
    assert unread(hook_request("patient-view", patient_id, prefetch)) == [missing]
    # So does a value that is not a FHIR resource.
    prefetch["conditions"] = "Condition?patient=1"
    assert unread(hook_request("patient-view", patient_id, prefetch)) == [missing]
    # Only the Patient: every other kind named.
    only = unread(hook_request("patient-view", patient_id, {"patient": prefetch["patient"]}))
    assert only == ["HO checks incomplete: 10 kinds of patient data could not be read."]


def test_412_when_the_patient_is_not_in_the_data(make_cds: Callable[..., Cds]) -> None:
    entry = demo("03-sci-hip-rom-loss-probable")
    cds = make_cds(entry.as_of)
    _, prefetch = prefetch_for(entry)
    response = cds.post(PV, hook_request("patient-view", "someone-else", prefetch))
    assert response.status_code == 412 and "someone-else" in response.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(hook="order-sign"), "answers the 'patient-view' hook"),
        (lambda b: b.pop("hookInstance"), "hookInstance is required"),
        (lambda b: b["context"].pop("patientId"), "context.patientId is required"),
        (lambda b: b.update(prefetch=[1]), "prefetch must be an object"),
        (lambda b: b.update(fhirAuthorization={"access_token": "x"}), "fhirAuthorization needs"),
    ],
)
def test_malformed_requests_are_400(
    make_cds: Callable[..., Cds], change: Callable[[dict[str, object]], object], message: str
) -> None:
    entry = demo("03-sci-hip-rom-loss-probable")
    cds = make_cds(entry.as_of)
    patient_id, prefetch = prefetch_for(entry)
    body = hook_request("patient-view", patient_id, prefetch)
    change(body)
    response = cds.post(PV, body)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
    assert message in response.json()["issue"][0]["diagnostics"]


def test_not_json_is_400(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    token = sign(cds.keys, BASE + url(PV))
    response = cds.client.post(url(PV), content=b"{nope", headers=bearer(token))
    assert response.status_code == 400
    assert_no_null_or_empty(response.json())
