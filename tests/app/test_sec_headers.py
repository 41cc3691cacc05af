"""Security headers on every response: each GET route of the app (read from the routing table) as
a clinician, a family member and anonymous, the static files, the JSON API, CDS Hooks, and the
error answers (404, 405, 422, a refused CSRF, a redirect to sign in).

Every response: a CSP allowing scripts only from this site and no framing (`frame-ancestors
'none'`, `object-src 'none'`, no 'unsafe-inline' or 'unsafe-eval' for scripts), `nosniff`,
`X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`; `Cache-Control: no-store` on everything
but the static files.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from tests.support.seckit import OTHER, OWN, REFERABLE, account, endpoints, make_referral, record

PV = "ho-sentinel-patient-view"


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in csp.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


def check_headers(response: Any, where: str, static: bool = False) -> list[str]:
    h = response.headers
    problems: list[str] = []
    csp = _directives(h.get("content-security-policy", ""))
    wanted = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "object-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    }
    for directive, values in wanted.items():
        if csp.get(directive) != values:
            problems.append(f"{where}: CSP {directive} is {csp.get(directive)}, want {values}")
    if h.get("x-content-type-options") != "nosniff":
        problems.append(f"{where}: no nosniff")
    if h.get("x-frame-options") != "DENY":
        problems.append(f"{where}: X-Frame-Options {h.get('x-frame-options')}")
    if h.get("referrer-policy") != "no-referrer":
        problems.append(f"{where}: Referrer-Policy {h.get('referrer-policy')}")
    if not static and h.get("cache-control") != "no-store":
        problems.append(f"{where}: Cache-Control {h.get('cache-control')}")
    return problems


@pytest.mark.parametrize("name", ["admin", "family", "anonymous"])
def test_every_get_route_sends_the_security_headers(
    app: FastAPI, demo_patient_ids: dict[str, str], name: str
) -> None:
    # A real referral, so that its page, letter PDF and ServiceRequest are answered (to the admin)
    # and not only refused.
    referral_id = make_referral(app, demo_patient_ids[REFERABLE])
    acct = account(app, name)
    problems: list[str] = []
    checked = 0
    for endpoint in endpoints(app):
        if endpoint.method != "GET":
            continue
        patients = [OWN, OTHER, REFERABLE] if "referral" in endpoint.path else [OWN, OTHER]
        for patient in (demo_patient_ids[p] for p in patients):
            url = endpoint.path.replace("{patient_id}", patient).replace(
                "{referral_id}", str(referral_id)
            )
            response = acct.client.get(url, follow_redirects=False)
            problems.extend(check_headers(response, f"{name} GET {url} ({response.status_code})"))
            checked += 1
            if "{patient_id}" not in endpoint.path:
                break
    record("responses checked for security headers", checked)
    assert not problems, "\n".join(problems)


def test_static_json_cds_and_error_responses_send_them_too(app: FastAPI) -> None:
    doctor = account(app, "physiatrist")
    anonymous = account(app, "anonymous")
    client = doctor.client
    responses = {
        "static css": (client.get("/static/app.css"), True),
        "static js": (client.get("/static/htmx.min.js"), True),
        "missing static": (client.get("/static/nope.js"), True),
        "404 route": (client.get("/no/such/page"), False),
        "404 api": (client.get("/api/no-such"), False),
        "405": (client.put("/api/worklist", headers=doctor.headers), False),
        "422": (client.post("/api/admin/users", json={}, headers=doctor.headers), False),
        "403 csrf": (client.post("/logout"), False),
        "json": (client.get("/api/worklist"), False),
        "sign-in redirect": (anonymous.client.get("/", follow_redirects=False), False),
        "cds discovery": (anonymous.client.get("/cds-services"), False),
        "cds 401": (anonymous.client.post(f"/cds-services/{PV}", json={}), False),
        "cds preflight": (
            anonymous.client.options(
                "/cds-services",
                headers={"Origin": "https://ehr.example", "Access-Control-Request-Method": "GET"},
            ),
            False,
        ),
    }
    problems: list[str] = []
    for where, (response, static) in responses.items():
        problems.extend(check_headers(response, f"{where} ({response.status_code})", static))
    assert responses["static css"][0].status_code == 200
    assert responses["json"][0].headers["content-type"].startswith("application/json")
    record("responses checked for security headers", len(responses))
    assert not problems, "\n".join(problems)
