"""Reading from the client's FHIR server when prefetch is missing (CDS Hooks 2.0 "FHIR Resource
Access"): a stand-in that behaves like Epic's FHIR API (an Observation search needs a category or
a code, results come in pages); the bearer token is used only there (never logged, never
returned); only servers the issuer's settings list, or public https hosts, are read; `next` links
stay under the server's base; what cannot be read is named on a card, and only a missing Patient
is a 412."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from hosentinel.cdshooks.discovery import OPTIONAL_PREFETCH, PREFETCH
from tests.support.cdskit import (
    ISSUER,
    PV,
    Cds,
    Keys,
    demo,
    hook_request,
    prefetch_for,
    resources_of,
    search,
)

FHIR = "https://ehr.example.com/fhir"
TOKEN = "opaque-access-token-5f2c9b"
ENTRY = demo("03-sci-hip-rom-loss-probable")
UNREAD_TOPIC = "data-unread"


class EpicLikeServer:
    """A FHIR server over httpx.MockTransport holding one demo patient, with Epic's search rules:
    Observation needs `category` or `code` (else 400 OperationOutcome), every search is paged
    (`_count`, default `page_size`) with `next` links, a bearer token is required unless open."""

    def __init__(
        self, page_size: int = 1000, fail: dict[str, int] | None = None, open_: bool = False
    ) -> None:
        self.resources = resources_of(ENTRY)
        self.page_size = page_size
        self.fail = fail or {}
        self.open = open_
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.open and request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        url = urlsplit(str(request.url))
        path = url.path.removeprefix("/fhir/")
        query = parse_qs(url.query)
        rtype = path.split("/")[0]
        if rtype in self.fail:
            return httpx.Response(self.fail[rtype], json={"resourceType": "OperationOutcome"})
        if "/" in path:
            rid = path.split("/")[1]
            found = [r for r in self.resources if r["resourceType"] == rtype and r["id"] == rid]
            return httpx.Response(200, json=found[0]) if found else httpx.Response(404)
        if rtype == "Observation" and not ({"category", "code"} & set(query)):
            outcome = {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "required", "diagnostics": "category"}],
            }
            return httpx.Response(400, json=outcome)
        template = rtype + ("?category=" + query["category"][0] if "category" in query else "")
        matches = search(template, self.resources)
        page = int(query.get("_page", ["0"])[0])
        chunk = matches[page * self.page_size : (page + 1) * self.page_size]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in chunk],
        }
        if (page + 1) * self.page_size < len(matches):
            rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "_page")
            bundle["link"] = [
                {"relation": "next", "url": f"{FHIR}/{rtype}?{rest}&_page={page + 1}"}
            ]
        return httpx.Response(200, json=bundle)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def trusting(keys: Keys, **settings: Any) -> dict[str, object]:
    return {ISSUER: {"jwks": keys.jwks(), **settings}}


@pytest.fixture
def make(make_cds: Callable[..., Cds], keys: Keys) -> Callable[..., Cds]:
    """make(server, **issuer settings): an app reading `server`; by default the issuer lists
    FHIR in its fhir_servers."""

    def build(server: EpicLikeServer | httpx.MockTransport, **settings: Any) -> Cds:
        settings.setdefault("fhir_servers", [FHIR])
        transport = server.transport() if isinstance(server, EpicLikeServer) else server
        return make_cds(ENTRY.as_of, transport=transport, trusted=trusting(keys, **settings))

    return build


def _body(
    prefetch: dict[str, Any] | None, server: str = FHIR, token: bool = True
) -> dict[str, Any]:
    patient_id = prefetch_for(ENTRY)[0]
    body = hook_request("patient-view", patient_id, prefetch)
    body["fhirServer"] = server
    if token:
        body["fhirAuthorization"] = {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Condition.read user/Observation.read",
            "subject": "ho-sentinel",
            "patient": patient_id,
        }
    return body


def _cards(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


def _summary(response: httpx.Response) -> str:
    summary: str = _cards(response)[0]["summary"]
    return summary


def _unread(response: httpx.Response) -> str | None:
    """The summary of the card naming unread data, if any."""
    for card in _cards(response):
        if card["source"]["topic"]["code"] == UNREAD_TOPIC:
            summary: str = card["summary"]
            return summary
    return None


def test_fetches_everything_from_the_fhir_server(
    make: Callable[..., Cds], caplog: pytest.LogCaptureFixture
) -> None:
    server = EpicLikeServer()
    cds = make(server)
    patient_id, prefetch = prefetch_for(ENTRY)
    with caplog.at_level(logging.DEBUG):
        fetched = cds.post(PV, _body(None))
    expected = _summary(cds.post(PV, hook_request("patient-view", patient_id, prefetch)))
    assert _summary(fetched) == expected and _unread(fetched) is None
    paths = sorted(str(r.url).removeprefix(FHIR + "/") for r in server.requests)
    # Every key, and the notes too (optional: read when the server is read anyway).
    templates = [*PREFETCH.values(), *OPTIONAL_PREFETCH.values()]
    assert paths == sorted(t.replace("{{context.patientId}}", patient_id) for t in templates)
    assert all(r.headers["accept"] == "application/fhir+json" for r in server.requests)
    # The token went to the FHIR server and nowhere else: not logged, not answered.
    assert TOKEN not in caplog.text
    assert TOKEN not in fetched.text
    state = cds.app.state.cds_hooks
    assert TOKEN not in repr(vars(state))


def test_fetches_only_the_missing_keys(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer()
    cds = make(server)
    _, prefetch = prefetch_for(ENTRY)
    del prefetch["observations-exam"]
    prefetch["conditions"] = {"resourceType": "OperationOutcome", "issue": []}
    assert _summary(cds.post(PV, _body(prefetch))).startswith("HO probable at right hip")
    # The two missing keys, and the notes the EHR did not prefetch (optional).
    assert sorted(r.url.path for r in server.requests) == [
        "/fhir/Condition",
        "/fhir/DocumentReference",
        "/fhir/Observation",
    ]


def test_follows_next_pages_on_the_same_server(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer(page_size=2)
    cds = make(server)
    response = cds.post(PV, _body(None))
    assert _summary(response).startswith("HO probable at right hip") and _unread(response) is None
    exam_pages = [
        r for r in server.requests if r.url.path == "/fhir/Observation" and b"exam" in r.url.query
    ]
    exams = len(search("Observation?category=exam", resources_of(ENTRY)))
    assert len(exam_pages) == (exams + 1) // 2 > 1


def test_a_prefetched_page_with_a_next_link_is_completed(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer(page_size=2)
    cds = make(server)
    patient_id, prefetch = prefetch_for(ENTRY)
    first = prefetch["observations-exam"]
    first["entry"] = first["entry"][:2]
    first["link"] = [
        {
            "relation": "next",
            "url": f"{FHIR}/Observation?patient={patient_id}&category=exam&_page=1",
        }
    ]
    assert _summary(cds.post(PV, _body(prefetch))).startswith("HO probable at right hip")
    assert {r.url.path for r in server.requests} == {"/fhir/Observation"}
    # Without a FHIR server to read the rest from: cards from what is there, and the gap named.
    partial = cds.post(PV, hook_request("patient-view", patient_id, prefetch))
    assert _unread(partial) == "HO checks incomplete: could not read examination findings."


@pytest.mark.parametrize(
    "link",
    [
        "https://attacker.example/Observation?patient={pid}",
        "https://ehr.example.com/admin/Observation?patient={pid}",  # same host, outside the base
        "https://ehr.example.com/fhir-other/Observation?patient={pid}",
        "http://ehr.example.com/fhir/Observation?patient={pid}",
    ],
)
def test_next_links_stay_under_the_base(make: Callable[..., Cds], link: str) -> None:
    server = EpicLikeServer()
    cds = make(server)
    patient_id, prefetch = prefetch_for(ENTRY)
    prefetch["observations-exam"]["link"] = [
        {"relation": "next", "url": link.format(pid=patient_id)}
    ]
    response = cds.post(PV, _body(prefetch))
    assert _unread(response) == "HO checks incomplete: could not read examination findings."
    assert server.requests == []


@pytest.mark.parametrize("fail", [{"Condition": 500}, {"Observation": 403}])
def test_a_failed_search_is_named_on_a_card(make: Callable[..., Cds], fail: dict[str, int]) -> None:
    server = EpicLikeServer(fail=fail)
    cds = make(server)
    response = cds.post(PV, _body(None))
    unread = _unread(response)
    assert unread is not None and unread.startswith("HO checks incomplete: could not read")
    assert ("conditions" in unread) == ("Condition" in fail)
    assert ("laboratory results" in unread) == ("Observation" in fail)
    assert TOKEN not in response.text


@pytest.mark.parametrize(
    "server_url",
    [
        "https://other-ehr.example.com/fhir",  # not in the issuer's fhir_servers
        "http://ehr.example.com/fhir",  # plain http: not the listed URL
        "ftp://ehr.example.com/fhir",
    ],
)
def test_an_unlisted_server_is_never_read(make: Callable[..., Cds], server_url: str) -> None:
    server = EpicLikeServer()
    cds = make(server)
    response = cds.post(PV, _body(None, server_url))
    assert response.status_code == 412  # not even the Patient can be had
    assert response.json()["resourceType"] == "OperationOutcome"
    assert server.requests == [] and TOKEN not in response.text
    _, prefetch = prefetch_for(ENTRY)
    only_patient = {"patient": prefetch["patient"]}
    assert _unread(cds.post(PV, _body(only_patient, server_url))) is not None
    assert server.requests == []


def test_timeout_is_named_on_a_card(make: Callable[..., Cds]) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    cds = make(httpx.MockTransport(slow))
    _, prefetch = prefetch_for(ENTRY)
    del prefetch["conditions"]
    assert (
        _unread(cds.post(PV, _body(prefetch))) == "HO checks incomplete: could not read conditions."
    )


def test_missing_patient_on_the_server_is_412(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer()
    server.resources = [r for r in server.resources if r["resourceType"] != "Patient"]
    cds = make(server)
    response = cds.post(PV, _body(None))
    assert response.status_code == 412 and "Patient" in response.text


def test_an_open_server_is_read_without_a_token(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer(open_=True)
    cds = make(server, open_fhir_servers=[FHIR])
    response = cds.post(PV, _body(None, token=False))
    assert _summary(response).startswith("HO probable at right hip") and _unread(response) is None
    assert server.requests and all("authorization" not in r.headers for r in server.requests)


def test_a_server_not_marked_open_is_not_read_without_a_token(make: Callable[..., Cds]) -> None:
    server = EpicLikeServer(open_=True)
    cds = make(server)
    assert cds.post(PV, _body(None, token=False)).status_code == 412
    assert server.requests == []


@pytest.mark.parametrize(
    ("addresses", "read"),
    [
        (["93.184.215.14"], True),
        (["10.1.2.3"], False),
        (["192.168.0.10"], False),
        (["127.0.0.1"], False),
        (["169.254.169.254"], False),  # the cloud metadata service
        (["93.184.215.14", "10.1.2.3"], False),  # one private address is enough
        (["::1"], False),
        (["::ffff:127.0.0.1"], False),
        (["fe80::1"], False),
        ([], False),
    ],
)
def test_without_fhir_servers_only_public_addresses_are_read(
    make: Callable[..., Cds], addresses: list[str], read: bool
) -> None:
    server = EpicLikeServer()
    cds = make(server, fhir_servers=None)

    async def resolve(host: str, port: int) -> list[str]:
        assert (host, port) == ("ehr.example.com", 443)
        return addresses

    cds.app.state.cds_hooks.resolve = resolve
    response = cds.post(PV, _body(None))
    assert (response.status_code == 200) == read
    assert bool(server.requests) == read


def test_refusals_read_alike(make: Callable[..., Cds]) -> None:
    """A refused address, an unknown name and a closed port give the caller the same answer."""
    server = EpicLikeServer()
    cds = make(server, fhir_servers=None)
    _, prefetch = prefetch_for(ENTRY)
    only_patient = {"patient": prefetch["patient"]}

    async def private(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    async def unknown(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    texts = []
    for resolve in (private, unknown):
        cds.app.state.cds_hooks.resolve = resolve
        texts.append(_unread(cds.post(PV, _body(only_patient))))
    assert texts[0] is not None and texts[0] == texts[1]


def test_a_real_open_server_on_loopback(make_cds: Callable[..., Cds], keys: Keys) -> None:
    """The acceptance case over real HTTP: patient-view with only an open fhirServer (listed and
    marked open in the issuer's settings, on loopback), no prefetch, no fhirAuthorization."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    fake = EpicLikeServer(open_=True, page_size=3)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = f"{FHIR}{self.path.removeprefix('/fhir')}"
            answer = fake.handler(httpx.Request("GET", url, headers=dict(self.headers)))
            # the stand-in's own next links name FHIR: serve them under this server's base
            body = answer.content.replace(FHIR.encode(), base.encode())
            self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 128  # the default backlog (5) drops the service's parallel fetches

    httpd = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/fhir"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        trusted = trusting(keys, fhir_servers=[base], open_fhir_servers=[base])
        cds = make_cds(ENTRY.as_of, trusted=trusted)
        response = cds.post(PV, _body(None, base, token=False))
        assert _summary(response).startswith("HO probable at right hip")
        assert _unread(response) is None
        assert len(fake.requests) > len(PREFETCH)  # every search, and their further pages
        # Not listed: loopback is refused, whatever the port.
        refused = make_cds(ENTRY.as_of, trusted=trusting(keys, fhir_servers=None))
        before = len(fake.requests)
        assert refused.post(PV, _body(None, base, token=False)).status_code == 412
        assert len(fake.requests) == before
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_complete_prefetch_does_not_resolve_the_fhir_server(make: Callable[..., Cds]) -> None:
    """EHRs send fhirServer with every call: with nothing to fetch, no DNS lookup is paid."""
    server = EpicLikeServer()
    cds = make(server, fhir_servers=None)
    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        return ["93.184.215.14"]

    cds.app.state.cds_hooks.resolve = resolve
    _, prefetch = prefetch_for(ENTRY)
    assert _unread(cds.post(PV, _body(prefetch))) is None
    assert looked_up == [] and server.requests == []
    del prefetch["conditions"]
    assert _unread(cds.post(PV, _body(prefetch))) is None
    assert looked_up == ["ehr.example.com"]
