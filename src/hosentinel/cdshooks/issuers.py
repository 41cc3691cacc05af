"""Per-issuer settings of `HOSENTINEL_CDS_JWKS` (DESIGN.md, Service, added 2026-12-05).

An issuer's value is its JWK Set (inline or a file path), or an object of settings:

    {"jwks": <JWK Set or file path>,
     "jku": [JWK Set URLs a token's `jku` header may point to],
     "fhir_servers": [the fhirServer base URLs it may send],
     "open_fhir_servers": [those of them read without a token]}

A `fhirServer` listed in `fhir_servers` is used as listed, loopback included (that is the
configuration); without `fhir_servers`, only public https servers are used (`outbound.py`).
URLs are compared without a trailing slash, scheme and host in lower case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

SETTINGS_KEYS = frozenset({"jwks", "jku", "fhir_servers", "open_fhir_servers"})


class SettingsError(ValueError):
    """An issuer's settings cannot be used; the message names the issuer and the key."""


def normal_url(url: str) -> str:
    """A URL for comparison: scheme and host lower case, no trailing slash, no fragment."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


@dataclass(frozen=True, slots=True)
class IssuerSettings:
    jku: frozenset[str] = frozenset()
    # None: not configured (public https servers only); otherwise the only servers used.
    fhir_servers: frozenset[str] | None = None
    open_fhir_servers: frozenset[str] = frozenset()

    def listed(self, base: str) -> bool:
        return self.fhir_servers is not None and normal_url(base) in self.fhir_servers

    def is_open(self, base: str) -> bool:
        return normal_url(base) in self.open_fhir_servers


def _urls(issuer: str, settings: Mapping[str, object], key: str) -> frozenset[str] | None:
    value = settings.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(u, str) and u for u in value):
        raise SettingsError(f"{key!r} of {issuer!r} must be a list of URLs")
    found = set()
    for url in value:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(f"{key!r} of {issuer!r}: {url!r} is not an http(s) URL")
        found.add(normal_url(url))
    return frozenset(found)


def split_value(issuer: str, value: object) -> tuple[object, IssuerSettings]:
    """(the JWK Set or its path, the settings) of one issuer's value."""
    if not (isinstance(value, Mapping) and "jwks" in value and "keys" not in value):
        return value, IssuerSettings()
    unknown = set(value) - SETTINGS_KEYS
    if unknown:
        raise SettingsError(f"unknown settings of {issuer!r}: {', '.join(sorted(unknown))}")
    servers = _urls(issuer, value, "fhir_servers")
    open_servers = _urls(issuer, value, "open_fhir_servers") or frozenset()
    if open_servers and not open_servers <= (servers or frozenset()):
        raise SettingsError(f"open_fhir_servers of {issuer!r} must also be in fhir_servers")
    settings = IssuerSettings(
        jku=_urls(issuer, value, "jku") or frozenset(),
        fhir_servers=servers,
        open_fhir_servers=open_servers,
    )
    return value["jwks"], settings
