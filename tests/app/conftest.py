"""Fixtures for the web app: an app on a fresh database with the demo data, and signed-in clients.

`app_db_url` yields the database URL; the PostgreSQL variant is added by the PostgreSQL fixture
(see `pg.py`). Tests use `signed_in(role)` to get a client with its CSRF token.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app

TODAY = date(2026, 6, 1)


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and loaded with the demo data once per test run; each test copies it
    (loading 27 patients and hashing 6 passwords per test would make the suite slow)."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    create_app(
        AppConfig(database_url=f"sqlite:///{path}", demo=True, today=TODAY)
    ).state.engine.dispose()
    return path


@pytest.fixture
def app_db_url(tmp_path: Path, demo_sqlite_template: Path) -> str:
    target = tmp_path / "app.db"
    shutil.copyfile(demo_sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(app_db_url: str) -> Iterator[FastAPI]:
    application = create_app(AppConfig(database_url=app_db_url, today=TODAY))
    yield application
    application.state.engine.dispose()


class SignedIn:
    def __init__(self, client: TestClient, csrf: str, username: str) -> None:
        self.client = client
        self.csrf = csrf
        self.username = username

    def post(self, url: str, **kwargs: object) -> object:
        headers = dict(kwargs.pop("headers", {}) or {})  # type: ignore[call-overload]
        headers.setdefault("X-CSRF-Token", self.csrf)
        return self.client.post(url, headers=headers, **kwargs)  # type: ignore[arg-type]


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(app: FastAPI, username: str, password: str = "demo-password") -> SignedIn:
    client = TestClient(app, base_url="http://testserver")
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=True
    )
    assert response.status_code == 200, response.text[:500]
    match = CSRF.search(response.text)
    assert match, "signed-in pages carry the CSRF token in the sign-out form"
    return SignedIn(client, match.group(1), username)


@pytest.fixture
def signed_in(app: FastAPI) -> Iterator[Callable[[str], SignedIn]]:
    clients: list[SignedIn] = []

    def make(username: str) -> SignedIn:
        client = sign_in(app, username)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.client.close()


@pytest.fixture
def demo_patient_ids(app: FastAPI) -> dict[str, str]:
    """Demo catalog file -> patient id."""
    from hosentinel.demo.catalog import load_catalog

    return {e.file: e.patient.removeprefix("Patient/") for e in load_catalog()}
