"""A write is acknowledged only after it is committed: when the response starts, another
connection already sees the write."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.types import Message, Receive, Scope, Send

from hosentinel.store import models as m


class SeenAtResponseStart:
    """ASGI wrapper: when the app starts its response, count committed sign-in sessions from a
    separate connection."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.counts: list[int] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def spy(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("path") == "/login":
                with self.app.state.engine.connect() as other:
                    count = other.scalar(select(func.count()).select_from(m.WebSession))
                self.counts.append(int(count or 0))
            await send(message)

        await self.app(scope, receive, spy)


def test_sign_in_session_is_committed_before_the_response(app: Any) -> None:
    spy = SeenAtResponseStart(app)
    client = TestClient(spy)
    response = client.post(
        "/login", data={"username": "nurse", "password": "demo-password"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert spy.counts == [1]
