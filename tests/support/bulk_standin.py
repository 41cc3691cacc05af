"""A stand-in FHIR Bulk Data server on loopback, with a SMART Backend Services token endpoint.

It behaves as the Bulk Data Access IG and SMART Backend Services describe a server: the token
endpoint verifies the client assertion's signature with the key registered for the client
(RS384/ES384), its aud (the token URL), exp (at most 5 minutes ahead), iss = sub and a jti never
seen; kick-off needs the bearer token, `Accept: application/fhir+json`, `Prefer: respond-async`;
the status URL answers 202 with Retry-After and X-Progress until the export is ready, then the
manifest; files need the token when the manifest says so and honour Range requests.
Misbehaviour for the tests is switched on per server: 429 once at kick-off, 503 once on a file,
a file that breaks off half-way once, a kick-off refused with an OperationOutcome.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_ID = "nightly-screen"


def outcome(text: str, code: str = "processing") -> bytes:
    issue = {"severity": "error", "code": code, "diagnostics": text}
    return json.dumps({"resourceType": "OperationOutcome", "issue": [issue]}).encode()


@dataclass
class Behaviour:
    retry_after: int = 1
    polls_before_done: int = 2
    kickoff_429_once: bool = False
    flaky_503_once: str | None = None  # a type whose first file answers 503 once
    break_once: str | None = None  # a type whose first file breaks off half-way once
    gone_once: str | None = None  # a type whose first file answers 404 once (a failed run)
    refuse_kickoff: bool = False
    requires_token: bool = True
    error_entry: bool = True
    deleted: dict[str, bytes] = field(default_factory=dict)  # type -> NDJSON of deleted stubs


@dataclass
class Log:
    tokens: list[dict[str, Any]] = field(default_factory=list)
    kickoffs: list[dict[str, Any]] = field(default_factory=list)
    polls: list[float] = field(default_factory=list)
    downloads: list[dict[str, Any]] = field(default_factory=list)


class StandIn:
    def __init__(
        self, files: dict[str, list[bytes]], keys: dict[str, Any], behaviour: Behaviour
    ) -> None:
        self.files = files  # type -> its NDJSON parts
        self.keys = keys  # alg -> the public key registered for CLIENT_ID
        self.behaviour = behaviour
        self.log = Log()
        self.lock = threading.Lock()
        self.tokens: set[str] = set()
        self.jtis: set[str] = set()
        self.blobs: dict[str, tuple[str, bytes]] = {}  # file id -> (type, data)
        self.once: set[str] = set()  # misbehaviours already played
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def root(self) -> str:
        assert self.httpd is not None
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def base(self) -> str:
        return f"{self.root}/fhir"

    def token_url(self, path: str = "/auth/token") -> str:
        return f"{self.root}{path}"

    # -- plumbing -------------------------------------------------------------------------
    def handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                server.dispatch(self, "GET")

            def do_POST(self) -> None:
                server.dispatch(self, "POST")

        return Handler

    def send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: bytes = b"",
        ctype: str = "application/fhir+json",
        headers: dict[str, str] | None = None,
        length: int | None = None,
    ) -> None:
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body) if length is None else length))
        h.end_headers()
        h.wfile.write(body)
        if length is not None and length > len(body):
            h.wfile.flush()
            h.close_connection = True

    def bearer(self, h: BaseHTTPRequestHandler) -> bool:
        scheme, _, token = h.headers.get("Authorization", "").partition(" ")
        with self.lock:
            return scheme.lower() == "bearer" and token in self.tokens

    def dispatch(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        path = parts.path
        if path == "/fhir/.well-known/smart-configuration":
            config = {
                "token_endpoint": self.token_url(),
                "grant_types_supported": ["client_credentials"],
            }
            return self.send(h, 200, json.dumps(config).encode(), "application/json")
        if path.startswith("/auth/token") and method == "POST":
            return self.token(h, path, body)
        if path.endswith("/$export"):
            return self.kickoff(h, path, parse_qs(parts.query))
        if path.startswith("/status/"):
            return self.status(h, path.rsplit("/", 1)[1])
        if path.startswith("/files/"):
            return self.download(h, path.rsplit("/", 1)[1])
        self.send(h, 404, outcome("not found", "not-found"))

    # -- endpoints --------------------------------------------------------------------------
    def token(self, h: BaseHTTPRequestHandler, path: str, body: bytes) -> None:
        form = {k: v[-1] for k, v in parse_qs(body.decode()).items()}
        record: dict[str, Any] = {"path": path, "form": form, "ok": False, "reason": ""}
        with self.lock:
            self.log.tokens.append(record)

        def refuse(reason: str) -> None:
            record["reason"] = reason
            answer = {"error": "invalid_client", "error_description": reason}
            self.send(h, 400, json.dumps(answer).encode(), "application/json")

        if form.get("grant_type") != "client_credentials":
            return refuse("grant_type")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            return refuse("client_assertion_type")
        if not re.fullmatch(r"system/\*\.(read|rs)", form.get("scope", "")):
            return refuse("scope")
        assertion = form.get("client_assertion", "")
        try:
            alg = jwt.get_unverified_header(assertion).get("alg")
            key = self.keys[alg]
            claims = jwt.decode(
                assertion,
                key,
                algorithms=[alg],
                audience=self.token_url(path),
                options={"require": ["iss", "sub", "aud", "exp", "jti"]},
            )
        except (jwt.PyJWTError, KeyError) as exc:
            return refuse(f"assertion: {type(exc).__name__}")
        record["alg"], record["claims"] = alg, claims
        if claims["iss"] != CLIENT_ID or claims["sub"] != CLIENT_ID:
            return refuse("iss/sub")
        if claims["exp"] - time.time() > 300:
            return refuse("exp more than 5 minutes ahead")
        with self.lock:
            if claims["jti"] in self.jtis:
                return refuse("jti replayed")
            self.jtis.add(claims["jti"])
            access = secrets.token_urlsafe(16)
            self.tokens.add(access)
        record["ok"] = True
        answer = {"access_token": access, "token_type": "bearer", "expires_in": 300}
        self.send(h, 200, json.dumps(answer).encode(), "application/json")

    def kickoff(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        record = {"path": path, "query": query, "headers": dict(h.headers), "status": 0}
        with self.lock:
            self.log.kickoffs.append(record)
            first_429 = self.behaviour.kickoff_429_once and "kick429" not in self.once
            self.once.add("kick429")
        if not self.bearer(h) and self.behaviour.requires_token:
            record["status"] = 401
            return self.send(h, 401, outcome("token required", "login"))
        if first_429:
            record["status"] = 429
            return self.send(
                h, 429, outcome("slow down", "throttled"), headers={"Retry-After": "1"}
            )
        if self.behaviour.refuse_kickoff:
            record["status"] = 400
            return self.send(h, 400, outcome("this server does not export Group/nope", "not-found"))
        if (
            h.headers.get("Accept") != "application/fhir+json"
            or h.headers.get("Prefer") != "respond-async"
        ):
            record["status"] = 400
            return self.send(h, 400, outcome("Accept/Prefer headers"))
        record["status"] = 202
        job = secrets.token_hex(4)
        self.jobs_types = [t for v in query.get("_type", []) for t in v.split(",")]
        self.send(h, 202, b"", headers={"Content-Location": f"/status/{job}"})

    def manifest(self) -> dict[str, Any]:
        wanted = self.jobs_types or list(self.files)
        output, deleted, errors = [], [], []
        with self.lock:
            for rtype in sorted(t for t in self.files if t in wanted):
                for data in self.files[rtype]:
                    fid = secrets.token_hex(5)
                    self.blobs[fid] = (rtype, data)
                    output.append(
                        {
                            "type": rtype,
                            "url": f"{self.root}/files/{fid}",
                            "count": data.count(b"\n"),
                        }
                    )
            for data in self.behaviour.deleted.values():
                fid = secrets.token_hex(5)
                self.blobs[fid] = ("Bundle", data)
                deleted.append({"type": "Bundle", "url": f"{self.root}/files/{fid}"})
            if self.behaviour.error_entry:
                fid = secrets.token_hex(5)
                self.blobs[fid] = (
                    "OperationOutcome",
                    outcome("Observation/o-7 could not be exported") + b"\n",
                )
                errors.append(
                    {"type": "OperationOutcome", "url": f"{self.root}/files/{fid}", "count": 1}
                )
        return {
            "transactionTime": "2026-12-05T01:00:00.000Z",
            "request": f"{self.base}/$export",
            "requiresAccessToken": self.behaviour.requires_token,
            "output": output,
            "deleted": deleted,
            "error": errors,
        }

    def status(self, h: BaseHTTPRequestHandler, job: str) -> None:
        with self.lock:
            self.log.polls.append(time.monotonic())
            n = len(self.log.polls)
        if n <= self.behaviour.polls_before_done:
            headers = {"Retry-After": str(self.behaviour.retry_after), "X-Progress": f"step {n}"}
            return self.send(h, 202, b"", headers=headers)
        self.send(h, 200, json.dumps(self.manifest()).encode(), "application/json")

    def download(self, h: BaseHTTPRequestHandler, fid: str) -> None:
        rtype, data = self.blobs.get(fid, ("", b""))
        record = {"fid": fid, "type": rtype, "range": h.headers.get("Range"), "status": 0}
        with self.lock:
            self.log.downloads.append(record)
            first = fid not in self.once
            self.once.add(fid)
            first_of_type = rtype not in self.once
            self.once.add(rtype)
        if not rtype:
            record["status"] = 404
            return self.send(h, 404, outcome("no such file", "not-found"))
        if self.behaviour.requires_token and not self.bearer(h):
            record["status"] = 401
            return self.send(h, 401, outcome("token required", "login"))
        if first and first_of_type and rtype == self.behaviour.flaky_503_once:
            record["status"] = 503
            return self.send(h, 503, outcome("busy", "transient"), headers={"Retry-After": "1"})
        if first and first_of_type and rtype == self.behaviour.gone_once:
            record["status"] = 404
            return self.send(h, 404, outcome("file expired", "not-found"))
        if first and first_of_type and rtype == self.behaviour.break_once:
            record["status"] = 200
            return self.send(
                h, 200, data[: len(data) // 2], "application/fhir+ndjson", length=len(data)
            )
        match = re.fullmatch(r"bytes=(\d+)-", h.headers.get("Range", ""))
        if match:
            start = int(match.group(1))
            record["status"] = 206
            headers = {"Content-Range": f"bytes {start}-{len(data) - 1}/{len(data)}"}
            return self.send(h, 206, data[start:], "application/fhir+ndjson", headers)
        record["status"] = 200
        self.send(h, 200, data, "application/fhir+ndjson")


@contextmanager
def serving(
    files: dict[str, list[bytes]], keys: dict[str, Any], behaviour: Behaviour | None = None
) -> Iterator[StandIn]:
    server = StandIn(files, keys, behaviour or Behaviour())
    server.jobs_types = []
    server.httpd = ThreadingHTTPServer(("127.0.0.1", 0), server.handler())
    server.httpd.daemon_threads = True
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)
