"""JWK Sets fetched from a CDS Hooks JWT's `jku` header (CDS Hooks 2.0, "Trusting CDS Clients"),
only when that URL is on the issuer's allowlist (`"jku": [...]` in its settings: `issuers.py`).

A token whose `jku` is not on the list is verified with the configured keys only: its `jku` is
never fetched. An allowed set is fetched once and cached (an hour); a token naming a `kid` the
cached set lacks fetches it again (the EHR has rotated its keys), at most once every 30 seconds
per URL, so unknown kids cannot make the service hammer the EHR. The fetch goes only to the URL
as configured (no redirects), with a time limit and a size limit.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import orjson

from hosentinel.cdshooks import pinning
from hosentinel.cdshooks.issuers import normal_url
from hosentinel.cdshooks.security import ConfigError, TrustedKey, TrustStore, _keys_of, _peek

log = logging.getLogger("hosentinel.cdshooks")

MAX_AGE_SECONDS = 3600.0
MIN_REFETCH_SECONDS = 30.0
MAX_JWKS_BYTES = 256 * 1024
TIMEOUT = httpx.Timeout(2.0, connect=1.0)


@dataclass
class _Fetched:
    at: float
    keys: dict[str, TrustedKey]


class JkuCache:
    """Keys of allowlisted `jku` URLs, by (issuer, URL)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._sets: dict[tuple[str, str], _Fetched] = {}
        self._tried: dict[tuple[str, str], float] = {}

    def key(self, issuer: str, jku: str, kid: str) -> TrustedKey | None:
        found = self._sets.get((issuer, normal_url(jku)))
        return found.keys.get(kid) if found is not None else None

    async def prepare(self, token: str, trust: TrustStore, client: httpx.AsyncClient) -> None:
        """Fetch the token's `jku` set when it is allowed and its `kid` is not known yet (or the
        set is stale). Never raises: a failed fetch leaves verification to refuse the token."""
        now = self.clock()
        try:
            header, claims = _peek(token)
        except ValueError:
            return
        iss, jku, kid = claims.get("iss"), header.get("jku"), header.get("kid")
        if not (isinstance(iss, str) and isinstance(jku, str) and isinstance(kid, str)):
            return
        url = normal_url(jku)
        if iss not in trust.issuers or url not in trust.settings(iss).jku:
            return
        if trust.key(iss, kid) is not None:
            return
        cached = self._sets.get((iss, url))
        if cached is not None and kid in cached.keys and now - cached.at < MAX_AGE_SECONDS:
            return
        if now - self._tried.get((iss, url), -MIN_REFETCH_SECONDS) < MIN_REFETCH_SECONDS:
            return
        self._tried[(iss, url)] = now
        keys = await _fetch(iss, url, client)
        if keys is not None:
            self._sets[(iss, url)] = _Fetched(now, keys)


async def _fetch(issuer: str, url: str, client: httpx.AsyncClient) -> dict[str, TrustedKey] | None:
    try:
        # An allowlisted jku is configuration: it may be on a private address (pinning.py).
        response = await client.get(
            url,
            timeout=TIMEOUT,
            headers={"Accept": "application/json"},
            extensions=pinning.extensions(None, private_ok=True),
        )
    except httpx.HTTPError as exc:
        log.warning("jku %s of %r not fetched: %s", url, issuer, type(exc).__name__)
        return None
    if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
        log.warning("jku %s of %r not fetched: HTTP %s", url, issuer, response.status_code)
        return None
    try:
        return _keys_of(issuer, orjson.loads(response.content))
    except (orjson.JSONDecodeError, ConfigError) as exc:
        log.warning("jku %s of %r is not a usable JWK Set: %s", url, issuer, exc)
        return None
