"""Helpers for the CDS Hooks tests: signing keys and JWTs, demo patients as prefetch, requests
shaped like the CDS Hooks 2.0 spec examples, and card checks. Fixtures are in conftest.py."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.cdshooks.discovery import PREFETCH
from hosentinel.demo.catalog import DemoPatient, load_catalog

BASE = "https://ho.example.org"
ISSUER = "https://ehr.example.com/"
ES_KID = "ehr-es384"
RS_KID = "ehr-rs384"
EHR = "http://example.org/someEHR/fhir"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
PV = "ho-sentinel-patient-view"
OSEL = "ho-sentinel-order-select"
OSIGN = "ho-sentinel-order-sign"


@dataclass(frozen=True)
class Keys:
    es: ec.EllipticCurvePrivateKey
    rs: rsa.RSAPrivateKey

    def jwks(self) -> dict[str, Any]:
        es = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(self.es.public_key()))
        rs = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.rs.public_key()))
        es |= {"kid": ES_KID, "use": "sig", "alg": "ES384"}
        rs |= {"kid": RS_KID, "use": "sig"}
        return {"keys": [es, rs]}


def sign(
    keys: Keys,
    aud: str | list[str],
    *,
    alg: str = "ES384",
    kid: str | None = None,
    iss: str = ISSUER,
    lifetime: int = 300,
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": iss,
        "aud": aud,
        "exp": now + lifetime,
        "iat": now,
        "jti": str(uuid.uuid4()),
        "tenant": "2ddd6c3a-8e9a-44c6-a305-52111ad302a2",
    }
    payload |= claims
    for name in drop:
        payload.pop(name, None)
    key = keys.es if alg == "ES384" else keys.rs
    header = {"kid": kid or (ES_KID if alg == "ES384" else RS_KID), "typ": "JWT"}
    return jwt.encode(payload, key, algorithm=alg, headers=header)


def url(service_id: str, feedback: bool = False) -> str:
    return f"/cds-services/{service_id}" + ("/feedback" if feedback else "")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def demo(prefix: str) -> DemoPatient:
    return next(e for e in load_catalog() if e.file.startswith(prefix))


def resources_of(entry: DemoPatient) -> list[dict[str, Any]]:
    bundle = json.loads(entry.path.read_bytes())
    return [e["resource"] for e in bundle["entry"]]


def categories(resource: dict[str, Any]) -> set[str]:
    return {
        coding.get("code")
        for concept in resource.get("category", [])
        for coding in concept.get("coding", [])
    }


def search(template: str, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What an EHR finds for one search template (by type, and category when it names one)."""
    rtype, _, query = template.partition("?")
    wanted = parse_qs(query).get("category")
    return [
        r
        for r in resources
        if r["resourceType"] == rtype and (wanted is None or wanted[0] in categories(r))
    ]


def searchsets(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Every search template of the services filled from `resources`, as a CDS client would."""
    prefetch: dict[str, Any] = {}
    for key, template in PREFETCH.items():
        if key == "patient":
            continue
        found = search(template, resources)
        rtype = template.partition("?")[0]
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "entry": [
                {"fullUrl": f"https://ehr.example.com/fhir/{rtype}/{r['id']}", "resource": r}
                for r in found
            ],
        }
    return prefetch


def prefetch_for(entry: DemoPatient) -> tuple[str, dict[str, Any]]:
    """(patient id, prefetch) for a demo patient: the Patient read and one searchset Bundle per
    search template, as a CDS client would send them."""
    resources = resources_of(entry)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    return patient["id"], {"patient": patient, **searchsets(resources)}


def hook_request(
    hook: str, patient_id: str, prefetch: dict[str, Any] | None, **context: Any
) -> dict[str, Any]:
    """A request shaped like the spec's example (userId, patientId, encounterId)."""
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": hook,
        "context": {
            "userId": "Practitioner/example",
            "patientId": patient_id,
            "encounterId": "89284",
            **context,
        },
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


# --- draft orders, shaped like the Da Vinci CRD order-sign examples ------------------------


def medication_request(
    patient_id: str, rid: str, *, code: str | None = None, text: str | None = None
) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if code:
        concept["coding"] = [{"system": RXNORM, "code": code}]
    if text:
        concept["text"] = text
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "subject": {"reference": f"http://example.org/fhir/Patient/{patient_id}"},
        "encounter": {"reference": "http://example.org/fhir/Encounter/987"},
        "authoredOn": "2025-06-26",
        "requester": {"reference": "http://example.org/fhir/PractitionerRole/ABC"},
    }


def service_request(
    patient_id: str,
    rid: str,
    text: str,
    *,
    code: str | None = None,
    body_site: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "original-order",
        "code": {"text": text},
        "subject": {"reference": f"http://example.org/fhir/Patient/{patient_id}"},
    }
    if code:
        resource["code"]["coding"] = [{"system": SNOMED, "code": code, "display": text}]
    if body_site:
        resource["bodySite"] = [{"text": body_site}]
    if reason:
        resource["reasonCode"] = [{"text": reason}]
    return resource


def draft_orders(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"{EHR}/{r['resourceType']}/{r['id']}", "resource": r}
            if "id" in r
            else {"resource": r}
            for r in resources
        ],
    }


@dataclass
class Cds:
    """A client of the app's CDS Hooks endpoints that signs each call for the called URL."""

    app: FastAPI
    client: TestClient
    keys: Keys

    def post(
        self,
        service_id: str,
        body: object,
        *,
        feedback: bool = False,
        token: str | None = None,
        **sign_args: Any,
    ) -> httpx.Response:
        path = url(service_id, feedback)
        if token is None:
            token = sign(self.keys, BASE + path, **sign_args)
        return self.client.post(path, json=body, headers=bearer(token))


def assert_no_null_or_empty(value: object, path: str = "$") -> None:
    """CDS Hooks: optional fields are omitted, never null, "", [] or {} (the `cards` array of a
    response may be empty; callers check that one themselves)."""
    if value is None or value == "" or value == [] or value == {}:
        raise AssertionError(f"{path} is null or empty")
    if isinstance(value, dict):
        for key, item in value.items():
            assert_no_null_or_empty(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            assert_no_null_or_empty(item, f"{path}[{index}]")


def assert_well_formed_card(card: dict[str, Any]) -> None:
    assert_no_null_or_empty(card)
    assert str(uuid.UUID(card["uuid"])) == card["uuid"]
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in ("info", "warning", "critical")
    assert card["source"]["label"]
    if "suggestions" in card:
        assert card["selectionBehavior"] in ("at-most-one", "any")
        for suggestion in card["suggestions"]:
            assert suggestion["label"] and uuid.UUID(suggestion["uuid"])
            for action in suggestion["actions"]:
                assert action["type"] in ("create", "update", "delete")
                assert action["description"]
                assert "resource" in action or "resourceId" in action
    else:
        assert "selectionBehavior" not in card
    for reason in card.get("overrideReasons", []):
        assert reason["system"] and reason["code"] and reason["display"]
    for link in card.get("links", []):
        assert link["type"] in ("absolute", "smart") and link["url"].startswith("https://")
