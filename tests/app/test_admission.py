"""At most `max_concurrent_requests` requests inside the app at once; the others wait their turn
and are answered, none refused (see app/admission.py: more requests inside than pooled
connections deadlocked commits behind SQLite's write lock under 50 clients)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from hosentinel.app.admission import Admission
from hosentinel.app.config import AppConfig


def test_requests_beyond_the_limit_wait_and_are_all_answered() -> None:
    inside = 0
    most = 0

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await asyncio.sleep(0.01)
        inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    admitted = Admission(app, AppConfig(database_url="", max_concurrent_requests=3))
    answers: list[int] = []

    async def request() -> None:
        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                answers.append(message["status"])

        await admitted({"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send)

    async def main() -> None:
        await asyncio.wait_for(asyncio.gather(*(request() for _ in range(20))), timeout=30)

    asyncio.run(main())
    assert most == 3
    assert answers == [200] * 20


def test_the_app_admits_as_many_requests_as_it_has_connections(tmp_path: Path) -> None:
    from hosentinel.app.main import create_app

    app = create_app(AppConfig(database_url=f"sqlite:///{tmp_path}/a.db"))
    try:
        # Starlette types `cls` as a factory protocol mypy cannot match to a class: compare objects.
        installed: list[tuple[object, dict[str, Any]]] = [
            (mw.cls, mw.kwargs) for mw in app.user_middleware
        ]
        configs: list[AppConfig] = [kw["config"] for cls, kw in installed if cls is Admission]
        assert [c.max_concurrent_requests for c in configs] == [AppConfig.max_concurrent_requests]
        assert app.state.engine.pool.size() == AppConfig.max_concurrent_requests
        # The reserved lane (/healthz, CDS Hooks) is served by the pool's overflow connections.
        assert app.state.engine.pool._max_overflow >= AppConfig.reserved_requests
    finally:
        app.state.engine.dispose()
