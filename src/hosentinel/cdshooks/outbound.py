"""Which `fhirServer` the service reads, and how (CDS Hooks 2.0 "FHIR Resource Access"; DESIGN.md,
per-issuer settings).

- A server listed in the caller's issuer settings (`fhir_servers`) is used as listed, loopback
  included: that is the configuration (development, or an integration engine on the LAN).
- An issuer with `fhir_servers` is never read from another server.
- Otherwise only https on a public host: the name is resolved and every address it has must be
  global (not private, loopback, link-local, multicast or reserved), so a caller cannot point the
  service at the hospital's internal network or at the service's own host.
- With `fhirAuthorization`, its bearer token is sent; without one, only a server the issuer marks
  open (`open_fhir_servers`) is read, and without any Authorization header.

The addresses checked here are the ones connected to (`pinning.py`): the name is not looked up
again, so it cannot answer a private address once checked (DNS rebinding).

A refusal is logged with its reason; the caller only learns that the data could not be read (the
same text for every reason, so the answer tells nothing about the network behind the service).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from urllib.parse import urlsplit

from hosentinel.cdshooks.issuers import IssuerSettings
from hosentinel.cdshooks.pinning import Resolver, is_global
from hosentinel.cdshooks.prefetch import FhirAccess

log = logging.getLogger("hosentinel.cdshooks")

__all__ = ["Resolver", "fhir_access", "resolve_host"]


async def resolve_host(host: str, port: int) -> list[str]:
    """Every address a host name has (the system resolver, off the event loop)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


async def _public_https(base: str, resolve: Resolver) -> tuple[str, ...] | str:
    """The checked addresses when `base` is an https URL on a public host, else why not (for
    the log)."""
    parts = urlsplit(base)
    if parts.scheme != "https" or not parts.hostname:
        return "not an https URL"
    if parts.username is not None or parts.password is not None:
        return "a user in the URL"
    try:
        port = parts.port or 443
    except ValueError:
        return "a bad port"
    try:
        addresses = await resolve(parts.hostname, port)
    except (OSError, UnicodeError) as exc:
        return f"the name does not resolve ({type(exc).__name__})"
    if not addresses:
        return "the name has no address"
    if not all(is_global(a) for a in addresses):
        return "a private, loopback or link-local address"
    return tuple(addresses)


async def fhir_access(
    server: str | None,
    token: str | None,
    settings: IssuerSettings,
    resolve: Resolver = resolve_host,
) -> FhirAccess | None:
    """How to read `server` for this caller, or None when it may not be read."""
    if not server:
        return None
    base = server.strip().rstrip("/")
    addresses: tuple[str, ...] | None = None
    if settings.fhir_servers is not None:
        if not settings.listed(base):
            log.warning("fhirServer refused: not in the issuer's fhir_servers")
            return None
    else:
        checked = await _public_https(base, resolve)
        if isinstance(checked, str):
            log.warning("fhirServer refused: %s", checked)
            return None
        addresses = checked
    if token is None and not settings.is_open(base):
        log.info("fhirServer not read: no fhirAuthorization and not an open server")
        return None
    # A listed server may be private (the configuration says so), resolved when connecting; an
    # unlisted one is connected to at the addresses just checked.
    return FhirAccess(base, token, addresses, private_ok=addresses is None)
