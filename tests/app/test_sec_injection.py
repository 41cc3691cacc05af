"""SQL injection and stored (and reflected) XSS through every form, JSON body and search parameter
that takes text: alert comments and override reasons, user administration, sign-in, the exam form
and API, FHIR import, the worklist, audit and observation filters, the physician directory's
search (page, API and the family's physiatrist search: specialty, ZIP code, name, radius, page)
and the referral's search, confirmation and form (ZIP code, name, NPI).

Every submission gets an answer below 500; afterwards the demo users and patients are as they
were (nothing dropped, deleted or changed by a quote), and every page that shows the stored text
shows it escaped, never as markup.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.seckit import OTHER, OWN, REFERABLE, account, record, surgeon_npi

XSS = [
    '<script>alert("x1")</script>',
    '"><img src=x onerror=alert("x2")>',
    "<svg onload=alert('x3')>",
    "javascript:alert('x4')//",
]
SQLI = [
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    'x" OR 1=1 --',
    "1); DELETE FROM patients; --",
    "%' UNION SELECT password_hash FROM users --",
]
OTHER_TEXT = ["nul\x00byte", "\u202eright-to-left", "a" * 5000, "{{7*7}}{% raw %}"]
PAYLOADS = XSS + SQLI + OTHER_TEXT
# What must never reach a page unescaped.
RAW = ["<script>alert(", "<img src=x onerror", "<svg onload"]
ALERT = "rec:rule-out-dvt"


def _snapshot(app: FastAPI) -> tuple[set[tuple[str, str, bool]], set[str]]:
    with app.state.sessionmaker() as session:
        users = {(u.username, u.role, u.active) for u in session.scalars(select(m.User))}
        patients = set(session.scalars(select(m.Patient.id)))
    return users, patients


def _bundle(pid: str, text: str) -> dict[str, Any]:
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {
            "coding": [
                {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S14.111A", "display": text}
            ],
            "text": text,
        },
        "onsetDateTime": "2026-05-01",
    }
    observation = {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "subject": {"reference": f"Patient/{pid}"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6", "display": text}]},
        "effectiveDateTime": "2026-05-20",
        "valueQuantity": {"value": 300, "unit": text},
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": pid}},
            {"resource": condition},
            {"resource": observation},
        ],
    }


def test_injection_payloads_are_stored_as_text_and_rendered_escaped(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[OTHER]
    users_before, patients_before = _snapshot(app)
    doctor, admin = account(app, "physiatrist"), account(app, "admin")
    nurse, lead = account(app, "nurse"), account(app, "lead")
    anonymous, family = account(app, "anonymous"), account(app, "family")
    referable, own = demo_patient_ids[REFERABLE], demo_patient_ids[OWN]
    npi = surgeon_npi(app)
    with app.state.sessionmaker() as session:
        therapist_id = session.scalar(select(m.User.id).where(m.User.username == "therapist"))
    problems: list[str] = []
    imported: list[str] = []
    sent = 0
    referrals = 0

    def send(acct: Any, method: str, url: str, **kwargs: Any) -> int:
        nonlocal sent
        if "data" in kwargs and acct.csrf:
            kwargs["data"] = {**kwargs["data"], "csrf_token": acct.csrf}
        response = acct.client.request(
            method, url, headers=acct.headers, follow_redirects=False, **kwargs
        )
        sent += 1
        if response.status_code >= 500:
            problems.append(f"{method} {url[:80]}: {response.status_code}")
        if "text/html" in response.headers.get("content-type", ""):
            problems.extend(f"{url[:80]} echoes {raw!r} raw" for raw in RAW if raw in response.text)
        return int(response.status_code)

    for n, p in enumerate(PAYLOADS):
        q = quote(p)
        base = f"/patients/{patient}/alerts/{ALERT}"
        send(doctor, "POST", f"/api{base}/acknowledge", json={"comment": p})
        send(nurse, "POST", f"{base}/override", data={"reason": "patient-refuses", "comment": p})
        send(doctor, "POST", f"/api{base}/override", json={"reason": p, "comment": p})
        send(nurse, "POST", f"{base}/override", data={"reason": p})
        user = {"role": "nurse", "password": "a long enough password", "display_name": p}
        send(admin, "POST", "/admin/users", data={**user, "username": f"xss-form-{n}"})
        send(admin, "POST", "/api/admin/users", json={**user, "username": f"xss-api-{n}"})
        send(admin, "POST", "/admin/users", data={**user, "username": p})
        send(admin, "POST", "/api/admin/users", json={**user, "username": p, "role": p})
        send(admin, "POST", f"/admin/users/{therapist_id}", data={"role": p, "patient_id": p})
        send(admin, "PATCH", f"/api/admin/users/{therapist_id}", json={"role": p})
        send(admin, "PATCH", f"/api/admin/users/{therapist_id}", json={"password": p})
        send(anonymous, "POST", "/login", data={"username": p, "password": p, "next": p})
        exam = {"exam_date": p, "hip-left-examined": "yes", "hip-left-flexion": p}
        send(doctor, "POST", f"/patients/{patient}/exam", data=exam)
        joints = [{"joint": "hip", "side": "left", "rom": {"flexion": p}}]
        exam_json = {"exam_date": p, "joints": joints}
        send(doctor, "POST", f"/api/patients/{patient}/exams", json=exam_json)
        # PostgreSQL refuses a unit longer than its column or a NUL (a 422, nothing stored);
        # SQLite stores them.
        if send(doctor, "POST", "/fhir", json=_bundle(f"xss-{n}", p)) == 200:
            imported.append(f"xss-{n}")
        for url in (
            f"/?show={q}&unit={q}",
            f"/api/worklist?show={q}&unit={q}",
            f"/api/patients?unit={q}",
            f"/api/patients/{patient}/observations?code={q}",
            f"/admin/audit?user={q}&patient={q}&action={q}",
            f"/api/admin/audit?user={q}&patient={q}&action={q}",
            f"/admin/users?done={q}",
            f"/patients/{q}",
            f"/api/patients/{q}",
        ):
            send(admin if "admin" in url else doctor, "GET", url)
        send(anonymous, "GET", f"/login?next={q}")
        # The directory and referral searches: a bad field is a 422 naming it, shown escaped; a
        # name is matched as text.
        fields = f"zip={q}&radius={q}&name={q}&page={q}"
        for url in (
            f"/directory?specialty={q}&{fields}",
            f"/directory?specialty=orthopaedic-surgery&zip=60611&radius=300&name={q}",
            f"/api/directory/search?specialty={q}&{fields}&per_page={q}",
            f"/patients/{referable}/referral?{fields}",
            f"/patients/{referable}/referral?zip=60611&radius=300&name={q}",
            f"/patients/{referable}/referral/confirm?npi={q}&zip={q}",
            f"/patients/{referable}/referral/confirm?npi={npi}&zip={q}",
        ):
            send(doctor, "GET", url)
        send(family, "GET", f"/patients/{own}/family/physiatrists?specialty={q}&{fields}")
        send(family, "GET", f"/patients/{own}/family/physiatrists?zip=60611&name={q}")
        send(family, "GET", f"/api/directory/search?specialty=physiatry&zip=60611&name={q}")
        named = doctor.client.get(
            f"/api/directory/search?specialty=physiatry&zip=60611&radius=300&name={q}"
        )
        sent += 1
        # PostgreSQL refuses a NUL in a query parameter: a 422 with a message, as for storage.
        refused = named.status_code == 422 and "\x00" in p and named.json()["error"]
        if not refused and (named.status_code != 200 or named.json()["total"] != 0):
            problems.append(f"name {p[:40]!r}: {named.status_code}, matched {named.text[:80]}")
        send(doctor, "POST", f"/patients/{referable}/referrals", data={"npi": p, "zip": p})
        referred = {"npi": npi, "zip": p}
        if send(doctor, "POST", f"/patients/{referable}/referrals", data=referred) == 303:
            referrals += 1

    # Nothing was dropped, deleted or changed: every demo user and patient is as it was.
    users_after, patients_after = _snapshot(app)
    assert users_before <= users_after
    assert patients_before <= patients_after
    assert {u for u in users_after if u[0].startswith("xss-")}, "payload users were created"
    # A ZIP code that is not one only leaves the distance out of the letter.
    assert referrals == len(PAYLOADS)

    # The stored payloads, rendered on every page that shows them: escaped, never markup.
    pages = [
        (doctor, f"/patients/{patient}"),
        (doctor, f"/patients/{patient}/alerts"),
        (doctor, f"/patients/{patient}/family"),
        (doctor, "/"),
        (lead, "/alerts/stats"),
        (admin, "/admin/users"),
        (admin, "/admin/audit"),
        *((doctor, f"/patients/{pid}") for pid in imported),
        (doctor, f"/patients/{referable}"),
    ]
    shown: dict[str, str] = {}
    for acct, url in pages:
        response = acct.client.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        shown[url] = response.text
        problems.extend(f"{url} shows {raw!r} raw" for raw in RAW if raw in response.text)
    escaped = "&lt;script&gt;alert(&#34;x1&#34;)&lt;/script&gt;"
    assert escaped in shown[f"/patients/{patient}/alerts"], "the comment is shown, escaped"
    assert escaped in shown["/admin/users"], "the display name is shown, escaped"
    assert escaped in shown["/patients/xss-0"], "the imported condition text is shown, escaped"
    record("injection and XSS payloads sent (stored as text, shown escaped)", sent)
    assert not problems, "\n".join(problems[:40])
