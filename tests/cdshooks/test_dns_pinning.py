"""DNS pinning of the service's outbound requests (pinning.py): a host name is resolved once, the
address is checked, and the connection goes to that address. The rebinding case: a resolver that
answers a public address first and a private one afterwards never leads the service to the
private address (a stand-in server on loopback stands for the hospital's internal network)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest

from hosentinel.cdshooks.pinning import PinnedTransport, extensions
from tests.support.cdskit import ISSUER, PV, Cds, Keys, demo, hook_request, prefetch_for

ENTRY = demo("03-sci-hip-rom-loss-probable")
PUBLIC = "93.184.215.14"


class Internal:
    """A server on loopback: what must never be reached through a public name."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.paths.append(self.path)
                body = b'{"resourceType": "Bundle", "type": "searchset"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def internal() -> Iterator[Internal]:
    server = Internal()
    yield server
    server.close()


class Rebinding:
    """A resolver stub: the first answer public, every later answer the loopback address."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        return [PUBLIC] if len(self.calls) == 1 else ["127.0.0.1"]


class Recorder(httpcore.AsyncNetworkBackend):
    """The network as the service sees it: loopback connects for real, any other address is
    recorded and refused (the tests have no way out)."""

    def __init__(self) -> None:
        self.inner = httpcore.AnyIOBackend()
        self.connects: list[tuple[str, int]] = []

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if host != "127.0.0.1":
            raise httpcore.ConnectError("no route (test)")
        return await self.inner.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


def _get(transport: PinnedTransport, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport) as client:
            return await client.get(url, **kwargs)

    # A thread of its own: the test session may already run an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(go())).result()


def test_a_rebinding_name_is_connected_at_the_address_checked(
    make_cds: Callable[..., Cds], keys: Keys, internal: Internal
) -> None:
    """fhirServer on a name that answers public, then private: the service checks the public
    answer and connects there; it never asks again, so the loopback server is never reached."""
    cds = make_cds(ENTRY.as_of, trusted={ISSUER: {"jwks": keys.jwks()}})  # no fhir_servers
    state = cds.app.state.cds_hooks
    resolver, network = Rebinding(), Recorder()
    state.resolve, state.network = resolver, network
    server = f"https://rebind.example.net:{internal.port}/fhir"
    patient_id, prefetch = prefetch_for(ENTRY)
    del prefetch["conditions"]  # one key to read from fhirServer
    body = hook_request("patient-view", patient_id, prefetch)
    body["fhirServer"] = server
    body["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Condition.read",
        "subject": "ho-sentinel",
    }
    response = cds.post(PV, body)
    assert response.status_code == 200
    assert resolver.calls == [("rebind.example.net", internal.port)]  # one lookup only
    assert network.connects and set(network.connects) == {(PUBLIC, internal.port)}
    assert internal.paths == []
    # The data could not be read, and the card says so.
    assert any(c["source"]["topic"]["code"] == "data-unread" for c in response.json()["cards"])


def test_a_request_that_names_no_addresses_may_reach_public_ones_only(
    internal: Internal,
) -> None:
    calls: list[str] = []

    async def private(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.1"]

    network = Recorder()
    url = f"http://internal.example.net:{internal.port}/fhir/Patient"
    with pytest.raises(httpx.ConnectError):
        _get(PinnedTransport(private, network), url)
    assert calls == ["internal.example.net"] and network.connects == []
    # Listed in the configuration (private allowed): the same name is read, once resolved.
    response = _get(
        PinnedTransport(private, network), url, extensions=extensions(None, private_ok=True)
    )
    assert response.status_code == 200
    assert calls == ["internal.example.net"] * 2
    assert network.connects == [("127.0.0.1", internal.port)]
    assert internal.paths == ["/fhir/Patient"]
    # TLS and virtual hosting still see the name, not the address.
    assert response.request.url.host == "internal.example.net"


def test_addresses_checked_before_are_used_without_a_lookup(internal: Internal) -> None:
    async def no_lookup(host: str, port: int) -> list[str]:
        raise AssertionError("looked up again")

    network = Recorder()
    url = f"http://pinned.example.net:{internal.port}/x"
    response = _get(
        PinnedTransport(no_lookup, network),
        url,
        extensions=extensions(["127.0.0.1"], private_ok=True),
    )
    assert response.status_code == 200 and internal.paths == ["/x"]
    # A pinned private address without permission is refused all the same.
    with pytest.raises(httpx.ConnectError):
        _get(
            PinnedTransport(no_lookup, network),
            url,
            extensions=extensions(["127.0.0.1"], private_ok=False),
        )
    assert internal.paths == ["/x"]
