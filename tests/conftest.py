"""Fixtures for the web app, shared by every folder whose tests need it (tests/app, tests/store,
tests/cdshooks, tests/screening): an app on a fresh database with the demo data, and signed-in
clients.

`app_db_url` yields the database URL, once per backend: every test that uses it (through `app`)
runs on SQLite and on a real PostgreSQL server that the test run starts itself (see
`hosentinel.testing.postgres`).
Tests use `signed_in(role)` to get a client with its CSRF token; the helpers they import are in
tests/support/appkit.py.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.appkit import BACKENDS, TODAY, SignedIn, sign_in

if TYPE_CHECKING:
    from fastapi import FastAPI

    from hosentinel.testing.postgres import PostgresServer


def make_app(database_url: str, *, today: date = TODAY, demo: bool = False) -> FastAPI:
    # The web app is imported here, not at the top: this conftest is loaded for every test, and
    # the pure-core tests (and each mutation run over them) should not pay for the web stack.
    from hosentinel.app.config import AppConfig
    from hosentinel.app.main import create_app

    return create_app(AppConfig(database_url=database_url, demo=demo, today=today))


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and loaded with the demo data once per test run; each test copies it
    (loading 27 patients and hashing 6 passwords per test would make the suite slow)."""
    path = tmp_path_factory.mktemp("template") / "demo.db"
    make_app(f"sqlite:///{path}", demo=True).state.engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A private PostgreSQL server for the whole run (initdb + pg_ctl on a temporary directory
    and a free port), started only when a PostgreSQL test runs, stopped at the end."""
    from hosentinel.testing.postgres import PostgresServer

    server = PostgresServer.start()
    yield server
    server.stop()


PG_TEMPLATE = "demo_template"


@pytest.fixture(scope="session")
def demo_pg_template(postgres_server: PostgresServer) -> str:
    """The PostgreSQL twin of `demo_sqlite_template`: migrated and loaded once; each test gets a
    copy with CREATE DATABASE ... TEMPLATE (no connection may stay open on the template)."""
    url = postgres_server.create_database(PG_TEMPLATE)
    make_app(url, demo=True).state.engine.dispose()
    return PG_TEMPLATE


_pg_databases = itertools.count(1)


@pytest.fixture(params=BACKENDS)
def app_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the demo database on each backend in turn."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("demo_sqlite_template")
        target = tmp_path / "app.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    pg_template: str = request.getfixturevalue("demo_pg_template")
    name = f"t_{next(_pg_databases)}"
    url = server.create_database(name, template=pg_template)
    yield url
    server.drop_database(name)


@pytest.fixture
def app(app_db_url: str) -> Iterator[FastAPI]:
    application = make_app(app_db_url)
    yield application
    application.state.engine.dispose()


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


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The figures the security and fuzzing tests measured in this run (tests/support/seckit.py)."""
    import sys

    seckit = sys.modules.get("tests.support.seckit")
    figures = getattr(seckit, "FIGURES", None)
    if figures:
        terminalreporter.section("security and fuzzing figures")
        for name, value in sorted(figures.items()):
            terminalreporter.write_line(f"{name}: {value}")
