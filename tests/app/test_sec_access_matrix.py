"""The access matrix: every route of the app (read from its routing table, so a new route without
an entry here fails) against every demo account and anonymous, on the family account's own
patient and on another patient (for the referral routes: on a patient with a lesion to refer, and
on the family's own patient, who has none and under whose URL the other's referral is not found).
Each cell names the one outcome allowed; a refused request writes
nothing.

Outcomes: `ok` (2xx, or a redirect that is not to the sign-in page), `login` (401 for JSON, a
redirect to /login?next=... for pages), `403`, `404` (the same answer as for a patient that does
not exist, so ids cannot be probed), `bare-401` (CDS Hooks without a JWT), `401` (a wrong
password).
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.access_matrix import (
    MATRIX,
    A,
    Ctx,
    F,
    L,
    N,
    P,
    expected,
    outcome,
    table_counts,
)
from tests.support.appkit import sign_in
from tests.support.seckit import (
    ACCOUNTS,
    OTHER,
    OWN,
    REFERABLE,
    Account,
    account,
    endpoints,
    make_referral,
    record,
    surgeon_npi,
)


def test_every_route_has_a_row(app: FastAPI) -> None:
    routes = {(e.method, e.path) for e in endpoints(app)}
    assert routes - MATRIX.keys() == set(), "new routes need a row in MATRIX"
    assert MATRIX.keys() - routes == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize("name", ACCOUNTS)
def test_access_matrix(app: FastAPI, demo_patient_ids: dict[str, str], name: str) -> None:
    own = demo_patient_ids[OWN]
    referral_id = make_referral(app, demo_patient_ids[REFERABLE])
    acct: Account = account(app, name)
    with app.state.sessionmaker() as session:
        target = m.User(
            username=f"target-{name}",
            display_name="Target",
            role="nurse",
            password_hash="x",
            active=True,
            created_at=datetime.now(UTC),
        )
        session.add(target)
        session.commit()
        target_id = target.id
    ctx = Ctx(acct.csrf, itertools.count(1), surgeon_npi(app))
    # Signing out ends the session: last.
    routes = sorted(endpoints(app), key=lambda e: (e.method, e.path) == ("POST", "/logout"))
    mismatches: list[str] = []
    cells = 0
    for endpoint in routes:
        rule = MATRIX[(endpoint.method, endpoint.path)]
        patients: list[str | None] = (
            [own, demo_patient_ids[rule.other]] if "{patient_id}" in endpoint.path else [None]
        )
        for patient in patients:
            url = (
                endpoint.path.replace("{patient_id}", patient or "")
                .replace("{key}", "rec:rule-out-dvt")
                .replace("{user_id}", str(target_id))
                .replace("{service_id}", "ho-sentinel-patient-view")
                .replace("{referral_id}", str(referral_id))
            ) + rule.query.replace("{npi}", ctx.npi)
            want = expected(rule, name, patient, own)
            before = table_counts(app) if want != "ok" else None
            kwargs = rule.body(ctx) if rule.body else {}
            response = acct.client.request(
                endpoint.method, url, headers=acct.headers, follow_redirects=False, **kwargs
            )
            got = outcome(response)
            cells += 1
            if got != want:
                mismatches.append(f"{endpoint.method} {url}: want {want}, got {got}")
            elif before is not None:
                if table_counts(app) != before:
                    mismatches.append(f"{endpoint.method} {url}: refused ({got}) but wrote")
                record("access-matrix requests refused", 1)
            assert response.status_code < 500, f"{endpoint.method} {url}: {response.status_code}"
    record("access-matrix cells checked", cells)
    assert not mismatches, "\n".join(mismatches)


def test_family_searches_physiatrists_only(app: FastAPI, demo_patient_ids: dict[str, str]) -> None:
    """Physiatrists by group or by their NUCC code; any other specialty a 403, and the family
    page's specialty cannot be changed from its query string."""
    family = account(app, F)
    search = "/api/directory/search?zip=60611&specialty="
    assert family.client.get(search + "physiatry").status_code == 200
    assert family.client.get(search + "208100000X").status_code == 200
    for other in ("orthopaedic-surgery", "207X00000X", "207XS0117X"):
        assert family.client.get(search + other).status_code == 403, other
        record("access-matrix requests refused")
    own = demo_patient_ids[OWN]
    page = family.client.get(
        f"/patients/{own}/family/physiatrists?zip=60611&radius=25&specialty=orthopaedic-surgery"
    )
    assert page.status_code == 200 and "Physical Medicine &amp; Rehabilitation" in page.text
    assert "Orthopaedic Surgery" not in page.text


# --- the unit dimension, and break-glass ------------------------------------------------------


def _unit_clinician(app: FastAPI, username: str, role: str, unit: str) -> Any:
    from hosentinel.app.security import hash_password

    with app.state.sessionmaker.begin() as session:
        session.add(
            m.User(
                username=username,
                display_name=username,
                role=role,
                unit=unit,
                password_hash=hash_password("another-unit-pass"),
                created_at=datetime.now(UTC),
            )
        )
    return sign_in(app, username, "another-unit-pass")


@pytest.mark.parametrize("role", ["physiatrist", "nurse", "unit-lead"])
def test_a_clinician_of_another_unit_gets_404_on_every_patient_route(
    app: FastAPI, demo_patient_ids: dict[str, str], role: str
) -> None:
    """Every route under a patient that the same role in the patient's unit may use."""
    outsider = _unit_clinician(app, f"ward9-{role}", role, "Ward 9")
    same_role = {"physiatrist": P, "nurse": N, "unit-lead": L}[role]
    referral_id = make_referral(app, demo_patient_ids[REFERABLE])
    ctx = Ctx(outsider.csrf, itertools.count(1), surgeon_npi(app))
    checked = 0
    mismatches: list[str] = []
    for endpoint in endpoints(app):
        rule = MATRIX[(endpoint.method, endpoint.path)]
        if "{patient_id}" not in endpoint.path or same_role not in rule.ok:
            continue
        if endpoint.path.endswith("/break-glass"):
            continue
        patient = demo_patient_ids[rule.other]
        url = (
            endpoint.path.replace("{patient_id}", patient)
            .replace("{key}", "rec:rule-out-dvt")
            .replace("{referral_id}", str(referral_id))
        ) + rule.query.replace("{npi}", ctx.npi)
        kwargs = rule.body(ctx) if rule.body else {}
        response = outsider.client.request(
            endpoint.method,
            url,
            headers={"X-CSRF-Token": outsider.csrf},
            follow_redirects=False,
            **kwargs,
        )
        checked += 1
        if response.status_code != 404:
            mismatches.append(f"{endpoint.method} {url}: {response.status_code}")
    assert checked >= 15
    assert not mismatches, "\n".join(mismatches)
    # Nor do they see the unit's patients listed.
    assert outsider.client.get("/api/patients").json() == []
    assert outsider.client.get("/api/worklist").json() == []
    fhir = outsider.client.get(f"/fhir/ServiceRequest/{referral_id}")
    assert fhir.status_code == 404
    record("access-matrix requests refused", checked)


def test_break_glass_opens_one_patient_for_a_while_and_is_audited(
    app: FastAPI, demo_patient_ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outsider = _unit_clinician(app, "ward9-doc", "physiatrist", "Ward 9")
    patient, other = demo_patient_ids[OTHER], demo_patient_ids[OWN]
    headers = {"X-CSRF-Token": outsider.csrf}
    assert outsider.client.get(f"/patients/{patient}").status_code == 404
    short = outsider.client.post(
        f"/patients/{patient}/break-glass", data={"reason": "why"}, headers=headers
    )
    assert short.status_code == 422  # a reason is required
    opened = outsider.client.post(
        f"/patients/{patient}/break-glass",
        data={"reason": "covering the ward tonight"},
        headers=headers,
        follow_redirects=False,
    )
    assert opened.status_code == 303
    assert outsider.client.get(f"/patients/{patient}").status_code == 200
    assert outsider.client.get(f"/api/patients/{patient}").status_code == 200
    assert outsider.client.get(f"/patients/{other}").status_code == 404  # that patient only
    missing = outsider.client.post(
        "/patients/no-such-patient/break-glass",
        data={"reason": "covering the ward tonight"},
        headers=headers,
    )
    assert missing.status_code == 404
    with app.state.sessionmaker() as session:
        entries = session.scalars(
            select(m.AuditEntry.what).where(
                m.AuditEntry.username == "ward9-doc", m.AuditEntry.action == "break-glass"
            )
        ).all()
    assert entries == ["break-glass access: covering the ward tonight"]
    # The grant runs out.
    from datetime import timedelta

    from hosentinel.app import deps

    later = datetime.now(UTC) + timedelta(hours=5)
    monkeypatch.setattr(deps, "now", lambda: later)
    assert outsider.client.get(f"/patients/{patient}").status_code == 404


def test_admins_and_family_cannot_break_glass(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    for name in (A, F):
        acct = account(app, name)
        r = acct.client.post(
            f"/patients/{demo_patient_ids[OTHER]}/break-glass",
            data={"reason": "just looking around here"},
            headers=acct.headers,
        )
        assert r.status_code == 403, name
