"""Starting a real deployment (issue 15): `hosentinel user create` makes accounts from the
command line (the first admin of an empty database, or any later one); `--demo` refuses a
database holding non-demo data; serving beyond loopback without https warns; the SQLite file is
created readable by its owner only. On SQLite and PostgreSQL where a database is involved."""

from __future__ import annotations

import itertools
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from hosentinel.app.config import AppConfig
from hosentinel.app.demo import DemoRefused
from hosentinel.app.exposure import exposure_warning
from hosentinel.app.main import create_app
from hosentinel.cli import EXIT_BAD_INPUT, app
from hosentinel.store import models as m
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.testing.postgres import PostgresServer
from tests.support.appkit import TODAY, sign_in

PASSWORD = "a-long-enough-password"
_empty = itertools.count(1)


@pytest.fixture(params=("sqlite", "postgresql"))
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"empty_{next(_empty)}"
    yield server.create_database(name)
    server.drop_database(name)


def create(url: str, *args: str, password: str = PASSWORD) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["user", "create", *args, "--database", url, "--password-stdin"], input=password + "\n"
    )
    return result.exit_code, result.output


def users(url: str) -> dict[str, tuple[str, str | None]]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as db:
            return {u.username: (u.role, u.unit) for u in db.scalars(select(m.User))}
    finally:
        engine.dispose()


def test_the_first_admin_of_an_empty_database_then_a_clinician_who_can_sign_in(
    empty_db_url: str,
) -> None:
    code, out = create(empty_db_url, "root", "--role", "admin")
    assert code == 0, out
    code, out = create(empty_db_url, "carol", "--role", "physiatrist", "--unit", "Ward 3")
    assert code == 0, out
    assert "created user carol (physiatrist in unit Ward 3)" in out
    assert users(empty_db_url) == {"root": ("admin", None), "carol": ("physiatrist", "Ward 3")}
    application = create_app(AppConfig(database_url=empty_db_url, today=TODAY))
    try:
        client = sign_in(application, "carol", PASSWORD)
        assert client.client.get("/").status_code == 200
        client.client.close()
    finally:
        application.state.engine.dispose()


@pytest.mark.parametrize(
    ("args", "password", "says"),
    [
        (("dora", "--role", "wizard"), PASSWORD, "unknown role 'wizard'"),
        (("dora", "--role", "nurse"), "short", "at least 12 characters"),
        (("dora", "--role", "admin", "--unit", "Ward 3"), PASSWORD, "belongs to no unit"),
        (("dora", "--role", "family"), PASSWORD, "an admin creates them"),
        (("nurse", "--role", "nurse"), PASSWORD, "already exists"),
    ],
)
def test_refusals_are_one_line_and_change_nothing(
    app_db_url: str, args: tuple[str, ...], password: str, says: str
) -> None:
    before = users(app_db_url)
    code, out = create(app_db_url, *args, password=password)
    assert code == EXIT_BAD_INPUT
    assert says in out and out.count("\n") == 1
    assert users(app_db_url) == before


def test_the_password_is_never_an_argument(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["user", "create", "x", "--role", "admin", "--database", f"sqlite:///{tmp_path}/a.db"]
    )
    assert result.exit_code == EXIT_BAD_INPUT
    assert "--password-stdin" in result.output


def test_demo_refuses_a_database_with_a_real_account(app_db_url: str) -> None:
    code, out = create(app_db_url, "realdoc", "--role", "physiatrist")
    assert code == 0, out
    with pytest.raises(DemoRefused, match="1 account"):
        create_app(AppConfig(database_url=app_db_url, demo=True, today=TODAY))
    assert "realdoc" in users(app_db_url)  # nothing changed


def test_demo_reloads_a_demo_database(app_db_url: str) -> None:
    create_app(AppConfig(database_url=app_db_url, demo=True, today=TODAY)).state.engine.dispose()
    assert users(app_db_url)["nurse"] == ("nurse", "Rehab unit")


def test_serve_demo_refusal_is_one_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'real.db'}"
    assert create(url, "root", "--role", "admin")[0] == 0
    result = CliRunner().invoke(app, ["serve", "--database", url, "--demo", "--port", "1"])
    assert result.exit_code == EXIT_BAD_INPUT
    assert result.output.count("\n") == 1 and "--demo refused" in result.output


@pytest.mark.parametrize(
    ("host", "base_url", "warns"),
    [
        ("127.0.0.1", "http://127.0.0.1:8000", False),
        ("::1", "http://[::1]:8000", False),
        ("localhost", "http://localhost:8000", False),
        ("0.0.0.0", "http://0.0.0.0:8000", True),
        ("10.1.2.3", "http://10.1.2.3:8000", True),
        ("0.0.0.0", "https://ho.example.org", False),
    ],
)
def test_a_warning_when_serving_beyond_loopback_without_https(
    host: str, base_url: str, warns: bool
) -> None:
    assert (exposure_warning(host, base_url) is not None) == warns


def test_the_sqlite_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        application = create_app(AppConfig(database_url=f"sqlite:///{tmp_path / 'p.db'}"))
        application.state.engine.dispose()
    finally:
        os.umask(old)
    for path in tmp_path.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path.name


def test_an_admin_gives_clinicians_a_unit_and_changes_it(
    app_db_url: str,
) -> None:
    application = create_app(AppConfig(database_url=app_db_url, today=TODAY))
    try:
        admin = sign_in(application, "admin")
        made = admin.client.post(
            "/api/admin/users",
            json={
                "username": "ward9doc",
                "display_name": "Ward 9 Doctor",
                "role": "physiatrist",
                "password": PASSWORD,
                "unit": "Ward 9",
            },
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert made.status_code == 201, made.text
        assert made.json()["unit"] == "Ward 9"
        doc = sign_in(application, "ward9doc", PASSWORD)
        assert doc.client.get("/api/patients").json() == []
        moved = admin.client.patch(
            f"/api/admin/users/{made.json()['id']}",
            json={"unit": "Rehab unit"},
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert moved.status_code == 200 and moved.json()["unit"] == "Rehab unit"
        doc = sign_in(application, "ward9doc", PASSWORD)  # a unit change ends sessions
        assert len(doc.client.get("/api/patients").json()) > 20
        admin_made = admin.client.post(
            "/api/admin/users",
            json={
                "username": "admin2",
                "display_name": "Second Admin",
                "role": "admin",
                "password": PASSWORD,
                "unit": "Ward 9",
            },
            headers={"X-CSRF-Token": admin.csrf},
        )
        assert admin_made.json()["unit"] is None  # admins belong to no unit
    finally:
        application.state.engine.dispose()
