"""Talking to the EHR's authorization side: its SMART configuration, the authorize URL with PKCE,
the code exchange, refresh, and the id_token. The OAuth 2.0 pieces (PKCE S256, the request
encodings, token expiry) are Authlib's; the id_token is checked with PyJWT against the EHR's
`jwks_uri`. Errors become `EhrError` with a sentence for the person at the screen."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import OAuth2Token
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from hosentinel.app.smart.settings import SmartClient

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
CONFIG_TTL_S = 300.0
# Signature algorithms accepted on an id_token (SMART requires RS256 support; no "none", no HMAC).
ID_TOKEN_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "PS256", "PS384"]


class EhrError(Exception):
    """Something the EHR did or did not do; `message` is shown as it is, `status` is the HTTP
    status of the page that says so."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


def http_client() -> httpx.Client:
    # Proxies from the environment are not used: the EHR is reached as configured.
    return httpx.Client(timeout=TIMEOUT, trust_env=False, follow_redirects=False)


class NotAJsonObject(Exception):
    """A GET that gave no JSON object; `reason` says why, for the caller to word: "timeout",
    "unreachable" (`error` is httpx's), "status" (`status` is the HTTP status), "not-json" or
    "not-object"."""

    def __init__(
        self, reason: str, status: int | None = None, error: Exception | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.error = error


def fetch_object(client: httpx.Client, url: str, **kw: Any) -> dict[str, Any]:
    """GET a JSON object from the EHR (200 only), or `NotAJsonObject` saying what went wrong."""
    try:
        response = client.get(url, **kw)
    except httpx.TimeoutException as exc:
        raise NotAJsonObject("timeout", error=exc) from exc
    except httpx.HTTPError as exc:
        raise NotAJsonObject("unreachable", error=exc) from exc
    if response.status_code != 200:
        raise NotAJsonObject("status", status=response.status_code)
    try:
        body = response.json()
    except ValueError as exc:
        raise NotAJsonObject("not-json", error=exc) from exc
    if not isinstance(body, dict):
        raise NotAJsonObject("not-object")
    return body


def get_json(client: httpx.Client, url: str, what: str, **kw: Any) -> dict[str, Any]:
    """GET a JSON object, or an `EhrError` naming `what` could not be read and why."""
    host = urlsplit(url).netloc
    try:
        return fetch_object(client, url, **kw)
    except NotAJsonObject as failed:
        message = {
            "timeout": f"The EHR ({host}) did not answer in time when asked for {what}.",
            "unreachable": f"The EHR ({host}) could not be reached for {what}; is it down?",
            "status": f"The EHR ({host}) answered {failed.status} when asked for {what}.",
            "not-json": f"The EHR ({host}) sent something that is not JSON for {what}.",
            "not-object": f"The EHR ({host}) sent a {what} that is not a JSON object.",
        }[failed.reason]
        raise EhrError(message) from failed.error


@dataclass(frozen=True)
class SmartConfiguration:
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str | None
    # The OpenID Connect issuer of its id_tokens, when it names one (Epic's differs from `iss`).
    issuer: str | None


_config_cache: dict[str, tuple[float, SmartConfiguration]] = {}
_config_lock = threading.Lock()


def smart_configuration(client: httpx.Client, iss: str) -> SmartConfiguration:
    """`{iss}/.well-known/smart-configuration`, kept a few minutes per issuer."""
    with _config_lock:
        hit = _config_cache.get(iss)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    body = get_json(client, f"{iss}/.well-known/smart-configuration", "its SMART configuration")
    endpoints = [body.get("authorization_endpoint"), body.get("token_endpoint")]
    if not all(isinstance(e, str) and urlsplit(e).scheme in ("http", "https") for e in endpoints):
        raise EhrError(
            "The EHR's SMART configuration names no authorization and token endpoints, so "
            "HO Sentinel cannot ask it for access."
        )
    jwks, issuer = body.get("jwks_uri"), body.get("issuer")
    found = SmartConfiguration(
        str(endpoints[0]),
        str(endpoints[1]),
        jwks if isinstance(jwks, str) and jwks else None,
        issuer if isinstance(issuer, str) and issuer else None,
    )
    with _config_lock:
        _config_cache[iss] = (time.monotonic() + CONFIG_TTL_S, found)
    return found


def s256(verifier: str) -> str:
    """Authlib's PKCE S256 challenge (its stubs leave the function unannotated)."""
    challenge: str = create_s256_code_challenge(verifier)  # type: ignore[no-untyped-call]
    return challenge


def lifetime_s(token: OAuth2Token) -> int:
    """The access token's `expires_in` in seconds (an hour when the EHR does not say)."""
    value = token.get("expires_in")
    try:
        return max(0, int(value)) if isinstance(value, (int, str)) else 3600
    except ValueError:
        return 3600


@dataclass(frozen=True)
class Authorization:
    url: str
    state: str
    code_verifier: str


def authorize_url(
    client: SmartClient,
    config: SmartConfiguration,
    redirect_uri: str,
    launch: str | None,
) -> Authorization:
    """The authorization request (SMART App Launch 2.x): a fresh state and PKCE verifier."""
    state = generate_token(32)
    verifier = generate_token(64)  # 43-128 unreserved characters (RFC 7636 4.1)
    extra = {"launch": launch} if launch else {}
    url = prepare_grant_uri(
        config.authorization_endpoint,
        client_id=client.client_id,
        response_type="code",
        redirect_uri=redirect_uri,
        scope=client.launch_scope(ehr_launch=bool(launch)),
        state=state,
        aud=client.iss,
        code_challenge=s256(verifier),
        code_challenge_method="S256",
        **extra,
    )
    return Authorization(url, state, verifier)


def _token_call(client: httpx.Client, token_endpoint: str, body: str) -> OAuth2Token:
    host = urlsplit(token_endpoint).netloc
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
    try:
        response = client.post(token_endpoint, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise EhrError(f"The EHR's sign-in service ({host}) could not be reached.") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code != 200 or not isinstance(answer, dict):
        error = answer.get("error", "") if isinstance(answer, dict) else ""
        detail = answer.get("error_description", "") if isinstance(answer, dict) else ""
        raise EhrError(
            f"The EHR refused to give HO Sentinel access ({response.status_code}"
            f"{', ' + str(error) if error else ''}{': ' + str(detail) if detail else ''}). "
            "Open HO Sentinel from the EHR again."
        )
    if not isinstance(answer.get("access_token"), str) or not answer["access_token"]:
        raise EhrError("The EHR's answer carried no access token.")
    return OAuth2Token(answer)


def exchange_code(
    http: httpx.Client,
    client: SmartClient,
    config: SmartConfiguration,
    code: str,
    redirect_uri: str,
    code_verifier: str,
) -> OAuth2Token:
    body = prepare_token_request(
        "authorization_code",
        code=code,
        redirect_uri=redirect_uri,
        client_id=client.client_id,
        code_verifier=code_verifier,
    )
    return _token_call(http, config.token_endpoint, body)


def refresh(
    http: httpx.Client, client: SmartClient, config: SmartConfiguration, refresh_token: str
) -> OAuth2Token:
    body = prepare_token_request(
        "refresh_token", refresh_token=refresh_token, client_id=client.client_id
    )
    return _token_call(http, config.token_endpoint, body)


def verified_id_token(
    http: httpx.Client, client: SmartClient, config: SmartConfiguration, id_token: str
) -> dict[str, Any]:
    """The id_token's claims once its signature (a key from the EHR's `jwks_uri`), issuer
    (the FHIR base `iss`, or the OpenID issuer its SMART configuration names), audience (our
    client id) and expiry hold; with the `fhirUser` claim required."""
    if not config.jwks_uri:
        raise EhrError("The EHR publishes no jwks_uri, so who you are cannot be checked.")
    keys = get_json(http, config.jwks_uri, "its signing keys (jwks_uri)")
    try:
        header = jwt.get_unverified_header(id_token)
        key_set = jwt.PyJWKSet.from_dict(keys)
        candidates = [k for k in key_set.keys if header.get("kid") in (None, k.key_id)]
        if not candidates:
            raise EhrError("The EHR's id_token is signed with a key it does not publish.")
        claims: dict[str, Any] = {}
        last: Exception | None = None
        for key in candidates:
            try:
                claims = jwt.decode(
                    id_token,
                    key=key,
                    algorithms=ID_TOKEN_ALGORITHMS,
                    audience=client.client_id,
                    issuer=[i for i in (client.iss, config.issuer) if i],
                    options={"require": ["exp", "iat", "iss", "aud", "sub"]},
                    leeway=60,
                )
                break
            except jwt.InvalidSignatureError as exc:
                last = exc
        else:
            raise EhrError("The EHR's id_token does not verify against its published keys.") from (
                last
            )
    except (jwt.PyJWTError, json.JSONDecodeError) as exc:
        raise EhrError(f"The EHR's id_token could not be accepted: {exc}.") from exc
    if not isinstance(claims.get("fhirUser"), str) or not claims["fhirUser"]:
        raise EhrError("The EHR's id_token does not say who you are (no fhirUser claim).")
    return claims
