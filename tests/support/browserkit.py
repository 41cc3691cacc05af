"""Helpers for the browser tests: start `hosentinel serve --demo`, sign in, read the worklist,
save screenshots. The fixtures that use them are in conftest.py."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TODAY = "2026-06-01"
PASSWORD = "demo-password"
STARTUP_SECONDS = 90.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _hosentinel() -> str:
    beside = Path(sys.executable).with_name("hosentinel")
    if beside.exists():
        return str(beside)
    found = shutil.which("hosentinel")
    if not found:
        raise RuntimeError("the hosentinel command is not installed (run `make sync`)")
    return found


@dataclass
class AppServer:
    base_url: str
    process: subprocess.Popen[bytes]
    workdir: Path
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_server(attempts: int = 3) -> AppServer:
    """`hosentinel serve --demo` on a free port; returns once /healthz answers."""
    for attempt in range(attempts):
        workdir = Path(tempfile.mkdtemp(prefix="hosentinel-browser-"))
        log = workdir / "server.log"
        port = _free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                [_hosentinel(), "serve", "--demo", "--host", "127.0.0.1", "--port", str(port)],
                cwd=workdir,
                env={**os.environ, "HOSENTINEL_TODAY": TODAY},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = AppServer(f"http://127.0.0.1:{port}", process, workdir, log)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(server.url("/healthz"), timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        server.stop()
        output = server.output()
        shutil.rmtree(workdir, ignore_errors=True)
        # Another process may have taken the port between choosing and binding it: try again.
        if "address already in use" not in output.lower() or attempt == attempts - 1:
            raise RuntimeError(f"hosentinel serve --demo did not start:\n{output[-4000:]}")
    raise AssertionError("unreachable")


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, server: AppServer, username: str, password: str = PASSWORD) -> None:
    page.goto(server.url("/login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def worklist_order(page: Page, server: AppServer) -> list[str]:
    """Patient ids as the worklist lists them, top first."""
    page.goto(server.url("/"))
    rows = page.locator("table.worklist tbody tr[data-patient]")
    expect(rows.first).to_be_visible()
    return [row.get_attribute("data-patient") or "" for row in rows.all()]


def demo_patient_id(file: str) -> str:
    from hosentinel.demo.catalog import load_catalog

    for entry in load_catalog():
        if entry.file == file:
            return entry.patient.removeprefix("Patient/")
    raise KeyError(file)
