"""Session fixation and CSRF.

A session token planted before sign-in is never the one after it, and gains nothing; signing out
ends the session on the server. Every state-changing route (read from the routing table) refuses
a request without a CSRF token, with a wrong one, or with another session's, and writes nothing;
the same request with the right token goes through (so the refusal is the token's doing).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from hosentinel.app.config import AppConfig
from hosentinel.app.main import create_app
from hosentinel.app.security import SESSION_COOKIE
from hosentinel.store import models as m
from tests.support.access_matrix import MATRIX, Ctx, table_counts
from tests.support.seckit import OTHER, REFERABLE, account, endpoints, record, surgeon_npi

SAFE = {"GET", "HEAD", "OPTIONS"}
# Not cookie-authenticated: sign-in itself, the system clients' token endpoint (a signed client
# assertion), and CDS Hooks (a signed JWT per call).
NO_CSRF = {("POST", "/login"), ("POST", "/auth/token")}


def _session_cookie(response: Any) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        name, _, rest = header.partition("=")
        if name == SESSION_COOKIE:
            return rest.split(";", 1)[0]
    return None


def _login(client: TestClient, username: str) -> Any:
    return client.post(
        "/login",
        data={"username": username, "password": "demo-password"},
        follow_redirects=False,
    )


def test_a_planted_session_token_is_replaced_at_sign_in(app: FastAPI) -> None:
    # The attacker's own valid session (a family account) and a made-up token, each planted in
    # the victim's browser before the victim signs in.
    attacker = TestClient(app)
    planted_valid = _session_cookie(_login(attacker, "family"))
    assert planted_valid
    for planted in (planted_valid, "attacker-chosen-token"):
        victim = TestClient(app)
        victim.cookies.set(SESSION_COOKIE, planted)
        response = _login(victim, "physiatrist")
        assert response.status_code == 303
        issued = _session_cookie(response)
        assert issued and issued != planted
        # The planted token did not become the physiatrist's session.
        probe = TestClient(app)
        probe.cookies.set(SESSION_COOKIE, planted)
        assert probe.get("/api/worklist").status_code in (401, 403)
        record("attacks refused: session fixation")


def test_session_cookie_flags_and_sign_out_ends_the_session(app: FastAPI) -> None:
    client = TestClient(app)
    response = _login(client, "nurse")
    header = next(h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h)
    assert "HttpOnly" in header and "SameSite=lax" in header.replace("Lax", "lax")
    token = _session_cookie(response)
    assert token
    signed = account(app, "nurse")
    assert signed.client.get("/api/worklist").status_code == 200
    old = signed.client.cookies.get(SESSION_COOKIE)
    out = signed.client.post("/logout", headers=signed.headers, follow_redirects=False)
    assert out.status_code == 303
    replay = TestClient(app)
    replay.cookies.set(SESSION_COOKIE, old or "")
    assert replay.get("/api/worklist").status_code == 401
    record("attacks refused: session replay after sign-out")


def test_cookies_are_secure_when_configured(app_db_url: str) -> None:
    secure = create_app(AppConfig(database_url=app_db_url, secure_cookies=True))
    try:
        response = _login(TestClient(secure, base_url="https://testserver"), "nurse")
        header = next(h for h in response.headers.get_list("set-cookie") if SESSION_COOKIE in h)
        assert "Secure" in header
    finally:
        secure.state.engine.dispose()


def _state_changing(app: FastAPI) -> list[tuple[str, str]]:
    return [
        (e.method, e.path)
        for e in endpoints(app)
        if e.method not in SAFE
        and (e.method, e.path) not in NO_CSRF
        and not e.path.startswith("/cds-services")
    ]


@pytest.mark.parametrize("mode", ["none", "wrong", "other-session", "right"])
def test_every_state_change_needs_the_sessions_csrf_token(
    app: FastAPI, demo_patient_ids: dict[str, str], mode: str
) -> None:
    other_session = account(app, "physiatrist").csrf
    with app.state.sessionmaker() as session:
        target = session.scalar(select(m.User.id).where(m.User.username == "therapist"))
    npi = surgeon_npi(app)
    routes = _state_changing(app)
    assert len(routes) >= 10, routes
    # Signing out ends the session: last.
    routes.sort(key=lambda r: r == ("POST", "/logout"))
    problems: list[str] = []
    accounts = {name: account(app, name) for name in ("admin", "physiatrist")}
    for method, path in routes:
        acct = accounts["admin" if "/admin/" in path else "physiatrist"]
        token = {
            "none": None,
            "wrong": "x" * 43,
            "other-session": other_session,
            "right": acct.csrf,
        }[mode]
        rule = MATRIX[(method, path)]
        kwargs = rule.body(Ctx(token, itertools.count(100), npi)) if rule.body else {}
        if token is None:
            kwargs.get("data", {}).pop("csrf_token", None)
        # A referral needs a patient with a lesion to refer (OTHER has none: a 422).
        patient = demo_patient_ids[REFERABLE if "/referrals" in path else OTHER]
        url = (
            path.replace("{patient_id}", patient)
            .replace("{key}", "rec:rule-out-dvt")
            .replace("{user_id}", str(target))
        )
        # Forms carry the token in their csrf_token field; JSON and bodiless posts in the header.
        headers = {"X-CSRF-Token": token} if token and "data" not in kwargs else {}
        before = table_counts(app)
        response = acct.client.request(
            method, url, headers=headers, follow_redirects=False, **kwargs
        )
        if mode == "right":
            if response.status_code >= 400:
                problems.append(f"{method} {path} with the right token: {response.status_code}")
            continue
        if response.status_code != 403:
            problems.append(f"{method} {path} ({mode}): {response.status_code}, not 403")
        if table_counts(app) != before:
            problems.append(f"{method} {path} ({mode}): refused but wrote")
        record("attacks refused: CSRF")
    assert not problems, "\n".join(problems)
