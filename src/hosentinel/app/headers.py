"""Security headers on every response: a strict Content-Security-Policy (scripts only from this
site; no framing), no MIME sniffing, and no referrer leaking patient URLs to other sites.

A plain ASGI middleware (not Starlette's BaseHTTPMiddleware), so it costs next to nothing per
request: it only adds headers to the response-start message.
"""

from __future__ import annotations

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
NO_STORE = (b"cache-control", b"no-store")
# Set on request.state by the SMART pages (app/smart/access.py): the EHR origins that may frame
# this answer. Then CSP frame-ancestors names them and X-Frame-Options (which cannot name an
# origin in today's browsers) is left out; every other answer keeps 'none' and DENY.
FRAME_STATE = "hosentinel_frame_ancestors"


def _framed_by(origins: str) -> tuple[tuple[bytes, bytes], ...]:
    csp = CSP.replace("frame-ancestors 'none'", f"frame-ancestors {origins}")
    return tuple(
        (b"content-security-policy", csp.encode()) if name == b"content-security-policy" else h
        for h in HEADERS
        for name in (h[0],)
        if name != b"x-frame-options"
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Patient data must not be cached by browsers or proxies; static files may be.
        cacheable = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                origins = (scope.get("state") or {}).get(FRAME_STATE)
                chosen = _framed_by(origins) if origins else HEADERS
                extra = chosen if cacheable else (*chosen, NO_STORE)
                headers.extend(h for h in extra if h[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_security_headers(app: FastAPI) -> None:
    app.add_middleware(SecurityHeaders)
