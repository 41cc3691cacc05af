"""Notes whose text is a Binary on the client's FHIR server (issue 17: `attachment.url` to a
`Binary` fetched when a FHIR server is at hand): fetched with the call's access, text/plain and
text/html only, one bad note a warning and never a failure. The stand-in serves Binaries the two
ways EHRs do (a FHIR Binary resource, or the raw content)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx

from hosentinel.cdshooks.discovery import PREFETCH
from hosentinel.cdshooks.note_binaries import html_text
from tests.support.cdskit import ISSUER, PV, Cds, Keys, hook_request

TODAY = date(2026, 6, 1)
FHIR = "https://ehr.example.com/fhir"
TOKEN = "opaque-token-77"
SENTENCE = "R hip warm and swollen, TTP over greater trochanter."
HTML = (
    "<html><head><style>p {color: red}</style><script>var x = 'L knee warm';</script></head>"
    f"<body><h1>PT note</h1><p>{SENTENCE.replace('&', '&amp;')}</p></body></html>"
)


class NoteServer:
    """A FHIR server's Binary endpoint and DocumentReference search (bearer token required)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.binaries: dict[str, httpx.Response] = {
            "n-json": httpx.Response(
                200,
                json={
                    "resourceType": "Binary",
                    "contentType": "text/plain; charset=utf-8",
                    "data": base64.b64encode(f"PT.\n{SENTENCE}\n".encode()).decode(),
                },
                headers={"Content-Type": "application/fhir+json"},
            ),
            "n-html": httpx.Response(
                200, content=HTML.encode(), headers={"Content-Type": "text/html; charset=utf-8"}
            ),
            "n-pdf": httpx.Response(
                200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
            ),
            "n-huge": httpx.Response(
                200, content=b"x" * 300_000, headers={"Content-Type": "text/plain"}
            ),
        }
        self.documents: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        path = urlsplit(str(request.url)).path.removeprefix("/fhir/")
        if path.startswith("Binary/"):
            return self.binaries.get(path.split("/", 1)[1], httpx.Response(404))
        if path == "DocumentReference":
            return httpx.Response(200, json=searchset(*self.documents))
        return httpx.Response(200, json=searchset())


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "searchset", "entry": entries}


def document(rid: str, url: str, content_type: str | None = "text/plain") -> dict[str, Any]:
    attachment: dict[str, Any] = {"url": url}
    if content_type:
        attachment["contentType"] = content_type
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "subject": {"reference": "Patient/nb1"},
        "date": "2026-05-30T10:00:00Z",
        "content": [{"attachment": attachment}],
    }


def prefetch(notes: list[dict[str, Any]] | None, *, complete: bool = True) -> dict[str, Any]:
    sci = {
        "resourceType": "Condition",
        "id": "sci",
        "subject": {"reference": "Patient/nb1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S24.111A"}]},
        "onsetDateTime": "2026-04-15",
    }
    found: dict[str, Any] = {k: searchset() for k in PREFETCH}
    found["patient"] = {"resourceType": "Patient", "id": "nb1", "gender": "male"}
    found["conditions"] = searchset(sci)
    if not complete:
        del found["allergies"]
    if notes is not None:
        found["notes"] = searchset(*notes)
    return found


def call(cds: Cds, body_prefetch: dict[str, Any]) -> dict[str, Any]:
    body = hook_request("patient-view", "nb1", body_prefetch)
    body["fhirServer"] = FHIR
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/DocumentReference.read user/Binary.read",
        "subject": "ho-sentinel",
    }
    response = cds.post(PV, body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards[0]


def make(make_cds: Callable[..., Cds], keys: Keys, server: NoteServer) -> Cds:
    trusted = {ISSUER: {"jwks": keys.jwks(), "fhir_servers": [FHIR]}}
    return make_cds(TODAY, transport=httpx.MockTransport(server.handler), trusted=trusted)


def _suspected(card: dict[str, Any]) -> bool:
    return "Right hip (probable)" in card["detail"] or "Right hip (possible)" in card["detail"]


def test_a_note_whose_text_is_a_binary_resource_is_read(
    make_cds: Callable[..., Cds], keys: Keys
) -> None:
    server = NoteServer()
    cds = make(make_cds, keys, server)
    assert _suspected(call(cds, prefetch([document("d1", "Binary/n-json")])))
    assert server.requests == [f"{FHIR}/Binary/n-json"]  # the prefetch was otherwise complete
    # Without the text (the Binary is not there): no suspicion, and still an answer.
    server.binaries.pop("n-json")
    assert not _suspected(call(cds, prefetch([document("d1", "Binary/n-json")])))


def test_an_html_note_served_raw_is_read_as_its_text(
    make_cds: Callable[..., Cds], keys: Keys
) -> None:
    server = NoteServer()
    cds = make(make_cds, keys, server)
    notes = [document("d2", f"{FHIR}/Binary/n-html", "text/html")]
    assert _suspected(call(cds, prefetch(notes)))
    text = html_text(HTML)
    assert SENTENCE in text and "L knee" not in text and "color" not in text


def test_bad_notes_are_skipped_one_by_one(make_cds: Callable[..., Cds], keys: Keys) -> None:
    server = NoteServer()
    cds = make(make_cds, keys, server)
    notes = [
        document("bad-404", "Binary/missing"),
        document("bad-pdf", "Binary/n-pdf", None),  # undeclared type, served as a PDF
        document("bad-huge", "Binary/n-huge"),
        document("bad-away", "https://elsewhere.example.net/fhir/Binary/n-json"),
        document("bad-dots", "Binary/../../admin/Binary/n-json"),
        document("bad-encoded-dots", "Binary/%2e%2e/%2E%2E/admin/n-json"),
        document("good", "Binary/n-json"),
    ]
    assert _suspected(call(cds, prefetch(notes)))
    assert not any("elsewhere" in r for r in server.requests)  # never away from the base
    assert all(urlsplit(r).path.startswith("/fhir/Binary/") for r in server.requests)
    assert f"{FHIR}/Binary/n-json" in server.requests


def test_when_the_server_is_read_the_notes_are_searched_there_too(
    make_cds: Callable[..., Cds], keys: Keys
) -> None:
    server = NoteServer()
    server.documents = [document("d3", "Binary/n-json")]
    cds = make(make_cds, keys, server)
    card = call(cds, prefetch(None, complete=False))
    assert _suspected(card)
    assert f"{FHIR}/DocumentReference?patient=nb1" in server.requests
    # A complete prefetch without notes: the server is not read at all.
    server.requests.clear()
    assert not _suspected(call(cds, prefetch(None)))
    assert server.requests == []
