"""Reading from the client's FHIR server when prefetch is missing: the bearer token is used only
there (never logged, never returned), pages are followed, failures are 412."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cdshooks.cdskit import PREFETCH_TYPES, PV, Cds, demo, hook_request, prefetch_for, resources_of

FHIR = "https://ehr.example.com/fhir"
TOKEN = "opaque-access-token-5f2c9b"
ENTRY = demo("03-sci-hip-rom-loss-probable")


class FakeFhirServer:
    """A FHIR server over httpx.MockTransport holding one demo patient."""

    def __init__(self, page_size: int = 1000, fail: dict[str, int] | None = None) -> None:
        self.resources = resources_of(ENTRY)
        self.page_size = page_size
        self.fail = fail or {}
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return httpx.Response(401)
        path = urlsplit(str(request.url)).path.removeprefix("/fhir/")
        query = parse_qs(urlsplit(str(request.url)).query)
        rtype = path.split("/")[0]
        if rtype in self.fail:
            return httpx.Response(self.fail[rtype], json={"resourceType": "OperationOutcome"})
        if "/" in path:
            rid = path.split("/")[1]
            found = [r for r in self.resources if r["resourceType"] == rtype and r["id"] == rid]
            return httpx.Response(200, json=found[0]) if found else httpx.Response(404)
        matches = [r for r in self.resources if r["resourceType"] == rtype]
        page = int(query.get("_page", ["0"])[0])
        chunk = matches[page * self.page_size : (page + 1) * self.page_size]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [{"resource": r, "search": {"mode": "match"}} for r in chunk],
        }
        if (page + 1) * self.page_size < len(matches):
            patient = query["patient"][0]
            bundle["link"] = [
                {"relation": "next", "url": f"{FHIR}/{rtype}?patient={patient}&_page={page + 1}"}
            ]
        return httpx.Response(200, json=bundle)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)


def _body(prefetch: dict[str, Any] | None, server: str = FHIR) -> dict[str, Any]:
    patient_id = prefetch_for(ENTRY)[0]
    body = hook_request("patient-view", patient_id, prefetch)
    body["fhirServer"] = server
    body["fhirAuthorization"] = {
        "access_token": TOKEN,
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "user/Patient.read user/Condition.read user/Observation.read",
        "subject": "ho-sentinel",
        "patient": patient_id,
    }
    return body


def _summary(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    summary: str = response.json()["cards"][0]["summary"]
    return summary


def test_fetches_everything_from_the_fhir_server(
    make_cds: Callable[..., Cds], caplog: pytest.LogCaptureFixture
) -> None:
    server = FakeFhirServer()
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    patient_id, prefetch = prefetch_for(ENTRY)
    with caplog.at_level(logging.DEBUG):
        fetched = cds.post(PV, _body(None))
    expected = _summary(cds.post(PV, hook_request("patient-view", patient_id, prefetch)))
    assert _summary(fetched) == expected
    paths = sorted(str(r.url).removeprefix(FHIR) for r in server.requests)
    assert paths == sorted(
        [f"/Patient/{patient_id}"] + [f"/{t}?patient={patient_id}" for t in PREFETCH_TYPES.values()]
    )
    assert all(r.headers["accept"] == "application/fhir+json" for r in server.requests)
    # The token went to the FHIR server and nowhere else: not logged, not answered.
    assert TOKEN not in caplog.text
    assert TOKEN not in fetched.text
    state = cds.app.state.cds_hooks
    assert TOKEN not in repr(vars(state))


def test_fetches_only_the_missing_keys(make_cds: Callable[..., Cds]) -> None:
    server = FakeFhirServer()
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    _, prefetch = prefetch_for(ENTRY)
    del prefetch["observations"]
    prefetch["conditions"] = {"resourceType": "OperationOutcome", "issue": []}
    assert _summary(cds.post(PV, _body(prefetch))).startswith("HO probable at right hip")
    assert sorted(r.url.path for r in server.requests) == ["/fhir/Condition", "/fhir/Observation"]


def test_follows_next_pages_on_the_same_server(make_cds: Callable[..., Cds]) -> None:
    server = FakeFhirServer(page_size=2)
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    assert _summary(cds.post(PV, _body(None))).startswith("HO probable at right hip")
    observation_pages = [r for r in server.requests if r.url.path == "/fhir/Observation"]
    observations = sum(1 for r in resources_of(ENTRY) if r["resourceType"] == "Observation")
    assert len(observation_pages) == (observations + 1) // 2 > 1


def test_a_prefetched_page_with_a_next_link_is_completed(make_cds: Callable[..., Cds]) -> None:
    server = FakeFhirServer(page_size=2)
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    patient_id, prefetch = prefetch_for(ENTRY)
    first = prefetch["observations"]
    first["entry"] = first["entry"][:2]
    first["link"] = [
        {"relation": "next", "url": f"{FHIR}/Observation?patient={patient_id}&_page=1"}
    ]
    assert _summary(cds.post(PV, _body(prefetch))).startswith("HO probable at right hip")
    assert {r.url.path for r in server.requests} == {"/fhir/Observation"}
    # Without a FHIR server to read the rest from, the data is incomplete: 412.
    assert cds.post(PV, hook_request("patient-view", patient_id, prefetch)).status_code == 412


def test_never_sends_the_token_to_another_origin(make_cds: Callable[..., Cds]) -> None:
    server = FakeFhirServer()
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    patient_id, prefetch = prefetch_for(ENTRY)
    prefetch["observations"]["link"] = [
        {"relation": "next", "url": f"https://attacker.example/Observation?patient={patient_id}"}
    ]
    response = cds.post(PV, _body(prefetch))
    assert response.status_code == 412
    assert all(r.url.host == "ehr.example.com" for r in server.requests)


@pytest.mark.parametrize(
    ("fail", "server_url"),
    [
        ({"Condition": 500}, FHIR),
        ({"Observation": 403}, FHIR),
        ({}, "http://ehr.example.com/fhir"),  # plain http off loopback: the token stays home
        ({}, "ftp://ehr.example.com/fhir"),
    ],
)
def test_unreadable_data_is_412(
    make_cds: Callable[..., Cds], fail: dict[str, int], server_url: str
) -> None:
    server = FakeFhirServer(fail=fail)
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    response = cds.post(PV, _body(None, server_url))
    assert response.status_code == 412
    assert response.json()["resourceType"] == "OperationOutcome"
    assert TOKEN not in response.text


def test_timeout_is_412(make_cds: Callable[..., Cds]) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    cds = make_cds(ENTRY.as_of, transport=httpx.MockTransport(slow))
    response = cds.post(PV, _body(None))
    assert response.status_code == 412 and "Could not read" in response.text


def test_missing_patient_on_the_server_is_412(make_cds: Callable[..., Cds]) -> None:
    server = FakeFhirServer()
    server.resources = [r for r in server.resources if r["resourceType"] != "Patient"]
    cds = make_cds(ENTRY.as_of, transport=server.transport())
    response = cds.post(PV, _body(None))
    assert response.status_code == 412 and "No Patient resource" in response.text
