"""The app starts on a fresh database, signs people in and shows the worklist by attention."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.support.appkit import SignedIn


def test_health(app: FastAPI) -> None:
    assert TestClient(app).get("/healthz").json() == {"status": "ok"}


def test_pages_need_sign_in(app: FastAPI) -> None:
    response = TestClient(app).get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
    assert TestClient(app).get("/api/worklist").status_code == 401


def test_wrong_password_is_refused(app: FastAPI) -> None:
    response = TestClient(app).post("/login", data={"username": "nurse", "password": "nope"})
    assert response.status_code == 401 and "Wrong username or password" in response.text


def test_repeated_failures_are_rate_limited(app: FastAPI) -> None:
    client = TestClient(app)
    codes = [
        client.post("/login", data={"username": "nurse", "password": "x"}).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [401] * 5 and codes[5] == 429
    # Even the right password waits once the limit is reached.
    right = client.post("/login", data={"username": "nurse", "password": "demo-password"})
    assert right.status_code == 429


def test_worklist_orders_by_attention(signed_in: Callable[[str], SignedIn]) -> None:
    rows = signed_in("physiatrist").client.get("/api/worklist").json()
    assert len(rows) >= 20
    first = rows[0]
    assert first["suspicion"] in ("probable", "confirmed") or first["attention"]
    quiet = [r for r in rows if not r["attention"]]
    assert all(rows.index(r) > rows.index(first) for r in quiet)


def test_state_change_without_csrf_is_refused(signed_in: Callable[[str], SignedIn]) -> None:
    user = signed_in("nurse")
    assert user.client.post("/logout").status_code == 403
    assert user.post("/logout", follow_redirects=False).status_code == 303  # type: ignore[attr-defined]


def test_security_headers(app: FastAPI) -> None:
    response = TestClient(app).get("/login")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"


def test_filtering_by_htmx_marks_the_current_filter(signed_in: Callable[[str], SignedIn]) -> None:
    client = signed_in("physiatrist").client
    partial = client.get("/?show=suspected", headers={"HX-Request": "true"}).text
    assert "<html" not in partial
    assert 'aria-current="true" class="current">suspected</a>' in partial
    assert 'aria-current="true" class="current">all</a>' not in partial
