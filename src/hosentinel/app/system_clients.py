"""System clients (an integration engine, a population-health job): SMART Backend Services
(SMART App Launch 2.x, "Backend Services"; the `client_credentials` grant with a
`private_key_jwt` client assertion, RFC 7523).

Registered clients are a setting, `HOSENTINEL_SYSTEM_CLIENTS`: a JSON object (inline, or the path
of a file holding it) mapping each client id to

    {"jwks": <its public JWK Set, or a file path>,
     "scope": "system/*.read" (the scopes it may be granted; space-separated),
     "role": "nurse" (the app role its requests act with; default nurse),
     "unit": "Rehab unit" (the unit whose patients it reaches, as a clinician of that unit would;
             default the unit every patient is in unless told otherwise, "Rehab unit")}

`POST /auth/token` checks the client assertion (ES384 or RS384 with one of the client's keys;
`iss` = `sub` = the client id; `aud` = the token endpoint's URL, `{base-url}/auth/token`; `exp` at
most 5 minutes ahead; a `jti` never seen before) and answers a bearer token valid 5 minutes for
the requested scopes it may have. On `/fhir` and `/api`, `Authorization: Bearer <token>` then
acts as the client's service account (`system:<client id>`, never able to sign in with a
password): every read and write audited under that name, reads allowed by any granted scope,
writes only with a write scope (`system/*.write`, `system/*.*`, or a SMART v2 scope with c or u).
Only the token's SHA-256 is stored (`system_tokens`), so every server process accepts it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hosentinel.cdshooks.ledger import claim_token
from hosentinel.cdshooks.security import ConfigError, TrustedKey, _keys_of, _peek
from hosentinel.store import models as m

log = logging.getLogger("hosentinel.app")

SETTING = "HOSENTINEL_SYSTEM_CLIENTS"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_LIFETIME = timedelta(minutes=5)
MAX_ASSERTION_LIFETIME = 300  # seconds: `exp` at most this far ahead
LEEWAY = 30
# Clinical roles only: an admin is refused on every clinical route, so it could do nothing.
ROLES = ("physiatrist", "therapist", "nurse", "unit-lead")
# The unit every patient is in unless told otherwise (patients.unit default).
DEFAULT_UNIT = "Rehab unit"
WRITE_SUFFIXES = (".write", ".*")


class TokenError(Exception):
    """An OAuth error (RFC 6749 section 5.2): `code` is the `error` value."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass(frozen=True, slots=True)
class SystemClient:
    client_id: str
    keys: dict[str, TrustedKey]
    scopes: frozenset[str]
    role: str
    unit: str = "Rehab unit"  # DEFAULT_UNIT

    @property
    def username(self) -> str:
        return f"system:{self.client_id}"[:80]


def _json_or_file(value: object, what: str) -> object:
    if isinstance(value, str) and not value.lstrip().startswith("{"):
        try:
            return json.loads(Path(value).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{SETTING}: cannot read {what}: {exc.strerror}") from exc
        except ValueError as exc:
            raise ConfigError(f"{SETTING}: {what} is not JSON") from exc
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise ConfigError(f"{SETTING}: {what} is not JSON") from exc
    return value


def load_clients(raw: str | None) -> dict[str, SystemClient]:
    """The registered clients from the setting's value (`Settings.system_clients`). Unset: none."""
    if raw is None or not raw.strip():
        return {}
    value = _json_or_file(raw, "the setting")
    if not isinstance(value, Mapping):
        raise ConfigError(f"{SETTING} must be a JSON object mapping client ids to settings")
    clients: dict[str, SystemClient] = {}
    for client_id, settings in value.items():
        if not isinstance(client_id, str) or not client_id or not isinstance(settings, Mapping):
            raise ConfigError(f"{SETTING}: each client id maps to an object of settings")
        jwks = _json_or_file(settings.get("jwks"), f"the JWK Set of {client_id!r}")
        scope = settings.get("scope", "system/*.read")
        role = settings.get("role", "nurse")
        if not isinstance(scope, str) or not scope.split():
            raise ConfigError(f"{SETTING}: the scope of {client_id!r} must be a string")
        if role not in ROLES:
            raise ConfigError(f"{SETTING}: the role of {client_id!r} must be one of {ROLES}")
        keys = _keys_of(client_id, jwks)
        unit = settings.get("unit", DEFAULT_UNIT)
        if not isinstance(unit, str) or not unit.strip() or len(unit) > 80:
            raise ConfigError(f"{SETTING}: the unit of {client_id!r} must be a unit name")
        clients[client_id] = SystemClient(client_id, keys, frozenset(scope.split()), role, unit)
    return clients


def may_write(scope: str) -> bool:
    for item in scope.split():
        if item.endswith(WRITE_SUFFIXES):
            return True
        permissions = item.rpartition(".")[2]
        if permissions and set(permissions) <= set("cruds") and set(permissions) & set("cud"):
            return True
    return False


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _client_of(assertion: str, clients: Mapping[str, SystemClient]) -> SystemClient:
    try:
        header, claims = _peek(assertion)
    except ValueError:
        raise TokenError("invalid_client", "client_assertion is not a JWT") from None
    client = clients.get(str(claims.get("iss")))
    if client is None or claims.get("sub") != client.client_id:
        raise TokenError("invalid_client", "unknown client, or iss and sub differ")
    key = client.keys.get(str(header.get("kid")))
    if key is None or header.get("alg") != key.algorithm:
        raise TokenError("invalid_client", "the assertion's kid or alg is not the client's")
    return client


def issue_token(
    session: Session,
    token_url: str,
    form: Mapping[str, str],
    clients: Mapping[str, SystemClient],
) -> dict[str, object]:
    """The token response for a client_credentials request, or `TokenError`."""
    if form.get("grant_type") != "client_credentials":
        raise TokenError("unsupported_grant_type", "grant_type must be client_credentials")
    if form.get("client_assertion_type") != ASSERTION_TYPE:
        raise TokenError("invalid_client", f"client_assertion_type must be {ASSERTION_TYPE}")
    assertion = form.get("client_assertion") or ""
    client = _client_of(assertion, clients)
    key = client.keys[str(_peek(assertion)[0].get("kid"))]
    now = datetime.now(UTC)
    try:
        claims = jwt.decode(
            assertion,
            key=key.key,
            algorithms=[key.algorithm],
            audience=token_url,
            issuer=client.client_id,
            leeway=LEEWAY,
            options={"require": ["iss", "sub", "aud", "exp", "jti"]},
        )
    except jwt.PyJWTError as exc:
        raise TokenError("invalid_client", f"client_assertion refused: {exc}") from None
    exp = claims["exp"]
    if not isinstance(exp, int | float) or exp > now.timestamp() + MAX_ASSERTION_LIFETIME + LEEWAY:
        raise TokenError("invalid_client", "the assertion's exp is more than 5 minutes ahead")
    if not claim_token(session, f"client:{client.client_id}", str(claims["jti"]), float(exp)):
        raise TokenError("invalid_client", "the assertion's jti was already used")
    asked = (form.get("scope") or "").split()
    granted = [s for s in asked if s in client.scopes]
    if not granted:
        raise TokenError("invalid_scope", "none of the requested scopes may be granted")
    _service_account(session, client, now)
    token = secrets.token_urlsafe(32)
    session.execute(delete(m.SystemToken).where(m.SystemToken.expires_at < now))
    session.add(
        m.SystemToken(
            token_hash=_digest(token),
            client_id=client.client_id,
            scope=" ".join(granted),
            expires_at=now + TOKEN_LIFETIME,
        )
    )
    return {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": int(TOKEN_LIFETIME.total_seconds()),
        "scope": " ".join(granted),
    }


def _service_account(session: Session, client: SystemClient, now: datetime) -> m.User:
    user = session.scalar(select(m.User).where(m.User.username == client.username))
    if user is None:
        user = m.User(
            username=client.username,
            display_name=f"System client {client.client_id}"[:200],
            role=client.role,
            unit=client.unit,
            password_hash="!",  # no password: never signs in through /login
            active=True,
            created_at=now,
        )
        session.add(user)
        session.flush()
    else:
        # The setting is the truth: a changed role or unit applies from the next token.
        user.role, user.unit = client.role, client.unit
    return user


@dataclass(frozen=True, slots=True)
class Bearer:
    user: m.User
    scope: str


def find_bearer(session: Session, token: str, clients: Mapping[str, SystemClient]) -> Bearer | None:
    """The service account and scope of a live token of a still-registered client."""
    row = session.get(m.SystemToken, _digest(token))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
    client = clients.get(row.client_id)
    if expires <= datetime.now(UTC) or client is None:
        return None
    user = session.scalar(select(m.User).where(m.User.username == client.username))
    if user is None or not user.active:
        return None
    return Bearer(user, row.scope)


def clients_of(app: object) -> dict[str, SystemClient]:
    """The registered clients of an app, read once from its settings (a bad setting is logged and
    registers nobody)."""
    state = getattr(app, "state", None)
    found: dict[str, SystemClient] | None = getattr(state, "system_clients", None)
    if found is None:
        config = getattr(state, "config", None)
        try:
            found = load_clients(config.settings.system_clients if config is not None else None)
        except ConfigError as exc:
            log.error("System clients disabled: %s", exc)
            found = {}
        if state is not None:
            state.system_clients = found
    return found
