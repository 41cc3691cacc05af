"""The access matrix the security tests check (tests/app/test_sec_access_matrix.py): for every
route of the app, the one outcome allowed for each demo account and anonymous, with the request
body each route needs.

Outcomes: `ok` (2xx, or a redirect that is not to the sign-in page), `login` (401 for JSON, a
redirect to /login?next=... for pages), `403`, `404` (the same answer as for a patient that does
not exist, so ids cannot be probed), `bare-401` (CDS Hooks without a JWT), `401` (a wrong
password).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from hosentinel.store import models as m
from tests.support.seckit import (
    ACCOUNTS,
    OTHER,
    REFERABLE,
)

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


def table_counts(app: FastAPI) -> dict[str, int]:
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
