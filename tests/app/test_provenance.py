"""Provenance of imported data (issue 15: a nurse's POST /fhir with an Observation whose id was
an app-created exam ref replaced a physiatrist's 95° with 130°, and the audit said only "FHIR
import: 1 resources"). Imports cannot replace what the app created; a replaced resource is kept
as history (old and new value, who, when) and each replaced ref is audited."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import orjson
from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.appkit import TODAY, SignedIn

FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
PID = "prov-1"


def rom(oid: str, degrees: float) -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "code": {"coding": [{"system": FINDING, "code": "hip-flexion-rom"}]},
            "subject": {"reference": f"Patient/{PID}"},
            "effectiveDateTime": (TODAY - timedelta(days=2)).isoformat(),
            "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "24028007"}]},
            "valueQuantity": {"value": degrees, "unit": "deg"},
        },
        "request": {"method": "PUT", "url": f"Observation/{oid}"},
    }


def bundle(*entries: dict[str, Any], kind: str = "transaction") -> bytes:
    patient = {
        "resource": {"resourceType": "Patient", "id": PID, "gender": "male"},
        "request": {"method": "PUT", "url": f"Patient/{PID}"},
    }
    return orjson.dumps({"resourceType": "Bundle", "type": kind, "entry": [patient, *entries]})


def post(user: SignedIn, body: bytes) -> Any:
    return user.post("/fhir", content=body, headers={"Content-Type": "application/fhir+json"})


def stored(app: FastAPI, ref: str) -> m.Observation:
    with app.state.sessionmaker() as db:
        row = db.scalar(select(m.Observation).where(m.Observation.ref == ref))
        assert row is not None
        return row


def exam_by_physiatrist(app: FastAPI, ref: str) -> int:
    """An exam value as the app's exam form stores it: entered_by the physiatrist."""
    with app.state.sessionmaker.begin() as db:
        physiatrist = db.scalar(select(m.User).where(m.User.username == "physiatrist"))
        assert physiatrist is not None
        db.add(
            m.Observation(
                patient_id=PID,
                ref=ref,
                codings=[{"system": "finding", "code": "hip-flexion-rom"}],
                site_joint="hip",
                site_side="right",
                effective=TODAY - timedelta(days=1),
                value_quantity=95.0,
                unit="deg",
                entered_by=physiatrist.id,
            )
        )
        return physiatrist.id


def test_an_import_cannot_overwrite_an_exam_entered_in_the_app(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    assert post(nurse, bundle()).status_code == 200
    exam_id = f"exam-{uuid.uuid4()}"
    physiatrist_id = exam_by_physiatrist(app, f"Observation/{exam_id}")

    refused = post(nurse, bundle(rom(exam_id, 130)))
    assert refused.status_code == 422
    assert f"Observation/{exam_id} skipped" in refused.text
    kept = stored(app, f"Observation/{exam_id}")
    assert (kept.value_quantity, kept.entered_by) == (95.0, physiatrist_id)

    # A collection Bundle keeps its other resources and names the one it could not store.
    other = f"ehr-{uuid.uuid4().hex[:8]}"
    partial = post(nurse, bundle(rom(exam_id, 130), rom(other, 80), kind="collection"))
    assert partial.status_code == 200
    assert "an import cannot replace it" in partial.text
    kept = stored(app, f"Observation/{exam_id}")
    assert (kept.value_quantity, kept.entered_by) == (95.0, physiatrist_id)
    assert stored(app, f"Observation/{other}").value_quantity == 80


def test_an_app_created_id_is_refused_even_when_no_such_exam_exists(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    r = post(nurse, bundle(rom(f"exam-{uuid.uuid4()}", 130)))
    assert r.status_code == 422


def test_a_replaced_resource_is_kept_as_history_and_audited(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    assert post(nurse, bundle(rom("ehr-rom-1", 100))).status_code == 200
    assert post(nurse, bundle(rom("ehr-rom-1", 100))).status_code == 200  # same: no history
    assert post(nurse, bundle(rom("ehr-rom-1", 130))).status_code == 200
    assert stored(app, "Observation/ehr-rom-1").value_quantity == 130
    with app.state.sessionmaker() as db:
        history = db.scalars(
            select(m.ReplacedResource).where(m.ReplacedResource.patient_id == PID)
        ).all()
        audited = db.scalars(
            select(m.AuditEntry.what).where(
                m.AuditEntry.patient_id == PID, m.AuditEntry.username == "nurse"
            )
        ).all()
    assert len(history) == 1
    (h,) = history
    assert h.ref == "Observation/ehr-rom-1"
    assert (h.old_value["value_quantity"], h.new_value["value_quantity"]) == (100, 130)
    assert h.replaced_by == "nurse" and h.replaced_at is not None
    assert "FHIR import replaced Observation/ehr-rom-1 (old value kept)" in audited
