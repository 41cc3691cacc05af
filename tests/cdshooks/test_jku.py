"""`jku` (CDS Hooks 2.0, "Trusting CDS Clients"): a JWK Set is fetched from a token's `jku` only
when the URL is on the issuer's allowlist; it is cached, and fetched again for an unknown `kid`
(key rotation), never more than once every 30 s. Per-issuer settings are checked at start-up."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hosentinel.cdshooks.security import ConfigError, TrustStore
from tests.support.cdskit import ISSUER, PV, Cds, Keys, demo, hook_request, prefetch_for

JKU = "https://ehr.example.com/.well-known/jwks.json"
ENTRY = demo("03-sci-hip-rom-loss-probable")


class JwksHost:
    """An EHR's JWK Set URL over httpx.MockTransport; `keys` can rotate."""

    def __init__(self) -> None:
        self.keys: dict[str, ec.EllipticCurvePrivateKey] = {
            "rot-1": ec.generate_private_key(ec.SECP384R1())
        }
        self.requests: list[str] = []

    def jwks(self) -> dict[str, Any]:
        found = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
            found.append(jwk | {"kid": kid, "alg": "ES384", "use": "sig"})
        return {"keys": found}

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if str(request.url) == JKU:
            return httpx.Response(200, json=self.jwks())
        return httpx.Response(404)


def token(key: ec.EllipticCurvePrivateKey, kid: str, jku: str | None = JKU) -> str:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": f"https://ho.example.org/cds-services/{PV}",
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    header: dict[str, Any] = {"kid": kid, "typ": "JWT"}
    if jku:
        header["jku"] = jku
    return jwt.encode(claims, key, algorithm="ES384", headers=header)


def call(cds: Cds, signed: str) -> int:
    patient_id, prefetch = prefetch_for(ENTRY)
    body = hook_request("patient-view", patient_id, prefetch)
    return cds.post(PV, body, token=signed).status_code


@pytest.fixture
def host() -> JwksHost:
    return JwksHost()


def test_an_allowlisted_jku_is_fetched_cached_and_refreshed(
    make_cds: Callable[..., Cds], keys: Keys, host: JwksHost
) -> None:
    trusted = {ISSUER: {"jwks": keys.jwks(), "jku": [JKU]}}
    cds = make_cds(ENTRY.as_of, transport=httpx.MockTransport(host.handler), trusted=trusted)
    clock = [1000.0]
    cds.app.state.cds_hooks.jku.clock = lambda: clock[0]
    assert call(cds, token(host.keys["rot-1"], "rot-1")) == 200
    assert call(cds, token(host.keys["rot-1"], "rot-1")) == 200
    assert host.requests == [JKU]  # cached
    # The EHR rotates its key: the unknown kid fetches the set again (30 s after the last fetch).
    host.keys["rot-2"] = ec.generate_private_key(ec.SECP384R1())
    clock[0] += 10
    assert call(cds, token(host.keys["rot-2"], "rot-2")) == 401  # too soon: not fetched
    assert host.requests == [JKU]
    clock[0] += 30
    assert call(cds, token(host.keys["rot-2"], "rot-2")) == 200
    assert host.requests == [JKU, JKU]
    # A kid the set does not have: refused, fetched once, and not again within 30 s.
    stranger = ec.generate_private_key(ec.SECP384R1())
    clock[0] += 30
    assert call(cds, token(stranger, "rot-3")) == 401
    assert call(cds, token(stranger, "rot-3")) == 401
    assert host.requests == [JKU, JKU, JKU]


def test_a_jku_off_the_allowlist_is_never_fetched(
    make_cds: Callable[..., Cds], keys: Keys, host: JwksHost
) -> None:
    trusted = {ISSUER: {"jwks": keys.jwks(), "jku": ["https://ehr.example.com/other.json"]}}
    cds = make_cds(ENTRY.as_of, transport=httpx.MockTransport(host.handler), trusted=trusted)
    assert call(cds, token(host.keys["rot-1"], "rot-1")) == 401
    plain = make_cds(ENTRY.as_of, transport=httpx.MockTransport(host.handler))
    assert call(plain, token(host.keys["rot-1"], "rot-1")) == 401
    assert host.requests == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"fhir_servers": "https://x.example"}, "list of URLs"),
        ({"fhir_servers": ["ftp://x.example"]}, "not an http"),
        ({"open_fhir_servers": ["https://x.example"]}, "also be in fhir_servers"),
        ({"jku": [""]}, "list of URLs"),
        ({"colour": "blue"}, "unknown settings"),
    ],
)
def test_bad_issuer_settings_are_refused(
    keys: Keys, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        TrustStore.from_mapping({ISSUER: {"jwks": keys.jwks(), **settings}})


def test_settings_are_read_with_their_keys(keys: Keys) -> None:
    store = TrustStore.from_mapping(
        {
            ISSUER: {
                "jwks": keys.jwks(),
                "fhir_servers": ["HTTP://127.0.0.1:8080/fhir/"],
                "open_fhir_servers": ["http://127.0.0.1:8080/fhir"],
            }
        }
    )
    settings = store.settings(ISSUER)
    assert settings.listed("http://127.0.0.1:8080/fhir") and settings.is_open(
        "http://127.0.0.1:8080/fhir/"
    )
    assert not settings.listed("http://127.0.0.1:8081/fhir")
    assert store.key(ISSUER, "ehr-es384") is not None
    assert store.settings("https://unknown/").fhir_servers is None
