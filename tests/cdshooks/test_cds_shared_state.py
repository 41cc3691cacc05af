"""CDS Hooks with several server processes on one database (`serve --workers N`): a jti claimed
by one process is refused by the others, and feedback about a card reaches whichever process
gets it. Two apps on the same database stand for two processes; SQLite and PostgreSQL."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app
from hosentinel.cdshooks.api import install
from hosentinel.cdshooks.discovery import PREFETCH
from hosentinel.cdshooks.ledger import claim_token
from hosentinel.demo.catalog import load_catalog
from hosentinel.store import models as m
from tests.support.appkit import TODAY

BASE = "https://ho.example.org"
ISSUER = "https://ehr.example.com/"
KID = "ehr-es384"
PV = "/cds-services/ho-sentinel-patient-view"
KEY = ec.generate_private_key(ec.SECP384R1())


def _jwks() -> dict[str, Any]:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    return {"keys": [jwk | {"kid": KID, "use": "sig", "alg": "ES384"}]}


def _token(aud: str) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


def _patient_view() -> tuple[str, dict[str, Any]]:
    """A patient-view request for demo patient 03, whose row is in the demo database."""
    entry = next(e for e in load_catalog() if e.file.startswith("03-"))
    resources = [e["resource"] for e in json.loads(entry.path.read_bytes())["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    prefetch: dict[str, Any] = {"patient": patient}
    for key, template in PREFETCH.items():  # every search, each with all the resources of its type
        if key != "patient":
            rtype = template.partition("?")[0]
            found = [{"resource": r} for r in resources if r["resourceType"] == rtype]
            prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": found}
    body = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient["id"]},
        "prefetch": prefetch,
    }
    return patient["id"], body


@pytest.fixture
def twins(app_db_url: str) -> Iterator[tuple[TestClient, TestClient, FastAPI]]:
    apps = [
        create_app(AppConfig(database_url=app_db_url, today=TODAY, base_url=BASE)) for _ in range(2)
    ]
    for app in apps:
        install(app, {ISSUER: _jwks()})
    clients = [TestClient(app, base_url=BASE) for app in apps]
    yield clients[0], clients[1], apps[0]
    for client in clients:
        client.close()
    for app in apps:
        app.state.engine.dispose()


def _post(client: TestClient, path: str, body: object, token: str) -> Any:
    return client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})


def test_a_token_used_by_one_process_is_refused_by_the_other(
    twins: tuple[TestClient, TestClient, FastAPI],
) -> None:
    first, second, _ = twins
    _, body = _patient_view()
    token = _token(BASE + PV)
    assert _post(first, PV, body, token).status_code == 200
    replay = _post(second, PV, body, token)
    assert replay.status_code == 401 and replay.content == b""
    assert _post(second, PV, body, _token(BASE + PV)).status_code == 200


def test_feedback_reaches_the_other_process_and_its_token_is_claimed_too(
    twins: tuple[TestClient, TestClient, FastAPI],
) -> None:
    first, second, app = twins
    patient_id, body = _patient_view()
    (card,) = _post(first, PV, body, _token(BASE + PV)).json()["cards"]
    item = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-06-01T09:00Z"}
    feedback = {"feedback": [item]}
    token = _token(BASE + PV + "/feedback")
    assert _post(second, PV + "/feedback", feedback, token).status_code == 200
    with app.state.sessionmaker() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(m.AlertState)
            .where(m.AlertState.patient_id == patient_id, m.AlertState.source == "cds-hooks")
        )
    assert stored == 1
    assert _post(first, PV + "/feedback", feedback, token).status_code == 401


def test_claims_are_per_issuer_and_once(app: FastAPI) -> None:
    expires = (datetime.now() + timedelta(minutes=5)).timestamp()
    with app.state.sessionmaker.begin() as session:
        assert claim_token(session, ISSUER, "jti-1", expires)
        assert not claim_token(session, ISSUER, "jti-1", expires)
        assert claim_token(session, "https://other.example.com/", "jti-1", expires)
    with app.state.sessionmaker.begin() as session:
        assert not claim_token(session, ISSUER, "jti-1", expires)
