"""Discovery (`GET /cds-services`) and CORS for browser-based CDS clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cdshooks.cdskit import OSEL, OSIGN, PV, Cds, assert_no_null_or_empty


def test_discovery_lists_the_three_hooks_with_prefetch(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    response = cds.client.get("/cds-services")  # open: no Authorization header
    assert response.status_code == 200
    services = response.json()["services"]
    assert {(s["hook"], s["id"]) for s in services} == {
        ("patient-view", PV),
        ("order-select", OSEL),
        ("order-sign", OSIGN),
    }
    for service in services:
        assert_no_null_or_empty(service)
        assert service["title"] and service["description"]
        assert service["prefetch"] == {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}",
            "observations": "Observation?patient={{context.patientId}}",
            "medications": "MedicationRequest?patient={{context.patientId}}",
            "procedures": "Procedure?patient={{context.patientId}}",
            "allergies": "AllergyIntolerance?patient={{context.patientId}}",
            "notes": "DocumentReference?patient={{context.patientId}}",
        }


def test_discovery_ignores_a_bad_token(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    response = cds.client.get("/cds-services", headers={"Authorization": "Bearer not-a-jwt"})
    assert response.status_code == 200 and len(response.json()["services"]) == 3


def test_cors_on_cds_paths_only(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    origin = {"Origin": "https://sandbox.cds-hooks.org"}
    discovery = cds.client.get("/cds-services", headers=origin)
    assert discovery.headers["access-control-allow-origin"] == "*"
    for path in ("/cds-services", f"/cds-services/{PV}", f"/cds-services/{PV}/feedback"):
        preflight = cds.client.options(
            path,
            headers={
                **origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 204, path
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert preflight.headers["access-control-allow-methods"] == "GET, POST, OPTIONS"
        assert preflight.headers["access-control-allow-headers"] == "Authorization, Content-Type"
    # A refused call still carries CORS headers, so the browser client can see the 401.
    refused = cds.client.post(f"/cds-services/{PV}", json={}, headers=origin)
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "*"
    # The rest of the app is not opened to other origins.
    health = cds.client.get("/healthz", headers=origin)
    assert health.status_code == 200
    assert "access-control-allow-origin" not in health.headers


def test_unknown_service_is_404_with_operation_outcome(make_cds: Callable[..., Cds]) -> None:
    cds = make_cds(date(2025, 3, 8))
    response = cds.post("no-such-service", {"hook": "patient-view"})
    assert response.status_code == 404
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"
