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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import sign_in
from fastapi import FastAPI
from seckit import (
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
from sqlalchemy import func, select

from hosentinel.store import models as m

P, T, N, L, A, F, ANON = ACCOUNTS  # physiatrist therapist nurse lead admin family anonymous
CLINICAL = (P, T, N, L, A)
EVERYONE = (*CLINICAL, F, ANON)
SIGNED_IN = (*CLINICAL, F)


@dataclass(frozen=True)
class Rule:
    """Who gets `ok`; the rest of the signed-in accounts get `refused`, anonymous gets `anon`.
    `family_own` and `family_other` are the family account's answers on a patient route for its
    own patient and for another one. On a patient route, `other` is the demo patient that plays
    the other patient, and `ok_own` the answer the `ok` accounts get on the family's own patient.
    `query` is appended to the URL ({npi}: an orthopaedic surgeon's NPI)."""

    ok: tuple[str, ...]
    refused: str = "403"
    family_own: str | None = None
    family_other: str = "404"
    anon: str = "login"
    body: Callable[[Ctx], dict[str, Any]] | None = None
    other: str = OTHER
    ok_own: str = "ok"
    query: str = ""
    # The admin's answer where it is not the usual one (patient routes: 404, see below).
    admin: str | None = None


@dataclass
class Ctx:
    csrf: str | None
    serial: Any
    npi: str = ""


def exam_json(_: Ctx) -> dict[str, Any]:
    return {"json": {"joints": [{"joint": "hip", "side": "left", "rom": {"flexion": 100}}]}}


def exam_form(ctx: Ctx) -> dict[str, Any]:
    fields = {"exam_date": "2026-06-01", "hip-left-examined": "yes", "hip-left-flexion": "100"}
    return {"data": {**fields, "csrf_token": ctx.csrf or ""}}


def note_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"note": "Right hip warm and swollen.", "csrf_token": ctx.csrf or ""}}


def reason_json(_: Ctx) -> dict[str, Any]:
    return {"json": {"reason": "patient-refuses", "comment": "matrix"}}


def reason_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"reason": "patient-refuses", "csrf_token": ctx.csrf or ""}}


def ack_json(_: Ctx) -> dict[str, Any]:
    return {"json": {"comment": "matrix"}}


def ack_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"comment": "matrix", "csrf_token": ctx.csrf or ""}}


def new_user_json(ctx: Ctx) -> dict[str, Any]:
    n = next(ctx.serial)
    return {"json": {**_new_user(n), "username": f"matrix-api-{n}"}}


def new_user_form(ctx: Ctx) -> dict[str, Any]:
    n = next(ctx.serial)
    return {"data": {**_new_user(n), "csrf_token": ctx.csrf or ""}}


def _new_user(n: int) -> dict[str, str]:
    return {
        "username": f"matrix-{n}",
        "display_name": "Matrix",
        "role": "nurse",
        "password": "a long enough password",
    }


def patch_user(_: Ctx) -> dict[str, Any]:
    return {"json": {"active": True}}


def npi_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"npi": "", "csrf_token": ctx.csrf or ""}}


def npi_json(_: Ctx) -> dict[str, Any]:
    return {"json": {"npi": None}}


def update_user_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"active": "yes", "csrf_token": ctx.csrf or ""}}


def bundle(ctx: Ctx) -> dict[str, Any]:
    pid = f"matrix-{next(ctx.serial)}"
    resource = {"resourceType": "Patient", "id": pid, "gender": "female"}
    return {
        "json": {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource}]}
    }


def referral_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"npi": ctx.npi, "zip": "60611", "csrf_token": ctx.csrf or ""}}


def break_glass_form(ctx: Ctx) -> dict[str, Any]:
    return {"data": {"reason": "covering the ward tonight", "csrf_token": ctx.csrf or ""}}


def login_form(_: Ctx) -> dict[str, Any]:
    return {"data": {"username": "nurse", "password": "not the password"}}


def feedback(_: Ctx) -> dict[str, Any]:
    return {"json": {"feedback": []}}


def hook(_: Ctx) -> dict[str, Any]:
    return {"json": {"hook": "patient-view", "hookInstance": "x", "context": {}}}


PUBLIC = Rule(ok=EVERYONE, anon="ok")
CLINICIANS = Rule(ok=CLINICAL)
ADMIN = Rule(ok=(A,))
STATS = Rule(ok=(L, A))
ALERT_ROLES = (P, N, L)
EXAM_ROLES = (P, T, N)
# Clinical patient pages: a family member gets 404 even for their own patient.
CLINICAL_PATIENT = Rule(ok=CLINICAL, family_own="404")
# Referring: only a physiatrist, and only a patient with a lesion to refer (the family's own
# patient has none: 422); other clinicians 403; a family member 404, as on any clinical page.
REFER: dict[str, Any] = {"ok": (P,), "family_own": "404", "other": REFERABLE, "ok_own": "422"}
# Reading a referral: every clinician, for the patient it belongs to; the same id under another
# patient's URL is not found.
REFERRAL = Rule(ok=CLINICAL, family_own="404", other=REFERABLE, ok_own="404")

MATRIX: dict[tuple[str, str], Rule] = {
    ("GET", "/api/openapi.json"): PUBLIC,
    ("GET", "/api/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/fhir/metadata"): PUBLIC,  # the CapabilityStatement: no patient data
    ("GET", "/fhir/.well-known/smart-configuration"): PUBLIC,
    # Open: a system client's signed assertion is the credential (test_system_clients); without
    # one, 400 unsupported_grant_type.
    ("POST", "/auth/token"): Rule(ok=(), refused="400", anon="400"),
    ("GET", "/login"): PUBLIC,
    # Open to all; a wrong password is a 401 with a message (a right one: test_sec_session).
    ("POST", "/login"): Rule(ok=(), refused="401", anon="401", body=login_form),
    ("POST", "/logout"): Rule(ok=SIGNED_IN),
    ("GET", "/logout"): Rule(ok=SIGNED_IN),
    # CDS Hooks: discovery and CORS preflight are public; a call needs the EHR's JWT, which no
    # session cookie replaces (the JWT attacks themselves are in tests/cdshooks/test_security.py).
    ("GET", "/cds-services"): PUBLIC,
    # SMART launch: anyone may start one (the EHR signs them in); without a trusted EHR
    # configured (none here) a launch names no iss (400), a callback no launch of ours (400).
    ("GET", "/smart/launch"): Rule(ok=(), refused="400", anon="400"),
    ("GET", "/smart/callback"): Rule(ok=(), refused="400", anon="400"),
    ("OPTIONS", "/cds-services"): PUBLIC,
    ("OPTIONS", "/cds-services/{service_id}"): PUBLIC,
    ("OPTIONS", "/cds-services/{service_id}/feedback"): PUBLIC,
    ("POST", "/cds-services/{service_id}"): Rule(
        ok=(), refused="bare-401", anon="bare-401", body=hook
    ),
    ("POST", "/cds-services/{service_id}/feedback"): Rule(
        ok=(), refused="bare-401", anon="bare-401", body=feedback
    ),
    # Each role's home: the worklist, or (303) the family account's own family view.
    ("GET", "/"): Rule(ok=SIGNED_IN),
    ("GET", "/api/worklist"): CLINICIANS,
    ("POST", "/fhir"): Rule(ok=(P, N, A), body=bundle),
    # Refused to a family member before the patient is looked up: the same 403 for any id.
    ("GET", "/fhir/Patient/{patient_id}/$ho-assessment"): Rule(
        ok=CLINICAL, family_own="403", family_other="403"
    ),
    ("GET", "/patients/{patient_id}"): CLINICAL_PATIENT,
    ("GET", "/api/patients"): Rule(ok=CLINICAL, refused="404"),
    ("GET", "/api/patients/{patient_id}"): CLINICAL_PATIENT,
    ("GET", "/api/patients/{patient_id}/assessment"): CLINICAL_PATIENT,
    ("GET", "/api/patients/{patient_id}/observations"): CLINICAL_PATIENT,
    ("GET", "/patients/{patient_id}/exam"): Rule(ok=EXAM_ROLES, family_own="404"),
    ("POST", "/patients/{patient_id}/exam"): Rule(ok=EXAM_ROLES, family_own="404", body=exam_form),
    ("POST", "/patients/{patient_id}/exam/read-note"): Rule(
        ok=EXAM_ROLES, family_own="404", body=note_form
    ),
    ("POST", "/api/patients/{patient_id}/exams"): Rule(
        ok=EXAM_ROLES, family_own="404", body=exam_json
    ),
    ("GET", "/patients/{patient_id}/alerts"): Rule(ok=CLINICAL, family_own="403"),
    ("GET", "/api/patients/{patient_id}/alerts"): Rule(ok=CLINICAL, family_own="403"),
    ("POST", "/patients/{patient_id}/alerts/{key}/acknowledge"): Rule(
        ok=ALERT_ROLES, family_own="403", body=ack_form
    ),
    ("POST", "/patients/{patient_id}/alerts/acknowledge-all"): Rule(
        ok=ALERT_ROLES, family_own="403", body=ack_form
    ),
    ("POST", "/patients/{patient_id}/alerts/{key}/override"): Rule(
        ok=ALERT_ROLES, family_own="403", body=reason_form
    ),
    ("POST", "/api/patients/{patient_id}/alerts/{key}/acknowledge"): Rule(
        ok=ALERT_ROLES, family_own="403", body=ack_json
    ),
    ("POST", "/api/patients/{patient_id}/alerts/{key}/override"): Rule(
        ok=ALERT_ROLES, family_own="403", body=reason_json
    ),
    ("GET", "/alerts/stats"): STATS,
    ("GET", "/api/alerts/stats"): STATS,
    ("GET", "/api/alerts/override-reasons"): CLINICIANS,
    # The family view: every clinician, and the family member for their own patient only.
    ("GET", "/patients/{patient_id}/family"): Rule(ok=CLINICAL, family_own="ok"),
    ("GET", "/patients/{patient_id}/family/handout.pdf"): Rule(ok=CLINICAL, family_own="ok"),
    ("GET", "/api/patients/{patient_id}/education"): Rule(ok=CLINICAL, family_own="ok"),
    ("GET", "/knowledge"): CLINICIANS,
    ("GET", "/knowledge/interventions"): CLINICIANS,
    ("GET", "/knowledge/citations"): CLINICIANS,
    ("GET", "/api/knowledge"): CLINICIANS,
    ("GET", "/admin/users"): ADMIN,
    ("POST", "/admin/users"): Rule(ok=(A,), body=new_user_form),
    ("POST", "/admin/users/{user_id}"): Rule(ok=(A,), body=update_user_form),
    ("GET", "/admin/audit"): ADMIN,
    ("GET", "/admin/audit.csv"): ADMIN,
    ("GET", "/api/admin/users"): ADMIN,
    ("POST", "/api/admin/users"): Rule(ok=(A,), body=new_user_json),
    ("PATCH", "/api/admin/users/{user_id}"): Rule(ok=(A,), body=patch_user),
    ("POST", "/admin/users/{user_id}/npi"): Rule(ok=(A,), body=npi_form),
    ("PUT", "/api/admin/users/{user_id}/npi"): Rule(ok=(A,), body=npi_json),
    ("GET", "/api/admin/audit"): ADMIN,
    # The physician directory: clinicians search any specialty; a family member searches
    # physiatrists only (from the family view, or the API with specialty=physiatry: see
    # test_family_searches_physiatrists_only), so surgeons are a 403 and the page a 404.
    ("GET", "/directory"): Rule(ok=CLINICAL, refused="404"),
    ("GET", "/api/directory/search"): Rule(
        ok=CLINICAL, query="?specialty=orthopaedic-surgery&zip=60611"
    ),
    ("GET", "/patients/{patient_id}/family/physiatrists"): Rule(
        ok=CLINICAL, family_own="ok", query="?zip=60611"
    ),
    ("GET", "/patients/{patient_id}/referral"): Rule(**REFER, query="?zip=60611"),
    ("GET", "/patients/{patient_id}/referral/confirm"): Rule(**REFER, query="?npi={npi}&zip=60611"),
    ("POST", "/patients/{patient_id}/referrals"): Rule(**REFER, body=referral_form),
    ("GET", "/patients/{patient_id}/referrals/{referral_id}"): REFERRAL,
    ("GET", "/patients/{patient_id}/referrals/{referral_id}/letter.pdf"): REFERRAL,
    ("GET", "/api/patients/{patient_id}/referrals"): Rule(
        ok=CLINICAL, family_own="404", other=REFERABLE
    ),
    # Not under a patient: every clinician; a family member the same 404 as a missing one.
    ("GET", "/fhir/ServiceRequest/{referral_id}"): Rule(ok=CLINICAL, refused="404", admin="404"),
    # Break-glass: clinicians and unit leads only (their own unit's patients need none, but it
    # is allowed and audited); admins and family members 403 whatever the id.
    ("POST", "/patients/{patient_id}/break-glass"): Rule(
        ok=(P, T, N, L), family_other="403", body=break_glass_form, admin="403"
    ),
}

# Admins manage users and read the audit log: every patient's record is a 404 to them, the same
# answer as for a patient that does not exist.
ADMIN_NOT_FOUND = "404"

TABLES = (
    m.User,
    m.Patient,
    m.Observation,
    m.AlertState,
    m.Condition,
    m.WebSession,
    m.Referral,
)


def _counts(app: FastAPI) -> dict[str, int]:
    with app.state.sessionmaker() as session:
        return {
            t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
            for t in TABLES
        }


def outcome(response: Any) -> str:
    status = response.status_code
    location = response.headers.get("location", "")
    if status in (302, 303, 307) and location.startswith("/login?next="):
        return "login"
    if status == 401 and response.content == b"":
        return "bare-401"
    if status == 401 and "json" in response.headers.get("content-type", ""):
        return "login"
    if status < 400:
        return "ok"
    return str(status)


def expected(rule: Rule, name: str, patient: str | None, own: str) -> str:
    if name == ANON:
        return rule.anon
    if name == A and rule.admin is not None:
        return rule.admin
    if name == A and patient is not None:
        return ADMIN_NOT_FOUND
    if name in rule.ok:
        return rule.ok_own if patient is not None and patient == own else "ok"
    if name == F and patient is not None:
        return (rule.family_own or rule.refused) if patient == own else rule.family_other
    return rule.refused


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
            before = _counts(app) if want != "ok" else None
            kwargs = rule.body(ctx) if rule.body else {}
            response = acct.client.request(
                endpoint.method, url, headers=acct.headers, follow_redirects=False, **kwargs
            )
            got = outcome(response)
            cells += 1
            if got != want:
                mismatches.append(f"{endpoint.method} {url}: want {want}, got {got}")
            elif before is not None:
                if _counts(app) != before:
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
