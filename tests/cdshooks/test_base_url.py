"""`hosentinel serve --base-url` (DESIGN.md "Deployment behind a proxy"): behind a TLS proxy the
EHR signs `aud` = {public base}/cds-services/{id}; that is accepted, the loopback URL the server
listens on is refused, and every absolute URL in the cards starts with the public base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hosentinel.app.config import public_base_url
from tests.support.cdskit import ISSUER, PV, Keys, demo, hook_request, prefetch_for, sign, url

PUBLIC = "https://cds.example.org"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _absolute_urls(card: dict[str, object]) -> list[str]:
    source = card.get("source")
    found = [source.get("url"), source.get("icon")] if isinstance(source, dict) else []
    links = card.get("links")
    found += [link.get("url") for link in links or [] if isinstance(link, dict)]  # type: ignore[union-attr]
    return [u for u in found if isinstance(u, str) and "://" in u]


@pytest.fixture
def served(keys: Keys, tmp_path: Path) -> Iterator[str]:
    """`serve` on a free loopback port with the public base URL given by the environment."""
    port = _free_port()
    loop = f"http://127.0.0.1:{port}"
    entry = demo("03-")
    env = os.environ | {
        "HOSENTINEL_CDS_JWKS": json.dumps({ISSUER: keys.jwks()}),
        "HOSENTINEL_TODAY": entry.as_of.isoformat(),
        "HOSENTINEL_BASE_URL": PUBLIC + "/",
    }
    command = [
        *(sys.executable, "-m", "hosentinel.cli", "serve", "--port", str(port)),
        *("--database", f"sqlite:///{tmp_path / 'app.db'}"),
    ]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, "the server exited"
            assert time.monotonic() < deadline, "the server did not start in time"
            try:
                if httpx.get(f"{loop}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield loop
    finally:
        server.terminate()
        server.wait(timeout=60)


def test_the_public_aud_is_accepted_and_the_loopback_one_refused(served: str, keys: Keys) -> None:
    patient_id, prefetch = prefetch_for(demo("03-"))
    public = httpx.post(
        served + url(PV),
        json=hook_request("patient-view", patient_id, prefetch),
        headers={"Authorization": f"Bearer {sign(keys, PUBLIC + url(PV))}"},
        timeout=30,
    )
    assert public.status_code == 200
    cards = public.json()["cards"]
    assert cards
    urls = [u for card in cards for u in _absolute_urls(card)]
    assert urls and all(u.startswith(PUBLIC + "/") for u in urls), urls
    loopback = httpx.post(
        served + url(PV),
        json=hook_request("patient-view", patient_id, prefetch),
        headers={"Authorization": f"Bearer {sign(keys, served + url(PV))}"},
        timeout=30,
    )
    assert loopback.status_code == 401


def test_a_base_url_that_is_not_an_http_url_is_refused_at_start(tmp_path: Path) -> None:
    command = [
        *(sys.executable, "-m", "hosentinel.cli", "serve", "--base-url", "cds.example.org"),
        *("--database", f"sqlite:///{tmp_path / 'app.db'}"),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "base URL" in done.stderr and not (tmp_path / "app.db").exists()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "http://127.0.0.1:8123"),
        ("", "http://127.0.0.1:8123"),
        ("https://cds.example.org/", "https://cds.example.org"),
        ("https://proxy.example.org/ho/", "https://proxy.example.org/ho"),
    ],
)
def test_public_base_url(given: str | None, expected: str) -> None:
    assert public_base_url(given, "127.0.0.1", 8123) == expected


@pytest.mark.parametrize(
    "given", ["cds.example.org", "ftp://x.example.org", "https://x.example.org/?a=1", "https://"]
)
def test_public_base_url_refuses(given: str) -> None:
    with pytest.raises(ValueError, match="base URL"):
        public_base_url(given, "127.0.0.1", 8123)
