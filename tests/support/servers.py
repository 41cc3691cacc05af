"""A real uvicorn server for an app, in a thread on a free loopback port (for tests that need
real sockets: slow clients, partial bodies, connection limits)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def serving(app: FastAPI, **options: Any) -> Iterator[int]:
    """Serves `app` on 127.0.0.1 until the block ends (`options` for uvicorn.Config); yields
    the port."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", access_log=False, **options
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > end or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def raw_request(port: int, data: bytes, timeout: float) -> tuple[int | None, bytes, float]:
    """Sends `data`, reads the answer until the server closes or `timeout`: (status, bytes,
    seconds). Status is None when nothing came back in time."""
    start = time.monotonic()
    received = b""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        try:
            while chunk := s.recv(65536):
                received += chunk
                if b"\r\n\r\n" in received and b"connection: close" not in received.lower():
                    head, _, rest = received.partition(b"\r\n\r\n")
                    length = _content_length(head)
                    if length is not None and len(rest) >= length:
                        break
        except (TimeoutError, ConnectionResetError):
            pass
    elapsed = time.monotonic() - start
    if not received.startswith(b"HTTP/1.1 "):
        return None, received, elapsed
    return int(received[9:12]), received, elapsed


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None
