"""Sign-in limits back off instead of locking (issue 15: five wrong passwords from anywhere
locked an account for 15 minutes, so anyone could lock out `admin`): per account and client,
per client, and per account from anywhere (capped at a minute); failed sign-ins appear in the
admin's audit view."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hosentinel.app import security
from tests.support.appkit import SignedIn

RIGHT = "demo-password"


class Clock:
    def __init__(self) -> None:
        self.at = security.now()

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(security, "now", c)
    return c


def attempt(app: FastAPI, username: str, password: str, client: str) -> int:
    with TestClient(app, client=(client, 50000)) as c:
        return c.post(
            "/login", data={"username": username, "password": password}, follow_redirects=False
        ).status_code


def test_the_wait_grows_then_ends_it_is_no_lock(app: FastAPI, clock: Clock) -> None:
    for _ in range(5):
        assert attempt(app, "nurse", "wrong", "10.0.0.1") == 401
    assert attempt(app, "nurse", RIGHT, "10.0.0.1") == 429  # waits 5 s after the 5th failure
    clock.advance(6)
    assert attempt(app, "nurse", "wrong", "10.0.0.1") == 401  # 6th failure: 10 s now
    clock.advance(6)
    assert attempt(app, "nurse", RIGHT, "10.0.0.1") == 429
    clock.advance(5)
    assert attempt(app, "nurse", RIGHT, "10.0.0.1") == 303


def test_failures_from_elsewhere_cannot_lock_the_owner_out(app: FastAPI, clock: Clock) -> None:
    # An attacker fails 30 times for `admin`, from rotating addresses.
    for i in range(30):
        code = attempt(app, "admin", "guess", f"10.1.0.{i}")
        assert code in (401, 429)
        clock.advance(1)
    # The owner, from their own address, waits at most the account cap (60 s), not 15 minutes.
    clock.advance(60)
    assert attempt(app, "admin", RIGHT, "10.9.9.9") == 303


def test_one_client_guessing_many_accounts_is_slowed(app: FastAPI, clock: Clock) -> None:
    codes = [attempt(app, f"user{i}", "guess", "10.2.0.1") for i in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    # Another client is not affected.
    assert attempt(app, "nurse", RIGHT, "10.2.0.2") == 303


def test_backoff_figures() -> None:
    b = security.Backoff(free=5, base=5.0, cap=60.0)
    assert [b.wait(n) for n in (4, 5, 6, 7, 8, 9, 100)] == [0, 5, 10, 20, 40, 60, 60]


def test_failed_sign_ins_are_in_the_admins_audit_view(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    assert attempt(app, "nurse", "not-it", "10.3.0.1") == 401
    admin = signed_in("admin")
    page = admin.client.get("/admin/audit", params={"action": "login-failed"})
    assert page.status_code == 200
    assert "failed sign-in as &#39;nurse&#39; from 10.3.0.1" in page.text
