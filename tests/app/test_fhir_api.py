"""FHIR in and out through the app: import is idempotent, bad resources are named, and the app's
assessment of an imported Bundle equals `hosentinel assess` on the same Bundle."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import orjson
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import func, select

from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.export import assessment_bundle
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from tests.support.appkit import TODAY, SignedIn

ENTRY = next(e for e in load_catalog() if e.file.startswith("03-"))


def _renamed_bundle() -> dict[str, Any]:
    """Demo bundle 03 under a new patient id, so it is not already in the demo database."""
    text = ENTRY.path.read_text().replace(ENTRY.patient.removeprefix("Patient/"), "imported-p1")
    bundle: dict[str, Any] = orjson.loads(text)
    return bundle


def post_bundle(user: SignedIn, bundle: dict[str, Any]) -> Any:
    return user.post(
        "/fhir", content=orjson.dumps(bundle), headers={"Content-Type": "application/fhir+json"}
    )


def observation_count(app: Any, patient_id: str) -> int:
    with app.state.sessionmaker() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(m.Observation)
                .where(m.Observation.patient_id == patient_id)
            )
            or 0
        )


def test_import_then_assess_matches_the_cli(app: Any, signed_in: Callable[[str], SignedIn]) -> None:
    user = signed_in("physiatrist")
    bundle = _renamed_bundle()
    response = post_bundle(user, bundle)
    assert response.status_code == 200, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    exported = user.client.get("/fhir/Patient/imported-p1/$ho-assessment")
    assert exported.status_code == 200
    Bundle.model_validate(exported.json())
    knowledge = default_knowledge()
    direct = evaluate(read_bundle(orjson.dumps(bundle), knowledge), knowledge, TODAY)
    assert exported.json() == assessment_bundle(direct, knowledge)


def test_import_is_idempotent_on_resource_ids(
    app: Any, signed_in: Callable[[str], SignedIn]
) -> None:
    user = signed_in("nurse")
    bundle = _renamed_bundle()
    post_bundle(user, bundle)
    first = observation_count(app, "imported-p1")
    post_bundle(user, bundle)
    assert observation_count(app, "imported-p1") == first > 0


def test_a_bad_resource_is_named_and_the_rest_kept(
    app: Any, signed_in: Callable[[str], SignedIn]
) -> None:
    user = signed_in("physiatrist")
    bundle = _renamed_bundle()
    broken = copy.deepcopy(
        next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    )
    broken["resource"]["id"] = "broken-obs"
    broken["resource"]["code"] = {"coding": [{"system": "http://loinc.org", "code": 12345}]}
    broken.pop("fullUrl", None)
    bundle["entry"].append(broken)
    response = post_bundle(user, bundle)
    assert response.status_code == 200
    warnings = [i["diagnostics"] for i in response.json()["issue"] if i["severity"] == "warning"]
    assert any("broken-obs" in w for w in warnings), warnings
    kept = len(
        [e for e in _renamed_bundle()["entry"] if e["resource"]["resourceType"] == "Observation"]
    )
    assert observation_count(app, "imported-p1") == kept


def test_not_a_bundle_gets_an_operation_outcome(signed_in: Callable[[str], SignedIn]) -> None:
    response = post_bundle(signed_in("physiatrist"), {"resourceType": "Patient", "id": "x"})
    assert response.status_code == 400
    assert response.json()["issue"][0]["severity"] == "error"


def test_roles_and_audit(
    app: Any, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    assert post_bundle(signed_in("therapist"), _renamed_bundle()).status_code == 403
    family = signed_in("family")
    own = demo_patient_ids[ENTRY.file]
    assert family.client.get(f"/fhir/Patient/{own}/$ho-assessment").status_code == 403
    user = signed_in("physiatrist")
    assert user.client.get(f"/fhir/Patient/{own}/$ho-assessment").status_code == 200
    with app.state.sessionmaker() as session:
        rows = session.scalars(select(m.AuditEntry).where(m.AuditEntry.patient_id == own)).all()
    assert any(r.username == "physiatrist" and "$ho-assessment" in r.what for r in rows)


def test_metadata_is_an_open_capability_statement(app: Any) -> None:
    from fastapi.testclient import TestClient
    from fhir.resources.R4B.capabilitystatement import CapabilityStatement

    with TestClient(app) as client:
        response = client.get("/fhir/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    statement = response.json()
    CapabilityStatement.model_validate(statement)
    assert statement["fhirVersion"] == "4.0.1" and statement["kind"] == "instance"
    base = app.state.config.base_url.rstrip("/")
    assert statement["implementation"]["url"] == f"{base}/fhir"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert types == {"ServiceRequest", "Patient"}


def test_fhir_errors_are_operation_outcomes_and_401_is_not_a_redirect(
    app: Any, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    from fastapi.testclient import TestClient

    own = demo_patient_ids[ENTRY.file]
    with TestClient(app) as client:
        for method, path in (
            ("GET", f"/fhir/Patient/{own}/$ho-assessment"),
            ("GET", "/fhir/ServiceRequest/1"),
            ("POST", "/fhir"),
        ):
            response = client.request(method, path, follow_redirects=False)
            assert response.status_code == 401, path
            assert response.headers["content-type"].startswith("application/fhir+json")
            assert response.headers["www-authenticate"] == "Bearer"
            outcome = response.json()
            assert outcome["resourceType"] == "OperationOutcome"
            assert outcome["issue"][0]["code"] == "login"
    family = signed_in("family")
    refused = family.client.get(f"/fhir/Patient/{own}/$ho-assessment")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/fhir+json")
    assert refused.json()["issue"][0]["code"] == "forbidden"
