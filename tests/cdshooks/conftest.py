"""Fixtures for the CDS Hooks service: an app on a copy of the demo database with today fixed to
a demo patient's as-of date, signing keys made here (ES384 and RS384) trusted for one issuer,
and requests shaped like the CDS Hooks 2.0 spec examples.

The demo database holds the demo patients under their own ids (their dates shifted, which the
CDS calls never read: they send the unshifted Bundles as prefetch), so feedback about them is
stored against real patient rows.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app
from hosentinel.cdshooks.api import install
from tests.support.cdskit import BASE, ISSUER, Cds, Keys


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 2048))


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cds-template") / "demo.db"
    create_app(
        AppConfig(database_url=f"sqlite:///{path}", demo=True, today=date(2026, 6, 1))
    ).state.engine.dispose()
    return path


@pytest.fixture
def make_cds(tmp_path: Path, demo_db_template: Path, keys: Keys) -> Iterator[Callable[..., Cds]]:
    """make_cds(today, transport=None, trusted=...) -> a Cds client on a fresh app."""
    apps: list[FastAPI] = []
    clients: list[TestClient] = []

    def make(
        today: date,
        transport: httpx.AsyncBaseTransport | None = None,
        trusted: dict[str, object] | None = None,
    ) -> Cds:
        target = tmp_path / f"cds-{len(apps)}.db"
        shutil.copyfile(demo_db_template, target)
        app = create_app(AppConfig(database_url=f"sqlite:///{target}", today=today, base_url=BASE))
        install(app, {ISSUER: keys.jwks()} if trusted is None else trusted, transport)
        client = TestClient(app, base_url=BASE)
        apps.append(app)
        clients.append(client)
        return Cds(app, client, keys)

    yield make
    for client in clients:
        client.close()
    for app in apps:
        app.state.engine.dispose()
