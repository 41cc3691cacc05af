"""Helpers for tests of the web app: the fixed today of the demo database, signing in as a demo
account (a TestClient carrying its CSRF token), and the database backends every app test runs on.
The fixtures built on them are in tests/conftest.py."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

TODAY = date(2026, 6, 1)
BACKENDS = ("sqlite", "postgresql")


class SignedIn:
    def __init__(self, client: TestClient, csrf: str, username: str) -> None:
        self.client = client
        self.csrf = csrf
        self.username = username

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST with the CSRF token header added (other arguments as for TestClient.post)."""
        headers: dict[str, str] = dict(kwargs.pop("headers", None) or {})
        headers.setdefault("X-CSRF-Token", self.csrf)
        response: httpx.Response = self.client.post(url, headers=headers, **kwargs)
        return response


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def sign_in(app: FastAPI, username: str, password: str = "demo-password") -> SignedIn:
    # Imported here: tests/conftest.py imports this module for every test (see make_app there).
    from fastapi.testclient import TestClient

    client = TestClient(app, base_url="http://testserver")
    response = client.post(
        "/login", data={"username": username, "password": password}, follow_redirects=True
    )
    assert response.status_code == 200, response.text[:500]
    match = CSRF.search(response.text)
    assert match, "signed-in pages carry the CSRF token in the sign-out form"
    return SignedIn(client, match.group(1), username)
