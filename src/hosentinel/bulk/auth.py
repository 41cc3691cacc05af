"""SMART Backend Services: a `client_credentials` token bought with a signed client assertion.

    key = load_key(Path("key.pem"))                 # or a JWK Set holding the private key
    tokens = Tokens(http, token_url, "client-id", key, "system/*.read")
    tokens.header()                                  # {"Authorization": "Bearer ..."}

The assertion is a JWT (RS384 for an RSA key, ES384 for a P-384 EC key) with iss = sub = the
client id, aud = the token URL, exp five minutes ahead at most and a fresh jti, as the SMART
Backend Services specification asks (https://hl7.org/fhir/smart-app-launch/backend-services.html).
Signing is PyJWT's; only the choice of algorithm and claims is ours.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hosentinel.bulk.errors import BulkError
from hosentinel.bulk.urls import checked

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_S = 240  # the specification allows at most 300
_REFRESH_BEFORE_S = 30  # a token this close to its expiry is replaced before use


@dataclass(frozen=True)
class SigningKey:
    key: Any  # a cryptography private key
    alg: str  # RS384 or ES384
    kid: str | None = None


def _alg_of(key: Any, source: Path) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RS384"
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP384R1):
        return "ES384"
    raise BulkError(f"{source}: the key must be an RSA or a P-384 EC private key (RS384/ES384)")


def load_key(path: Path) -> SigningKey:
    """A PEM private key, or a JWK Set (or one JWK) holding a private RSA or P-384 key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise BulkError(f"cannot read --key {path}: {exc.strerror or exc}") from None
    if data.lstrip().startswith(b"{"):
        return _from_jwks(data, path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise BulkError(f"{path}: not a PEM private key or a JWK Set ({exc})") from None
    return SigningKey(key, _alg_of(key, path))


def _from_jwks(data: bytes, path: Path) -> SigningKey:
    try:
        doc = json.loads(data)
    except ValueError as exc:
        raise BulkError(f"{path}: not JSON ({exc})") from None
    keys = doc.get("keys") if isinstance(doc, dict) and "keys" in doc else [doc]
    if not isinstance(keys, list):
        raise BulkError(f"{path}: 'keys' is not a list")
    for jwk in keys:
        if not isinstance(jwk, dict) or "d" not in jwk:
            continue  # public keys cannot sign
        try:
            key = jwt.PyJWK.from_dict(jwk).key
        except jwt.PyJWTError as exc:
            raise BulkError(f"{path}: unusable JWK ({exc})") from None
        alg = _alg_of(key, path)
        if jwk.get("alg") not in (None, alg):
            raise BulkError(f"{path}: JWK alg {jwk.get('alg')!r} (RS384 or ES384 expected)")
        kid = jwk.get("kid")
        return SigningKey(key, alg, kid if isinstance(kid, str) else None)
    raise BulkError(f"{path}: the JWK Set holds no private key")


def client_assertion(client_id: str, token_url: str, key: SigningKey) -> str:
    now = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_S,
        "jti": uuid.uuid4().hex,
    }
    headers = {"typ": "JWT"} | ({"kid": key.kid} if key.kid else {})
    return jwt.encode(claims, key.key, algorithm=key.alg, headers=headers)


def discover_token_url(http: httpx.Client, base: str) -> str:
    """The token endpoint from `{base}/.well-known/smart-configuration`."""
    url = f"{base}/.well-known/smart-configuration"
    try:
        response = http.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise BulkError(f"cannot read {url}: {type(exc).__name__}: {exc}") from None
    if response.status_code != 200:
        raise BulkError(
            f"{url} answered {response.status_code}: give the token URL with --token-url"
        )
    try:
        endpoint = response.json().get("token_endpoint")
    except (ValueError, AttributeError):
        endpoint = None
    if not isinstance(endpoint, str) or not endpoint:
        raise BulkError(f"{url} names no token_endpoint: give it with --token-url")
    return checked(endpoint, "token endpoint")


class Tokens:
    """Access tokens for the fetch, bought when needed and replaced before they expire."""

    def __init__(
        self, http: httpx.Client, token_url: str, client_id: str, key: SigningKey, scope: str
    ) -> None:
        self.http = http
        self.token_url = checked(token_url, "token URL")
        self.client_id = client_id
        self.key = key
        self.scope = scope
        self._lock = threading.Lock()
        self._token: str | None = None
        self._expires = 0.0

    def header(self, renew: bool = False) -> dict[str, str]:
        with self._lock:
            if renew or self._token is None or time.monotonic() > self._expires:
                self._buy()
            return {"Authorization": f"Bearer {self._token}"}

    def _buy(self) -> None:
        form = {
            "grant_type": "client_credentials",
            "scope": self.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(self.client_id, self.token_url, self.key),
        }
        try:
            response = self.http.post(
                self.token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise BulkError(
                f"token request to {self.token_url} failed: {type(exc).__name__}"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if response.status_code != 200 or not isinstance(body.get("access_token"), str):
            why = " ".join(str(body.get(k, "")) for k in ("error", "error_description")).strip()
            raise BulkError(
                f"authorisation failed: the token endpoint {self.token_url} answered "
                f"{response.status_code}" + (f" ({why})" if why else "")
            )
        self._token = body["access_token"]
        lifetime = body.get("expires_in")
        seconds = float(lifetime) if isinstance(lifetime, int | float) and lifetime > 0 else 300.0
        self._expires = time.monotonic() + max(seconds - _REFRESH_BEFORE_S, seconds / 2)
