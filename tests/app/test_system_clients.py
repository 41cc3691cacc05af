"""SMART Backend Services for system clients: a registered client signs a client assertion, gets
a short-lived bearer token at the service's own token endpoint, and uses it on /fhir and /api
within the scopes granted; everything it does is audited under its service account. SQLite and
PostgreSQL (the `app` fixture)."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from hosentinel.app.system_clients import ASSERTION_TYPE, load_clients
from hosentinel.cdshooks.security import ConfigError
from hosentinel.demo.catalog import load_catalog
from hosentinel.store import models as m

KEY = ec.generate_private_key(ec.SECP384R1())
CLIENT = "integration-engine"
TOKEN_URL = "http://127.0.0.1:8000/auth/token"  # the app's default base URL
ENTRY = next(e for e in load_catalog() if e.file.startswith("03-"))
PATIENT = ENTRY.patient.removeprefix("Patient/")


def register(app: FastAPI, scope: str) -> None:
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    jwks = {"keys": [jwk | {"kid": "k1", "alg": "ES384", "use": "sig"}]}
    setting = {CLIENT: {"jwks": jwks, "scope": scope, "role": "nurse"}}
    app.state.system_clients = load_clients(json.dumps(setting))


def assertion(**changes: Any) -> str:
    now = int(time.time())
    claims = {
        "iss": CLIENT,
        "sub": CLIENT,
        "aud": TOKEN_URL,
        "exp": now + 240,
        "jti": str(uuid.uuid4()),
    } | changes
    return jwt.encode(claims, KEY, algorithm="ES384", headers={"kid": "k1", "typ": "JWT"})


def ask(client: TestClient, scope: str, signed: str | None = None) -> Any:
    return client.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed or assertion(),
        },
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


def test_read_with_a_read_scope_and_no_write(app: FastAPI, client: TestClient) -> None:
    register(app, "system/*.read")
    discovery = client.get("/fhir/.well-known/smart-configuration").json()
    assert discovery["token_endpoint"] == TOKEN_URL
    response = ask(client, "system/*.read")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/*.read"
    token = body["access_token"]
    read = client.get(f"/fhir/Patient/{PATIENT}/$ho-assessment", headers=bearer(token))
    assert read.status_code == 200 and read.json()["resourceType"] == "Bundle"
    alerts = client.get(f"/api/patients/{PATIENT}/alerts", headers=bearer(token))
    assert alerts.status_code == 200
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}
    write = client.post(
        "/fhir",
        content=orjson.dumps(bundle),
        headers=bearer(token) | {"Content-Type": "application/fhir+json"},
    )
    assert write.status_code == 403
    with app.state.sessionmaker() as session:
        who = session.scalars(
            select(m.AuditEntry.username).where(m.AuditEntry.patient_id == PATIENT)
        ).all()
    assert f"system:{CLIENT}" in who
    # The service account cannot sign in with a password.
    login = client.post("/login", data={"username": f"system:{CLIENT}", "password": "!"})
    assert login.status_code == 401
    # Pages are not opened to bearer tokens.
    page = client.get(f"/patients/{PATIENT}", headers=bearer(token), follow_redirects=False)
    assert page.status_code in (303, 401)


def test_write_with_a_write_scope(app: FastAPI, client: TestClient) -> None:
    register(app, "system/*.read system/*.write")
    token = ask(client, "system/*.read system/*.write").json()["access_token"]
    text = ENTRY.path.read_text().replace(PATIENT, "from-engine-1")
    write = client.post(
        "/fhir",
        content=text.encode(),
        headers=bearer(token) | {"Content-Type": "application/fhir+json"},
    )
    assert write.status_code == 200, write.text
    with app.state.sessionmaker() as session:
        assert session.get(m.Patient, "from-engine-1") is not None


def test_refused_assertions(app: FastAPI, client: TestClient) -> None:
    register(app, "system/*.read")
    stranger = ec.generate_private_key(ec.SECP384R1())
    forged = jwt.encode(
        {
            "iss": CLIENT,
            "sub": CLIENT,
            "aud": TOKEN_URL,
            "exp": int(time.time()) + 60,
            "jti": "forged",
        },
        stranger,
        algorithm="ES384",
        headers={"kid": "k1"},
    )
    replayed = assertion()
    assert ask(client, "system/*.read", replayed).status_code == 200
    cases = {
        "replayed jti": replayed,
        "forged signature": forged,
        "other audience": assertion(aud="https://elsewhere.example/token"),
        "exp too far ahead": assertion(exp=int(time.time()) + 3600),
        "expired": assertion(exp=int(time.time()) - 120),
        "iss is not sub": assertion(sub="someone-else"),
        "unknown client": assertion(iss="unknown", sub="unknown"),
    }
    for why, signed in cases.items():
        response = ask(client, "system/*.read", signed)
        assert response.status_code == 401, why
        assert response.json()["error"] == "invalid_client", why
    scope = ask(client, "system/*.write")
    assert scope.status_code == 400 and scope.json()["error"] == "invalid_scope"
    grant = client.post("/auth/token", data={"grant_type": "password"})
    assert grant.json()["error"] == "unsupported_grant_type"


def test_an_expired_or_unknown_token_is_401(app: FastAPI, client: TestClient) -> None:
    register(app, "system/*.read")
    token = ask(client, "system/*.read").json()["access_token"]
    path = f"/fhir/Patient/{PATIENT}/$ho-assessment"
    assert client.get(path, headers=bearer(token)).status_code == 200
    with app.state.sessionmaker.begin() as session:
        session.execute(
            update(m.SystemToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    expired = client.get(path, headers=bearer(token))
    assert expired.status_code == 401 and expired.json()["resourceType"] == "OperationOutcome"
    assert client.get(path, headers=bearer("made-up")).status_code == 401
    assert client.get(f"/api/patients/{PATIENT}/alerts", headers=bearer("x")).status_code == 401
    # A client no longer registered: its live tokens stop working.
    live = ask(client, "system/*.read").json()["access_token"]
    app.state.system_clients = {}
    assert client.get(path, headers=bearer(live)).status_code == 401


def test_a_system_client_cannot_act_as_an_admin() -> None:
    """Admins are not clinicians (issue 15): an admin is refused on every clinical route, so a
    system client given the admin role could do nothing; the setting is refused with a clear
    message instead of every call failing."""
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(KEY.public_key()))
    jwks = {"keys": [jwk | {"kid": "k1", "alg": "ES384", "use": "sig"}]}
    setting = {CLIENT: {"jwks": jwks, "role": "admin"}}
    with pytest.raises(ConfigError, match="role"):
        load_clients(json.dumps(setting))
    setting[CLIENT]["role"] = "physiatrist"
    assert load_clients(json.dumps(setting))[CLIENT].role == "physiatrist"
