"""Requests enter the app only with their whole body, and at most N at once per lane.

Why a limit at all: handlers and the per-request transaction (`deps.get_db`, whose commit runs
when the handler returns) run on the threadpool and hold one database connection each. With more
requests inside than connections, the extra ones block threads waiting for the pool; with more
than threads, a request that holds a connection and a lock (SQLite's write lock, a PostgreSQL
row lock) can find no thread left to commit on, while the threads wait for its lock: nothing
moves until the timeouts fire. Found by the load test (50 concurrent clinicians on SQLite:
"QueuePool limit ... reached" and "database is locked", HTTP 500). Admitting no more requests
than there are connections keeps every admitted request able to finish; waiting happens here, on
the event loop, where it costs no thread and no connection.

Why the body first: a slot taken before the body had arrived was held by whoever sent the
headers and then a byte now and then; 16 such sockets froze the server for everyone.
The body is now read here, under a size limit per route (413) and a time limit (408), and only
then does the request wait for a slot. Reading costs no slot, no thread and no connection.

Why two lanes: `/healthz` and the CDS Hooks services (an EHR waits on them while a clinician
orders) have slots of their own, so busy pages never hold them up. The connection pool's
overflow connections (`store/db.py`) serve that lane.
"""

from __future__ import annotations

import asyncio
import time

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hosentinel.app.config import AppConfig
from hosentinel.fhir.outcome import error_outcome

RESERVED_PATHS = ("/healthz",)
RESERVED_PREFIXES = ("/cds-services",)


class BodyRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:g} MB"


def body_limit(config: AppConfig, method: str, path: str) -> tuple[int, str]:
    """The largest body this route takes, and the setting that changes it."""
    if method == "POST" and path.rstrip("/") == "/fhir":
        return config.max_body_fhir, "HOSENTINEL_MAX_BODY_FHIR"
    if path.startswith("/cds-services"):
        return config.max_body_cds_hooks, "HOSENTINEL_MAX_BODY_CDS_HOOKS"
    return config.max_body, "HOSENTINEL_MAX_BODY"


def is_reserved(path: str) -> bool:
    return path in RESERVED_PATHS or path.startswith(RESERVED_PREFIXES)


class Admission:
    def __init__(self, app: ASGIApp, config: AppConfig) -> None:
        self.app = app
        self.config = config
        self.pages_limit = config.max_concurrent_requests
        self.reserved_limit = config.reserved_requests
        self._lanes: tuple[asyncio.Semaphore, asyncio.Semaphore] | None = None
        # Bytes of bodies being read right now, over all connections: a cap on the memory that
        # many large uploads at once could take (503 past it; a front proxy should limit first).
        self.buffered = 0

    def lanes(self) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
        if self._lanes is None:  # created on the server's event loop, at the first request
            self._lanes = (
                asyncio.Semaphore(self.pages_limit),
                asyncio.Semaphore(self.reserved_limit),
            )
        return self._lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        try:
            body = await self.read_body(scope, receive)
        except BodyRefused as refused:
            await self.refuse(scope, send, refused)
            return
        except _Disconnected:
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        pages, reserved = self.lanes()
        async with reserved if is_reserved(path) else pages:
            await self.app(scope, replay, send)

    async def read_body(self, scope: Scope, receive: Receive) -> bytes:
        limit, setting = body_limit(self.config, scope["method"], scope["path"])
        route = f"{scope['method']} {scope['path']}"[:80]
        too_large = BodyRefused(
            413,
            f"The request body is over the {megabytes(limit)} limit for {route} "
            f"(setting {setting}).",
        )
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                raise too_large  # refused before a byte of it is read
        timeout = self.config.body_timeout_seconds
        deadline = time.monotonic() + timeout
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BodyRefused(408, f"The request body did not arrive within {timeout:g} s.")
                try:
                    message = await asyncio.wait_for(receive(), left)
                except TimeoutError:
                    raise BodyRefused(
                        408, f"The request body did not arrive within {timeout:g} s."
                    ) from None
                if message["type"] == "http.disconnect":
                    raise _Disconnected
                chunk: bytes = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    raise too_large
                if self.buffered + len(chunk) > self.config.max_buffered_bodies:
                    raise BodyRefused(503, "The server is busy receiving uploads; try again.")
                self.buffered += len(chunk)
                chunks.append(chunk)
                if not message.get("more_body", False):
                    return b"".join(chunks)
        finally:
            self.buffered -= sum(len(c) for c in chunks)

    async def refuse(self, scope: Scope, send: Send, refused: BodyRefused) -> None:
        path: str = scope["path"]
        if path.startswith(("/fhir", "/cds-services")):
            code = "too-costly" if refused.status == 413 else "timeout"
            body = orjson.dumps(error_outcome(code, refused.message))
            media = b"application/fhir+json" if path.startswith("/fhir") else b"application/json"
        else:
            body = orjson.dumps({"error": refused.message})
            media = b"application/json"
        headers = [
            (b"content-type", media),
            (b"content-length", str(len(body)).encode()),
            # The rest of the body is never read: the connection cannot carry another request.
            (b"connection", b"close"),
        ]
        if path.startswith("/cds-services"):
            headers.append((b"access-control-allow-origin", b"*"))
        await send({"type": "http.response.start", "status": refused.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class _Disconnected(Exception):
    """The client went away before its body had arrived: nothing to answer."""


def install_admission(app: FastAPI, config: AppConfig) -> None:
    app.add_middleware(Admission, config=config)
