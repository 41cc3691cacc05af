"""One huge string inside a body within its limit is refused with 413 naming where it is
(issue 15: a 100 MB Condition.code.text was stored and cost the engine seconds per MB)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.app.config import AppConfig
from hosentinel.limits import oversized_string
from tests.support.appkit import SignedIn

LIMIT = AppConfig.max_string_chars


def bundle(text: str) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "long-1", "gender": "male"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "long-1-c",
                    "subject": {"reference": "Patient/long-1"},
                    "code": {"text": text},
                }
            },
        ],
    }


def test_a_string_over_the_limit_in_post_fhir_gets_413_naming_it(
    signed_in: Callable[[str], SignedIn],
) -> None:
    nurse = signed_in("nurse")
    r: Any = nurse.post(
        "/fhir",
        content=orjson.dumps(bundle("x" * (LIMIT + 1))),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 413
    diagnostics = r.json()["issue"][0]["diagnostics"]
    assert "entry[1].resource.code.text" in diagnostics
    assert "HOSENTINEL_MAX_STRING" in diagnostics
    assert nurse.client.get("/api/patients/long-1").status_code == 404  # nothing stored


def test_a_string_at_the_limit_is_stored(signed_in: Callable[[str], SignedIn]) -> None:
    nurse = signed_in("nurse")
    r: Any = nurse.post(
        "/fhir",
        content=orjson.dumps(bundle("x" * LIMIT)),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 200, r.text[:300]


def test_a_cds_hooks_call_with_a_string_over_the_limit_gets_413(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hosentinel.cdshooks import api
    from hosentinel.cdshooks.security import Caller

    async def authenticated(*args: object) -> Caller:  # `_authenticate` is a coroutine
        return Caller("iss", "jti-2")

    monkeypatch.setattr(api, "_authenticate", authenticated)
    call = {
        "hook": "patient-view",
        "hookInstance": "h-2",
        "context": {"patientId": "long-1", "userId": "Practitioner/1"},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "long-1", "x": "y" * (LIMIT + 1)}
        },
    }
    with TestClient(app) as client:
        r = client.post("/cds-services/ho-sentinel-patient-view", content=orjson.dumps(call))
    assert r.status_code == 413
    assert "prefetch.patient.x" in r.json()["issue"][0]["diagnostics"]
    assert r.headers["access-control-allow-origin"] == "*"


def test_oversized_string_finds_keys_and_deep_values() -> None:
    deep: Any = "ok"
    for _ in range(5000):
        deep = [deep]
    assert oversized_string(deep, 10) is None
    assert oversized_string({"a": [1, {"b": "x" * 11}]}, 10) == ("a[1].b", 11)
    assert oversized_string({"k" * 11: 1}, 10) == ("(a key)", 11)
    assert oversized_string("x" * 11, 10) == ("(the body)", 11)
