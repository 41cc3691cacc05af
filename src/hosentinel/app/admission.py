"""At most N requests inside the app at once; the others wait their turn (they are not refused).

Why: handlers and the per-request transaction (`deps.get_db`, whose commit runs when the
handler returns) run on the threadpool and hold one database connection each. With more
requests inside than connections, the extra ones block threads waiting for the pool; with more
than threads, a request that holds a connection and a lock (SQLite's write lock, a PostgreSQL
row lock) can find no thread left to commit on, while the threads wait for its lock: nothing
moves until the timeouts fire. Found by the load test (50 concurrent clinicians on SQLite:
"QueuePool limit ... reached" and "database is locked", HTTP 500). Admitting no more requests
than there are connections (`AppConfig.max_concurrent_requests`, the pool is sized to match)
keeps every admitted request able to finish; waiting happens here, on the event loop, where it
costs no thread and no connection.
"""

from __future__ import annotations

import asyncio

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send


class Admission:
    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:  # created on the server's event loop, at the first request
            self._slots = asyncio.Semaphore(self.limit)
        async with self._slots:
            await self.app(scope, receive, send)


def install_admission(app: FastAPI, limit: int) -> None:
    app.add_middleware(Admission, limit=limit)
