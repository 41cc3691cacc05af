"""Who may call the CDS services: JWTs signed by trusted issuers (CDS Hooks 2.0, "Trusting CDS
Clients"; DESIGN.md, `HOSENTINEL_CDS_JWKS`).

The setting `HOSENTINEL_CDS_JWKS` is a JSON object mapping each trusted `iss` to its JWK Set,
given inline (`{"keys": [...]}`) or as the path of a JSON file holding it (or to an object of
settings holding it as "jwks": `issuers.py`):

    HOSENTINEL_CDS_JWKS='{"https://ehr.example.org": "/etc/hosentinel/ehr-jwks.json",
                          "https://sandbox.cds-hooks.org": {"keys": [{"kty": "EC", ...}]}}'

A call is accepted only when every check passes:
- the header names `alg` ES384 or RS384 (never `none`, never an HMAC or other algorithm) and a
  `kid`; `typ`, when given, is "JWT";
- `iss` is a configured issuer and `kid` one of its keys, of the right type for `alg` (EC P-384
  for ES384, RSA of 2048 bits or more for RS384; symmetric keys in a JWK Set are never used);
- the signature verifies; `aud` (a string or a list) names the URL being called, built from the
  app's `base_url`; `exp`, `iat` and `jti` are present, `exp` has not passed and is at most an hour
  ahead, `iat` is not in the future (30 s of clock skew allowed);
- the `jti` has not been seen from this issuer (replay cache kept until the token expires).

A `jku` header is used only when its URL is on the issuer's allowlist (`jku.py` fetches and caches
that set); any other `jku` is ignored and the configured keys decide. Any failure raises
`Unauthorized`; the API answers a bare 401. The reason is logged with `iss` and
`jti` only, never the token.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hosentinel.cdshooks.errors import Unauthorized
from hosentinel.cdshooks.issuers import IssuerSettings, SettingsError, normal_url, split_value
from hosentinel.logsafe import clip

log = logging.getLogger("hosentinel.cdshooks")

SETTING = "HOSENTINEL_CDS_JWKS"
ALGORITHMS = frozenset({"ES384", "RS384"})
LEEWAY_SECONDS = 30
MAX_LIFETIME_SECONDS = 3600  # how far ahead `exp` may be: bounds the replay cache
MIN_RSA_BITS = 2048
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]


class ConfigError(ValueError):
    """`HOSENTINEL_CDS_JWKS` cannot be used. The message names the problem, never key material."""


@dataclass(frozen=True, slots=True)
class TrustedKey:
    kid: str
    algorithm: str  # ES384 | RS384
    key: Any  # a cryptography public key


def _algorithm_for(jwk: Mapping[str, Any]) -> str | None:
    """The JWS algorithm a JWK may verify, or None when it cannot serve ES384 or RS384."""
    kty = jwk.get("kty")
    declared = jwk.get("alg")
    if kty == "EC" and jwk.get("crv") == "P-384":
        inferred = "ES384"
    elif kty == "RSA":
        inferred = "RS384"
    else:
        return None
    if declared is not None and declared != inferred:
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    return inferred


def _keys_of(issuer: str, jwks: object) -> dict[str, TrustedKey]:
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ConfigError(f"{SETTING}: the JWK Set of {issuer!r} has no 'keys' list")
    found: dict[str, TrustedKey] = {}
    for index, jwk in enumerate(jwks["keys"]):
        if not isinstance(jwk, Mapping):
            raise ConfigError(f"{SETTING}: key {index} of {issuer!r} is not a JSON object")
        kid = jwk.get("kid")
        algorithm = _algorithm_for(jwk)
        if not isinstance(kid, str) or not kid or algorithm is None:
            log.warning(
                "%s: key %s of %r skipped (needs a kid and to be an EC P-384 or RSA signing key)",
                SETTING,
                index,
                issuer,
            )
            continue
        try:
            key = jwt.PyJWK(dict(jwk), algorithm=algorithm).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError) as exc:
            raise ConfigError(f"{SETTING}: key {kid!r} of {issuer!r} is not a valid JWK") from exc
        if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey) and key.key_size < MIN_RSA_BITS:
            log.warning(
                "%s: RSA key %r of %r is under %s bits; skipped", SETTING, kid, issuer, 2048
            )
            continue
        if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
            key = key.public_key()  # a private JWK given by mistake: only its public half is kept
        if kid in found:
            raise ConfigError(f"{SETTING}: kid {kid!r} appears twice in the JWK Set of {issuer!r}")
        found[kid] = TrustedKey(kid, algorithm, key)
    if not found:
        raise ConfigError(f"{SETTING}: the JWK Set of {issuer!r} has no usable ES384/RS384 key")
    return found


class TrustStore:
    """Trusted issuers and their keys, by `iss` then `kid`."""

    def __init__(
        self,
        issuers: Mapping[str, Mapping[str, TrustedKey]] | None = None,
        settings: Mapping[str, IssuerSettings] | None = None,
    ) -> None:
        self._issuers: dict[str, dict[str, TrustedKey]] = {
            iss: dict(keys) for iss, keys in (issuers or {}).items()
        }
        self._settings = dict(settings or {})

    @classmethod
    def from_mapping(cls, trusted: Mapping[str, object], base: Path | None = None) -> TrustStore:
        """From `{iss: JWK Set | path}`; a relative path is read from `base` (default: cwd)."""
        issuers: dict[str, dict[str, TrustedKey]] = {}
        settings: dict[str, IssuerSettings] = {}
        for issuer, given in trusted.items():
            if not isinstance(issuer, str) or not issuer:
                raise ConfigError(f"{SETTING}: issuers are non-empty strings")
            try:
                value, settings[issuer] = split_value(issuer, given)
            except SettingsError as exc:
                raise ConfigError(f"{SETTING}: {exc}") from None
            jwks: object = value
            if isinstance(value, str):
                path = Path(value) if base is None else base / value
                try:
                    jwks = json.loads(path.read_text(encoding="utf-8"))
                except OSError as exc:
                    raise ConfigError(
                        f"{SETTING}: cannot read the JWK Set file of {issuer!r}: {exc.strerror}"
                    ) from exc
                except ValueError as exc:
                    raise ConfigError(
                        f"{SETTING}: the JWK Set file of {issuer!r} is not JSON"
                    ) from exc
            issuers[issuer] = _keys_of(issuer, jwks)
        return cls(issuers, settings)

    @classmethod
    def from_setting(cls, raw: str | None) -> TrustStore:
        """From the setting's text. Unset or empty: no issuer is trusted (every call refused)."""
        if raw is None or not raw.strip():
            return cls()
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ConfigError(f"{SETTING} is not JSON") from exc
        if not isinstance(value, Mapping):
            raise ConfigError(f"{SETTING} must be a JSON object mapping iss to a JWK Set")
        return cls.from_mapping(value)

    @property
    def issuers(self) -> frozenset[str]:
        return frozenset(self._issuers)

    def settings(self, issuer: str) -> IssuerSettings:
        return self._settings.get(issuer) or IssuerSettings()

    def key(self, issuer: str, kid: str) -> TrustedKey | None:
        return self._issuers.get(issuer, {}).get(kid)


class ReplayCache:
    """`(iss, jti)` pairs seen, each kept until its token expires. Thread-safe; one per process."""

    def __init__(self, limit: int = 200_000) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._limit = limit
        self._next_purge = 0.0

    def __len__(self) -> int:
        return len(self._seen)

    def first_use(self, issuer: str, jti: str, expires: float, now: float) -> bool:
        """True the first time a (iss, jti) is presented before it expires; False on replay or
        when the cache is full of live entries (refusing is the safe side)."""
        with self._lock:
            if now >= self._next_purge or len(self._seen) >= self._limit:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
                self._next_purge = now + 60
            key = (issuer, jti)
            if key in self._seen or len(self._seen) >= self._limit:
                return False
            self._seen[key] = expires
            return True


@dataclass(frozen=True, slots=True)
class Caller:
    """A verified caller: what may be logged about it."""

    iss: str
    jti: str
    tenant: str | None = None
    expires: float = 0.0  # exp + leeway, epoch seconds: how long the jti must stay claimed


def _refuse(reason: str, iss: object = None, jti: object = None) -> Unauthorized:
    log.warning(
        "CDS Hooks call refused: %s (iss=%s, jti=%s)", clip(reason)[1:-1], clip(iss), clip(jti)
    )
    return Unauthorized(reason)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise _refuse("no Authorization header")
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise _refuse("the Authorization header is not a Bearer token")
    return token


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a JWT, unverified: only to choose the key. PyJWT then parses and
    checks the whole token strictly."""
    parts = token.split(".")
    if len(parts) != 3:
        raise ValueError("not three segments")
    header, claims = (
        orjson.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4))) for p in parts[:2]
    )
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("not JSON objects")
    return header, claims


def verify(
    token: str,
    audiences: Iterable[str],
    trust: TrustStore,
    replay: ReplayCache,
    now: float | None = None,
    jku_key: Callable[[str, str, str], TrustedKey | None] | None = None,
) -> Caller:
    """The verified caller of a JWT, or `Unauthorized`."""
    now = time.time() if now is None else now
    try:
        header, claims = _peek(token)
    except ValueError:
        raise _refuse("the token is not a JWT") from None
    iss, jti = claims.get("iss"), claims.get("jti")
    alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
    if alg not in ALGORITHMS:
        raise _refuse(f"algorithm {alg!r} is not accepted", iss, jti)
    if typ is not None and str(typ).upper() != "JWT":
        raise _refuse(f"typ {typ!r} is not JWT", iss, jti)
    if not isinstance(iss, str) or not isinstance(kid, str):
        raise _refuse("iss or kid missing", iss, jti)
    trusted = trust.key(iss, kid)
    jku = header.get("jku")
    allowed = isinstance(jku, str) and normal_url(jku) in trust.settings(iss).jku
    if trusted is None and jku_key is not None and allowed:  # only an allowlisted jku's keys
        trusted = jku_key(iss, str(jku), kid)
    if trusted is None:
        raise _refuse("issuer or key id not trusted", iss, jti)
    if trusted.algorithm != alg:
        raise _refuse(f"key {kid!r} is not an {alg} key", iss, jti)
    try:
        verified = jwt.decode(
            token,
            key=trusted.key,
            algorithms=[trusted.algorithm],
            audience=list(audiences),
            issuer=iss,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise _refuse(f"{type(exc).__name__}: {exc}", iss, jti) from None
    jti, exp, iat = verified.get("jti"), verified.get("exp"), verified.get("iat")
    if not isinstance(jti, str) or not jti:
        raise _refuse("jti is not a string", iss, jti)
    if not isinstance(exp, int | float) or not isinstance(iat, int | float):
        raise _refuse("exp or iat is not a number", iss, jti)
    if exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS:
        raise _refuse("exp is more than an hour ahead", iss, jti)
    if not replay.first_use(iss, jti, float(exp) + LEEWAY_SECONDS, now):
        raise replayed(iss, jti)
    tenant = verified.get("tenant")
    return Caller(
        iss, jti, tenant if isinstance(tenant, str) else None, float(exp) + LEEWAY_SECONDS
    )


def replayed(iss: str, jti: str) -> Unauthorized:
    """The refusal of a jti already used (seen here, or claimed in the database by any process)."""
    return _refuse("jti already used (replay)", iss, jti)
