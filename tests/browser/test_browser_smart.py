"""SMART App Launch in Chromium: `hosentinel serve` trusting the stand-in EHR (tests/app/
smart_ehr.py, on loopback in this process), launched as the EHR does (top level and inside the
EHR's frame), through the stand-in's authorization server, to the patient's assessment page.
A page on an origin the issuer's `frame_ancestors` does not list cannot frame it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Page, expect

from hosentinel.testing.smart_ehr import EhrPatient, StandInEHR
from tests.support.browserkit import (
    STARTUP_SECONDS,
    TODAY,
    AppServer,
    _free_port,
    _hosentinel,
    screenshot,
)


@pytest.fixture(scope="module")
def ehr() -> Iterator[StandInEHR]:
    server = StandInEHR(
        today=date.fromisoformat(TODAY),
        patients={"ehr-p1": EhrPatient("ehr-p1", "Quillfeather", swelling=True, n_labs=8)},
        launches={"L1": "ehr-p1", "L2": "ehr-p1", "L3": "ehr-p1"},
        page_size=4,
    ).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def other_site() -> Iterator[StandInEHR]:
    """Another loopback origin (not in the issuer's frame_ancestors) with a framing page."""
    server = StandInEHR(today=date.fromisoformat(TODAY)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(ehr: StandInEHR) -> Iterator[AppServer]:
    workdir = Path(tempfile.mkdtemp(prefix="hosentinel-smart-browser-"))
    log = workdir / "server.log"
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    clients = {ehr.fhir_base: {"client_id": ehr.client_id, "frame_ancestors": [ehr.base]}}
    env = {**os.environ, "HOSENTINEL_TODAY": TODAY, "HOSENTINEL_SMART_CLIENTS": json.dumps(clients)}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                _hosentinel(),
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--base-url",
                base,
            ],
            cwd=workdir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    app = AppServer(base, process, workdir, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(app.url("/healthz"), timeout=2, trust_env=False).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        app.stop()
        raise RuntimeError(f"hosentinel serve did not start:\n{app.output()[-3000:]}")
    yield app
    app.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def launch_url(server: AppServer, ehr: StandInEHR, launch: str) -> str:
    return server.url("/smart/launch?" + urlencode({"iss": ehr.fhir_base, "launch": launch}))


def test_ehr_launch_reaches_the_assessment_page(
    page: Page, server: AppServer, ehr: StandInEHR
) -> None:
    page.goto(launch_url(server, ehr, "L1"))
    expect(page).to_have_url(server.url("/patients/ehr-p1"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quillfeather")
    expect(page.locator("main")).to_contain_text("possible")
    expect(page.locator("header .who")).to_contain_text("Dr Tamsin Marrowby")
    screenshot(page, "smart-launch-assessment")
    # The session stays with the launched patient: the worklist leads back to them.
    page.goto(server.url("/"))
    expect(page).to_have_url(server.url("/patients/ehr-p1"))


def test_launch_inside_the_ehr_frame(page: Page, server: AppServer, ehr: StandInEHR) -> None:
    page.goto(f"{ehr.base}/ehr/chart?" + urlencode({"src": launch_url(server, ehr, "L2")}))
    frame = page.frame_locator("#app")
    expect(frame.get_by_role("heading", level=1)).to_contain_text("Quillfeather")
    screenshot(page, "smart-launch-in-ehr-frame")


def test_an_unlisted_origin_cannot_frame_the_app(
    page: Page, server: AppServer, ehr: StandInEHR, other_site: StandInEHR
) -> None:
    refused: list[str] = []
    page.on("console", lambda msg: refused.append(msg.text) if "frame" in msg.text else None)
    page.goto(f"{other_site.base}/ehr/chart?" + urlencode({"src": launch_url(server, ehr, "L3")}))
    # The launch itself runs (the EHR stores the record); the page the app answers is refused.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not any("frame-ancestors" in m for m in refused):
        page.wait_for_timeout(200)
    assert any("frame-ancestors" in m for m in refused), refused
    frame = page.frame_locator("#app")
    expect(frame.get_by_text("Quillfeather")).to_have_count(0)
