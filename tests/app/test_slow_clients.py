"""Slow and oversized uploads cannot freeze the server (issue 15): the body is read before a
request takes one of the admission slots, under a size limit per route (413) and a time limit
(408); /healthz and CDS Hooks have slots of their own; the CDS Hooks engine runs off the event
loop. Against a real uvicorn server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from hosentinel.app.admission import Admission
from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app
from tests.support.servers import raw_request, serving

SLOW = 40


def get(port: int, path: str, timeout: float = 5.0) -> tuple[int | None, float]:
    head = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    status, _, elapsed = raw_request(port, head.encode(), timeout)
    return status, elapsed


@pytest.fixture
def served(app: FastAPI) -> Iterator[int]:
    with serving(app) as port:
        yield port


def test_40_slow_uploads_leave_healthz_and_login_answering_within_a_second(served: int) -> None:
    head = (
        b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        b"username=slow&pass"
    )
    held: list[socket.socket] = []
    try:
        for _ in range(SLOW):
            s = socket.create_connection(("127.0.0.1", served), timeout=5)
            s.sendall(head)
            held.append(s)
        time.sleep(0.5)  # every slow request has reached the app and waits for its body
        for path in ("/healthz", "/login", "/cds-services"):
            status, elapsed = get(served, path, timeout=3.0)
            assert status == 200, f"{path}: {status} while {SLOW} slow uploads are held"
            assert elapsed < 1.0, f"{path} took {elapsed:.2f} s"
    finally:
        for s in held:
            s.close()


def test_a_body_that_does_not_arrive_in_time_gets_408_and_the_connection_closes(
    app_db_url: str,
) -> None:
    app = create_app(AppConfig(database_url=app_db_url, body_timeout_seconds=0.5))
    try:
        with serving(app) as port:
            head = (
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                b"username=x"
            )
            status, answer, elapsed = raw_request(port, head, timeout=5.0)
            assert status == 408
            assert b"did not arrive within 0.5 s" in answer
            assert elapsed < 3.0
    finally:
        app.state.engine.dispose()


@pytest.mark.parametrize(
    ("path", "limit_field", "media"),
    [
        ("/fhir", "max_body_fhir", b"application/fhir+json"),
        ("/cds-services/ho-sentinel-patient-view", "max_body_cds_hooks", b"application/json"),
        ("/login", "max_body", b"application/json"),
    ],
)
def test_an_announced_body_over_the_route_limit_gets_413_before_it_is_read(
    app: FastAPI, path: str, limit_field: str, media: bytes
) -> None:
    limit = getattr(app.state.config, limit_field)
    with serving(app) as port:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {limit + 1}\r\n\r\n{{"
        ).encode()
        status, answer, elapsed = raw_request(port, head, timeout=5.0)
    assert status == 413, answer[:300]
    assert media in answer
    assert b"limit for POST " + path.encode() in answer
    assert elapsed < 2.0


def test_a_chunked_body_over_the_limit_gets_413_once_it_passes_the_limit(
    app_db_url: str,
) -> None:
    app = create_app(AppConfig(database_url=app_db_url, max_body_fhir=1000))
    try:
        with serving(app) as port:
            chunk = b"x" * 600
            data = (
                b"POST /fhir HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n" + (b"258\r\n" + chunk + b"\r\n") * 2
            )
            status, answer, _ = raw_request(port, data, timeout=5.0)
        assert status == 413
        assert b"limit for POST /fhir" in answer
    finally:
        app.state.engine.dispose()


def test_body_limits_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_MAX_BODY_FHIR", "20MB")
    monkeypatch.setenv("HOSENTINEL_MAX_BODY_CDS_HOOKS", "512KB")
    monkeypatch.setenv("HOSENTINEL_MAX_BODY", "1000")
    monkeypatch.setenv("HOSENTINEL_BODY_TIMEOUT", "7.5")
    config = AppConfig.from_env("sqlite://")
    assert config.max_body_fhir == 20 * 1024 * 1024
    assert config.max_body_cds_hooks == 512 * 1024
    assert config.max_body == 1000
    assert config.body_timeout_seconds == 7.5
    monkeypatch.setenv("HOSENTINEL_MAX_BODY", "lots")
    with pytest.raises(ValueError, match="not a size"):
        AppConfig.from_env("sqlite://")


def test_defaults_fhir_10_mb_and_cds_hooks_lower() -> None:
    config = AppConfig(database_url="")
    assert config.max_body_fhir == 10 * 1024 * 1024
    assert config.max_body_cds_hooks < config.max_body_fhir


def test_healthz_and_cds_hooks_have_slots_while_every_page_slot_is_taken() -> None:
    """The pages lane full of requests that do not finish: /healthz and /cds-services still go
    through (their own lane), another page waits."""
    release = asyncio.Event()
    entered: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        entered.append(scope["path"])
        if scope["path"].startswith("/patients"):
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    admitted = Admission(app, AppConfig(database_url="", max_concurrent_requests=2))

    async def call(path: str) -> int:
        status = 0

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "headers": []}
        await admitted(scope, receive, send)
        return status

    async def main() -> None:
        pages = [asyncio.create_task(call(f"/patients/{i}")) for i in range(3)]
        await asyncio.sleep(0.05)
        assert await asyncio.wait_for(call("/healthz"), 1) == 200
        assert await asyncio.wait_for(call("/cds-services"), 1) == 200
        assert entered.count("/patients/2") == 0  # the third page waits for a slot
        release.set()
        assert await asyncio.gather(*pages) == [200, 200, 200]

    asyncio.run(main())


def test_the_cds_hooks_engine_runs_off_the_event_loop(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CDS Hooks call whose assessment takes 2 s of CPU: /healthz answers meanwhile."""
    from hosentinel.cdshooks import api
    from hosentinel.cdshooks.prefetch import Gathered
    from hosentinel.cdshooks.security import Caller

    def slow_answer(*args: object) -> list[object]:
        end = time.monotonic() + 2.0
        while time.monotonic() < end:  # busy, as the engine is: holds the GIL in slices
            sum(range(1000))
        return []

    async def authenticated(*args: object) -> Caller:  # `_authenticate` is a coroutine
        return Caller("iss", "jti-1")

    monkeypatch.setattr(api, "_authenticate", authenticated)

    async def prefetched(*args: object) -> Gathered:
        return Gathered([{"resourceType": "Patient", "id": "p1"}])

    monkeypatch.setattr(api, "_answer", slow_answer)
    monkeypatch.setattr(api, "gather", prefetched)
    body = (
        b'{"hook": "patient-view", "hookInstance": "h-1", "context": {"patientId": "p1",'
        b' "userId": "Practitioner/1"}, "prefetch": {}}'
    )
    with serving(app) as port:
        head = (
            f"POST /cds-services/ho-sentinel-patient-view HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n"
        ).encode()
        answers: list[int | None] = []
        caller = threading.Thread(
            target=lambda: answers.append(raw_request(port, head + body, 10.0)[0])
        )
        caller.start()
        time.sleep(0.4)
        status, elapsed = get(port, "/healthz", timeout=3.0)
        caller.join()
    assert answers == [200], "the CDS Hooks call was answered"
    assert status == 200
    assert elapsed < 1.0, f"/healthz took {elapsed:.2f} s during the CDS Hooks call"


def test_body_limit_settings_reach_the_middleware(tmp_path: Path) -> None:
    """A body limit from the settings reaches the running app's middleware."""
    app = create_app(AppConfig(database_url=f"sqlite:///{tmp_path}/a.db", max_body=123))
    try:
        configs = [mw.kwargs["config"] for mw in app.user_middleware if mw.cls is Admission]
        assert configs[0].max_body == 123
    finally:
        app.state.engine.dispose()
