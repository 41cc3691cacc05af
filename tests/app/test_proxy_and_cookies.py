"""Behind a proxy (issue 15): session cookies are Secure whenever the base URL is https or
`--secure-cookies` is given; X-Forwarded-For is believed only from the proxies named with
`--forwarded-allow-ips`, none by default (uvicorn's default believed loopback, so rotating the
header dodged the per-client sign-in limit)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hosentinel.app.config import AppConfig
from hosentinel.app.exposure import proxy_options
from hosentinel.app.main import create_app
from hosentinel.store import models as m
from tests.support.appkit import TODAY
from tests.support.servers import serving


@pytest.mark.parametrize(
    ("base_url", "flag", "secure"),
    [
        ("http://127.0.0.1:8000", False, False),
        ("https://ho.example.org", False, True),
        ("http://10.0.0.5:8000", True, True),
    ],
)
def test_session_cookies_are_secure_with_an_https_base_url_or_the_flag(
    app_db_url: str, base_url: str, flag: bool, secure: bool
) -> None:
    app = create_app(
        AppConfig(database_url=app_db_url, today=TODAY, base_url=base_url, secure_cookies=flag)
    )
    try:
        with TestClient(app, base_url="https://testserver") as client:
            r = client.post(
                "/login",
                data={"username": "nurse", "password": "demo-password"},
                follow_redirects=False,
            )
        assert r.status_code == 303
        cookie = r.headers["set-cookie"]
        assert ("; secure" in cookie.lower()) == secure, cookie
    finally:
        app.state.engine.dispose()


def failed_sign_in_clients(app: FastAPI, **options: object) -> list[str]:
    with serving(app, **options) as port:
        httpx.post(
            f"http://127.0.0.1:{port}/login",
            data={"username": "nurse", "password": "wrong"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
    with app.state.sessionmaker() as db:
        return list(db.scalars(select(m.LoginAttempt.client)))


def test_x_forwarded_for_is_not_believed_by_default(app: FastAPI) -> None:
    assert failed_sign_in_clients(app, **proxy_options(None)) == ["127.0.0.1"]


def test_x_forwarded_for_is_believed_from_a_named_proxy(app: FastAPI) -> None:
    assert failed_sign_in_clients(app, **proxy_options("127.0.0.1")) == ["203.0.113.9"]


def test_uvicorns_own_default_believed_loopback() -> None:
    """Why the option exists: uvicorn, left to itself, trusts X-Forwarded-For from 127.0.0.1."""
    import uvicorn

    config = uvicorn.Config(app=None)  # type: ignore[arg-type]
    assert config.proxy_headers is True
    assert "127.0.0.1" in str(config.forwarded_allow_ips)
