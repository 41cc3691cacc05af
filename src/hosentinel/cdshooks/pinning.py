"""DNS pinning for the service's own outbound requests (a client's `fhirServer`, a JWT's `jku`):
a host name is resolved once, the address is checked against the private/loopback rules, and the
TCP connection goes to that same address. No second lookup happens between the check and the
connection, so a name that answers a public address to the check and a private one a moment later
(DNS rebinding) cannot lead the service into the hospital's network.

How: the client's transport is httpx's own, with an httpcore network backend of ours
(`PinnedBackend`) that opens every TCP connection. Each request says what it may reach in its
extensions (`OUTBOUND`): the addresses already resolved and checked (`outbound.fhir_access` did it
for an unlisted `fhirServer`), and whether private addresses are allowed (a server or `jku` the
issuer's settings list: that is the configuration). A request that says nothing may reach public
addresses only. The URL keeps its host name, so TLS still checks the certificate against it (SNI
and the Host header are unchanged).
"""

from __future__ import annotations

import contextvars
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

log = logging.getLogger("hosentinel.cdshooks")

Resolver = Callable[[str, int], Awaitable[list[str]]]
OUTBOUND = "hosentinel.outbound"  # request extension: an `Outbound`


@dataclass(frozen=True, slots=True)
class Outbound:
    """What one request may connect to: `addresses` already resolved and checked for its host
    (None: resolve at connection time), and whether private addresses are allowed."""

    addresses: tuple[str, ...] | None = None
    private_ok: bool = False


_CURRENT: contextvars.ContextVar[tuple[str, Outbound] | None] = contextvars.ContextVar(
    "hosentinel_outbound", default=None
)


def is_global(address: str) -> bool:
    """A public unicast address (IPv4-mapped IPv6 read as its IPv4 address)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast and not ip.is_reserved


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Opens TCP connections to a checked address of the host (see the module docstring)."""

    def __init__(self, resolve: Resolver, inner: httpcore.AsyncNetworkBackend | None = None):
        self.resolve = resolve
        self.inner = inner or httpcore.AnyIOBackend()

    async def _addresses(self, host: str, port: int, outbound: Outbound) -> list[str]:
        literal = _literal(host)
        if literal is not None:
            return [literal]
        if outbound.addresses is not None:
            return list(outbound.addresses)
        try:
            return await self.resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"name not resolved ({type(exc).__name__})") from None

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        current = _CURRENT.get()
        outbound = current[1] if current is not None and current[0] == host else Outbound()
        addresses = await self._addresses(host, port, outbound)
        if not addresses:
            raise httpcore.ConnectError("the name has no address")
        if not outbound.private_ok and not all(is_global(a) for a in addresses):
            log.warning("outbound connection refused: a private, loopback or link-local address")
            raise httpcore.ConnectError("address refused")
        # The first address, the one checked: never a fresh lookup.
        return await self.inner.connect_tcp(
            addresses[0], port, timeout, local_address, socket_options
        )

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport, its connections opened by a `PinnedBackend`."""

    def __init__(self, resolve: Resolver, inner: httpcore.AsyncNetworkBackend | None = None):
        super().__init__(trust_env=False)
        # httpx builds its connection pool without a way to name the network backend: the pool
        # is built again with the same TLS context and ours (tests/cdshooks/test_dns_pinning.py
        # fails if a new httpx stops using it).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            network_backend=PinnedBackend(resolve, inner),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        outbound = request.extensions.get(OUTBOUND)
        if not isinstance(outbound, Outbound):
            outbound = Outbound()
        token = _CURRENT.set((request.url.raw_host.decode("ascii"), outbound))
        try:
            return await super().handle_async_request(request)
        finally:
            _CURRENT.reset(token)


def extensions(addresses: Sequence[str] | None, private_ok: bool) -> dict[str, Any]:
    """The request extensions naming what a request may connect to."""
    pinned = tuple(addresses) if addresses is not None else None
    return {OUTBOUND: Outbound(pinned, private_ok)}
