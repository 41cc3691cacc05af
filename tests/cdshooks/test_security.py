"""JWT checks on every service and feedback call: only ES384/RS384 from a trusted issuer, for
this URL, unexpired, never replayed. Any failure is a bare 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from hosentinel.cdshooks.api import install
from hosentinel.cdshooks.security import (
    ConfigError,
    ReplayCache,
    TrustStore,
    verify,
)
from tests.support.cdskit import (
    BASE,
    ES_KID,
    ISSUER,
    PV,
    Cds,
    Keys,
    bearer,
    demo,
    hook_request,
    prefetch_for,
    sign,
    url,
)

TODAY = date(2025, 3, 8)  # the as-of date of demo patient 03
PV_URL = BASE + url(PV)


def _b64(value: object) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {"iss": ISSUER, "aud": PV_URL, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}


@pytest.fixture
def cds(make_cds: Callable[..., Cds]) -> Cds:
    return make_cds(TODAY)


@pytest.fixture
def body() -> dict[str, object]:
    patient_id, prefetch = prefetch_for(demo("03-"))
    return hook_request("patient-view", patient_id, prefetch)


def _refused(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.content == b""  # type: ignore[attr-defined]


def test_signed_es384_and_rs384_calls_are_answered(cds: Cds, body: dict[str, object]) -> None:
    assert cds.post(PV, body).status_code == 200
    assert cds.post(PV, body, alg="RS384").status_code == 200
    # `aud` may also be an array naming the endpoint.
    assert cds.post(PV, body, token=sign(cds.keys, [PV_URL])).status_code == 200


def test_unsigned_call_is_refused(cds: Cds, body: dict[str, object]) -> None:
    _refused(cds.client.post(url(PV), json=body))
    _refused(cds.client.post(url(PV), json=body, headers={"Authorization": "Basic dXNlcjpwdw=="}))
    _refused(cds.client.post(url(PV), json=body, headers=bearer("not.a.jwt")))


def test_alg_none_is_refused(cds: Cds, body: dict[str, object]) -> None:
    unsecured = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': ES_KID})}.{_b64(_claims())}."
    _refused(cds.post(PV, body, token=unsecured))


def test_hmac_is_refused_even_with_the_public_key_as_secret(
    cds: Cds, keys: Keys, body: dict[str, object]
) -> None:
    # The classic algorithm-confusion attack: HS256 "signed" with the issuer's public key.
    public_pem = keys.es.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": ES_KID}
    # PyJWT refuses to HMAC-sign with a PEM key, so the token is assembled by hand.
    signing_input = f"{_b64(header)}.{_b64(_claims())}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    forged = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    _refused(cds.post(PV, body, token=forged))
    _refused(cds.post(PV, body, token=jwt.encode(_claims(), "s" * 64, algorithm="HS384")))


def test_wrong_audience_is_refused(cds: Cds, body: dict[str, object]) -> None:
    _refused(cds.post(PV, body, token=sign(cds.keys, BASE + url("ho-sentinel-order-sign"))))
    _refused(cds.post(PV, body, token=sign(cds.keys, "https://other.example.org" + url(PV))))
    _refused(cds.post(PV, body, token=sign(cds.keys, BASE + "/cds-services")))


def test_expired_and_future_tokens_are_refused(cds: Cds, body: dict[str, object]) -> None:
    now = int(time.time())
    _refused(cds.post(PV, body, exp=now - 120, iat=now - 420))
    _refused(cds.post(PV, body, iat=now + 600, exp=now + 900))  # issued in the future
    _refused(cds.post(PV, body, exp=now + 2 * 3600))  # more than an hour ahead


def test_replayed_token_is_refused(cds: Cds, body: dict[str, object]) -> None:
    token = sign(cds.keys, PV_URL)
    assert cds.post(PV, body, token=token).status_code == 200
    _refused(cds.post(PV, body, token=token))


def test_missing_claims_are_refused(cds: Cds, body: dict[str, object]) -> None:
    for claim in ("jti", "exp", "iat", "aud", "iss"):
        _refused(cds.post(PV, body, token=sign(cds.keys, PV_URL, drop=(claim,))))


def test_untrusted_issuer_key_or_signature_is_refused(
    cds: Cds, keys: Keys, body: dict[str, object]
) -> None:
    _refused(cds.post(PV, body, token=sign(keys, PV_URL, iss="https://evil.example.org")))
    _refused(cds.post(PV, body, token=sign(keys, PV_URL, kid="unknown-kid")))
    # ES384 header but the RSA key id: the key type does not match the algorithm.
    _refused(cds.post(PV, body, token=sign(keys, PV_URL, kid="ehr-rs384")))
    # A valid ES384 signature by a key the issuer does not own.
    stranger = Keys(ec.generate_private_key(ec.SECP384R1()), keys.rs)
    _refused(cds.post(PV, body, token=sign(stranger, PV_URL)))
    # ES256 is a fine algorithm elsewhere, but not one CDS Hooks recommends: refused.
    es256 = jwt.encode(
        _claims(), ec.generate_private_key(ec.SECP256R1()), "ES256", headers={"kid": ES_KID}
    )
    _refused(cds.post(PV, body, token=es256))


def test_the_spec_example_token_is_refused(cds: Cds, body: dict[str, object]) -> None:
    """The JWT of the CDS Hooks spec's security example: from an untrusted issuer, for another
    URL, and expired since 2015."""
    spec_token = (
        "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9ma"
        "GlyLWVoci5leGFtcGxlLmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY2"
        "9tLyIsImF1ZCI6Imh0dHBzOi8vY2RzLmV4YW1wbGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJ"
        "leHAiOjE0MjI1Njg4NjAsImlhdCI6MTMxMTI4MDk3MCwianRpIjoiZWUyMmIwMjEtZTFiNy00NjExLWJhNWIt"
        "OGVlYzZhMzNhYzFlIiwidGVuYW50IjoiMmRkZDZjM2EtOGU5YS00NGM2LWEzMDUtNTIxMTFhZDMwMmEyIn0.d"
        "1WfLjGRKlcWB94l9do4cM8REXeYJLL6SGUBO8VHZhfM8mwKYP70EMxJ67War4TQblEpaQrp11wx5p7oPFm2ET"
        "YgCicS84vXWEIYTdjooZdooCSDf2L8-i4awdoUwiEb"
    )
    spec_jwks = {
        "keys": [
            {
                "kty": "EC",
                "use": "sig",
                "crv": "P-384",
                "kid": "example-kid",
                "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
                "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
                "alg": "ES384",
            }
        ]
    }
    assert jwt.get_unverified_header(spec_token)["jku"] == "https://fhir-ehr.example.com/jwk_uri"
    _refused(cds.post(PV, body, token=spec_token))
    # Even trusting the spec's issuer and key, the token is expired and for another URL.
    install(cds.app, {"https://fhir-ehr.example.com/": spec_jwks})
    _refused(cds.post(PV, body, token=spec_token))


def test_jku_is_never_fetched(cds: Cds, body: dict[str, object]) -> None:
    """A jku pointing elsewhere does not change which key verifies the token."""
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": PV_URL, "exp": now + 300, "iat": now, "jti": "jku-test"}
    headers = {"kid": ES_KID, "typ": "JWT", "jku": "https://attacker.example/jwks.json"}
    good = jwt.encode(claims, cds.keys.es, algorithm="ES384", headers=headers)
    assert cds.post(PV, body, token=good).status_code == 200
    attacker = ec.generate_private_key(ec.SECP384R1())
    claims["jti"] = "jku-test-2"
    forged = jwt.encode(claims, attacker, algorithm="ES384", headers=headers)
    _refused(cds.post(PV, body, token=forged))


def test_feedback_needs_a_token_too(cds: Cds) -> None:
    feedback = {"feedback": []}
    _refused(cds.client.post(url(PV, feedback=True), json=feedback))
    # A token for the service URL (not only the feedback URL) is accepted for feedback.
    assert cds.post(PV, feedback, feedback=True, token=sign(cds.keys, PV_URL)).status_code == 200


def test_refusal_is_logged_without_the_token(
    cds: Cds, body: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    token = sign(cds.keys, BASE + "/wrong")
    with caplog.at_level(logging.INFO, logger="hosentinel.cdshooks"):
        _refused(cds.post(PV, body, token=token))
    assert "refused" in caplog.text and ISSUER in caplog.text
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


# --- the setting -------------------------------------------------------------------------------


def test_setting_inline_and_file_path(
    cds: Cds,
    keys: Keys,
    body: dict[str, object],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jwks_file = tmp_path / "ehr-jwks.json"
    jwks_file.write_text(json.dumps(keys.jwks()))
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", json.dumps({ISSUER: str(jwks_file)}))
    install(cds.app)
    assert cds.post(PV, body).status_code == 200
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", json.dumps({ISSUER: keys.jwks()}))
    install(cds.app)
    assert cds.post(PV, body, alg="RS384").status_code == 200
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", json.dumps({"https://other/": keys.jwks()}))
    install(cds.app)
    _refused(cds.post(PV, body))


def test_bad_or_missing_setting_trusts_nobody(
    cds: Cds, body: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOSENTINEL_CDS_JWKS", raising=False)
    assert install(cds.app).trust.issuers == frozenset()
    _refused(cds.post(PV, body))
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", "{not json")
    assert install(cds.app).trust.issuers == frozenset()
    _refused(cds.post(PV, body))


def test_trust_store_uses_only_asymmetric_p384_and_rsa_keys(keys: Keys) -> None:
    jwks = keys.jwks()
    jwks["keys"].append({"kty": "oct", "kid": "shared", "k": "c2VjcmV0"})
    p256 = json.loads(
        jwt.algorithms.ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    )
    jwks["keys"].append(p256 | {"kid": "p256"})
    store = TrustStore.from_mapping({ISSUER: jwks})
    assert store.key(ISSUER, "shared") is None and store.key(ISSUER, "p256") is None
    es, rs = store.key(ISSUER, ES_KID), store.key(ISSUER, "ehr-rs384")
    assert es is not None and es.algorithm == "ES384"
    assert rs is not None and rs.algorithm == "RS384"
    with pytest.raises(ConfigError, match="no usable"):
        TrustStore.from_mapping({ISSUER: {"keys": [{"kty": "oct", "kid": "x", "k": "eA"}]}})
    with pytest.raises(ConfigError, match="cannot read"):
        TrustStore.from_mapping({ISSUER: "/no/such/jwks.json"})
    with pytest.raises(ConfigError, match="must be a JSON object"):
        TrustStore.from_setting("[1, 2]")


def test_replay_cache_forgets_expired_entries(keys: Keys) -> None:
    cache = ReplayCache(limit=3)
    assert cache.first_use(ISSUER, "a", expires=100.0, now=50.0)
    assert not cache.first_use(ISSUER, "a", expires=100.0, now=60.0)
    assert cache.first_use("https://other/", "a", expires=100.0, now=60.0)  # per issuer
    assert cache.first_use(ISSUER, "b", expires=100.0, now=60.0)
    assert not cache.first_use(ISSUER, "c", expires=100.0, now=60.0)  # full: refuse
    assert cache.first_use(ISSUER, "c", expires=300.0, now=200.0)  # the others expired
    assert len(cache) == 1
    store = TrustStore.from_mapping({ISSUER: keys.jwks()})
    token = sign(keys, "https://x/cds-services/y")
    caller = verify(token, ["https://x/cds-services/y"], store, ReplayCache())
    assert caller.iss == ISSUER and caller.tenant == "2ddd6c3a-8e9a-44c6-a305-52111ad302a2"
