"""`hosentinel serve` as a subprocess on 127.0.0.1 for load and crash trials (see `workload.py`),
or as a child of a fork server (`forkserver.py`) for fast restarts."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

TODAY = "2026-06-01"
PASSWORD = "demo-password"
KINDS = ("exam", "edit", "alert", "read")
ROLE_OF = {"exam": "therapist", "edit": "physiatrist", "alert": "nurse", "read": "lead"}
HOT_ALERT = "rec:rule-out-dvt"
# Demo patients the alert fires for (03 hip ROM loss, 04 swollen thigh): the contended records.
HOT_PATIENTS = ("9db08d92-41a6-5db4-b625-522471029a5e", "1a56eeee-aca4-5d49-a267-d623a2788aa9")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# An exam of one joint-side writes its ROM and the four signs assessed, in one transaction.
OBSERVATIONS_PER_EXAM = 5


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


# --- the server -------------------------------------------------------------------------------

FORKSERVER = Path(__file__).with_name("forkserver.py")


class Launcher:
    """`forkserver.py`: a parent with the app imported that forks `hosentinel serve` children
    (fast restarts for the crash trials; see its docstring)."""

    def __init__(self) -> None:
        env = {**os.environ, "HOSENTINEL_TODAY": TODAY}
        self.process = subprocess.Popen(
            [sys.executable, str(FORKSERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the fork server did not start")

    def start(self, port: int, log: Path, database: str) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"start {port} {log} {database}\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Server:
    """`hosentinel serve` on a free loopback port, in its own process group: a subprocess, or
    a child of a `Launcher`."""

    database: str
    log: Path
    launcher: Launcher | None = None
    port: int = 0
    pid: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, demo: bool = False, timeout: float = 120.0) -> None:
        self.port = free_port()
        if self.launcher is not None and not demo:
            self.process = None
            self.pid = self.launcher.start(self.port, self.log, self.database)
        else:
            command = [
                sys.executable, "-m", "hosentinel.cli", "serve", "--host", "127.0.0.1",
                "--port", str(self.port), "--database", self.database,
            ]  # fmt: skip
            if demo:
                command.append("--demo")
            env = {**os.environ, "HOSENTINEL_TODAY": TODAY}
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
                )
            self.pid = self.process.pid
        self.wait_ready(timeout)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)  # the launcher reaps its children: a dead one is gone
        except ProcessLookupError:
            return False
        return True

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the server exited:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def _signal(self, sig: signal.Signals, timeout: float) -> bool:
        """Send `sig` to the server's process group; True when it is gone within `timeout`."""
        if not self.pid or not self.alive():
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.05)
            if not self.alive():
                return True
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        """kill -9: no shutdown code runs, transactions in flight are cut."""
        if not self._signal(signal.SIGKILL, 30.0):
            raise RuntimeError(f"server {self.pid} survived SIGKILL")

    def stop(self) -> None:
        if not self._signal(signal.SIGTERM, 30.0):
            self.kill()
