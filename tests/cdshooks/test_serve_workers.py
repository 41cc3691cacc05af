"""`hosentinel serve --workers 2`: two real server processes share the replay check through the
database, so a token used once is refused whichever process the replay reaches."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.cdskit import ISSUER, PV, Keys, demo, hook_request, prefetch_for, sign, url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_a_replay_is_refused_by_every_worker(keys: Keys, tmp_path: Path) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    entry = demo("03-")
    env = os.environ | {
        "HOSENTINEL_CDS_JWKS": json.dumps({ISSUER: keys.jwks()}),
        "HOSENTINEL_TODAY": entry.as_of.isoformat(),
    }
    command = [
        *(sys.executable, "-m", "hosentinel.cli", "serve", "--workers", "2"),
        *("--port", str(port), "--database", f"sqlite:///{tmp_path / 'app.db'}"),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180  # generous: a busy machine starts Python slowly
        while True:
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start in time"
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        workers = []
        while len(workers) < 2 and time.monotonic() < deadline:  # uvicorn's workers appear
            workers = _children(server.pid)
            time.sleep(0.1)
        assert len(workers) >= 2
        patient_id, prefetch = prefetch_for(entry)
        body = hook_request("patient-view", patient_id, prefetch)
        token = sign(keys, base + url(PV))
        headers = {"Authorization": f"Bearer {token}"}
        first = httpx.post(base + url(PV), json=body, headers=headers, timeout=30)
        assert first.status_code == 200 and first.json()["cards"]
        # Each replay on a new connection: the kernel spreads them over both workers.
        replays = [
            httpx.post(base + url(PV), json=body, headers=headers, timeout=30).status_code
            for _ in range(8)
        ]
        assert replays == [401] * 8
    finally:
        server.terminate()
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for pid in _children(server.pid):
                os.kill(pid, signal.SIGKILL)
            server.kill()
            server.wait()
