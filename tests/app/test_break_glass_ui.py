"""Break-glass in the pages (issue 15): a clinician who opens a patient outside their unit gets
the not-found page with an "Emergency access (break-glass)" form (the same page for a patient
that does not exist, so ids cannot be probed); a reason opens the record for
`break_glass_hours`, with a banner saying so on every page of that patient; the admin's audit
view lists each access with its reason at the top."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.app.security import hash_password
from hosentinel.store import models as m
from tests.support.appkit import SignedIn, sign_in

PATIENT = "04-sci-day-18-swollen-thigh.json"
REASON = "Covering ward 3 tonight, patient deteriorating"
FORM = re.compile(r'<form method="post" action="/patients/([^"/]+)/break-glass"')
BANNER = "you opened their record by break-glass"


def outsider(app: FastAPI, username: str = "ward9-doc") -> SignedIn:
    with app.state.sessionmaker.begin() as session:
        session.add(
            m.User(
                username=username,
                display_name="Dr Ward Nine",
                role="physiatrist",
                unit="Ward 9",
                password_hash=hash_password("another-unit-pass"),
                created_at=datetime.now(UTC),
            )
        )
    return sign_in(app, username, "another-unit-pass")


def test_a_patient_of_another_unit_offers_break_glass_as_a_missing_one_does(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    doc = outsider(app)
    pid = demo_patient_ids[PATIENT]
    page = doc.client.get(f"/patients/{pid}")
    assert page.status_code == 404
    assert "Emergency access (break-glass)" in page.text
    assert FORM.findall(page.text) == [pid]
    assert f'name="csrf_token" value="{doc.csrf}"' in page.text
    assert 'name="reason" required minlength="10"' in page.text
    assert "4 hours" in page.text and "audit log" in page.text
    missing = doc.client.get("/patients/no-such-patient")
    assert missing.status_code == 404
    assert missing.text.replace("no-such-patient", pid) == page.text  # nothing tells them apart


def test_no_break_glass_offer_for_admins_family_or_the_api(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[PATIENT]
    for username in ("admin", "family"):
        page = signed_in(username).client.get(f"/patients/{pid}")
        assert page.status_code in (403, 404) and "break-glass" not in page.text, username
    api = outsider(app).client.get(f"/api/patients/{pid}")
    assert api.status_code == 404 and "break-glass" not in api.text


def test_a_short_reason_shows_the_form_again_with_what_was_typed(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    doc = outsider(app)
    pid = demo_patient_ids[PATIENT]
    again = doc.client.post(
        f"/patients/{pid}/break-glass", data={"reason": "urgent", "csrf_token": doc.csrf}
    )
    assert again.status_code == 422
    assert "at least 10 characters" in again.text
    assert FORM.findall(again.text) == [pid] and ">urgent</textarea>" in again.text
    assert doc.client.get(f"/patients/{pid}").status_code == 404  # nothing opened


def test_break_glass_opens_the_record_with_a_banner_until_it_ends(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doc = outsider(app)
    pid = demo_patient_ids[PATIENT]
    opened = doc.client.post(
        f"/patients/{pid}/break-glass",
        data={"reason": REASON, "csrf_token": doc.csrf},
        follow_redirects=True,
    )
    assert opened.status_code == 200 and str(opened.url).endswith(f"/patients/{pid}")
    assert "Emergency access (break-glass)" in opened.text and BANNER in opened.text
    with app.state.sessionmaker() as session:
        grant = session.query(m.BreakGlass).one()
        until = grant.expires_at
    assert f"{until:%Y-%m-%d %H:%M} UTC" in opened.text
    assert "everything you open is audited" in opened.text
    # On the patient's other pages too; never for a clinician of the patient's own unit.
    assert BANNER in doc.client.get(f"/patients/{pid}/family").text
    assert BANNER not in signed_in("physiatrist").client.get(f"/patients/{pid}").text


def test_the_admins_audit_view_shows_break_glass_first(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doc = outsider(app)
    pid = demo_patient_ids[PATIENT]
    doc.client.post(f"/patients/{pid}/break-glass", data={"reason": REASON, "csrf_token": doc.csrf})
    doc.client.get(f"/patients/{pid}")
    doc.client.get(f"/api/patients/{pid}")
    admin = signed_in("admin")
    for _ in range(3):  # more entries after it: the review stays on top
        admin.client.get("/admin/users")
    page = admin.client.get("/admin/audit").text
    review = page.index("Break-glass access")
    assert review < page.index('<table class="audit">')
    grants = re.search(r'<table class="break-glass-grants">(.*?)</table>', page, re.S)
    assert grants is not None
    row = grants.group(1)
    assert "ward9-doc" in row and REASON in row and "(active now)" in row
    # Read within the grant: the page it led to, the page again and the API.
    assert re.search(r"<td>3</td></tr>", row)
    assert '<tr class="break-glass"><td>' in page.split('<table class="audit">')[1]
    none = signed_in("admin")
    assert none.client.get("/admin/audit?action=break-glass").status_code == 200


def test_a_search_outside_the_unit_leads_to_break_glass_and_is_audited(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    doc = outsider(app)
    pid = demo_patient_ids[PATIENT]
    with app.state.sessionmaker() as session:
        patient = session.get(m.Patient, pid)
        assert patient is not None
        name = patient.display_name
    part = name.split()[0][:6]
    worklist = doc.client.get("/", params={"q": part}).text
    assert "No patients match" in worklist
    assert f'href="/break-glass?q={part}"' in worklist
    found = doc.client.get("/break-glass", params={"q": part})
    assert found.status_code == 200
    assert f'<a href="/patients/{pid}">{name}</a>' in found.text and "Rehab unit" in found.text
    by_id = doc.client.get("/break-glass", params={"q": pid}).text
    assert f'href="/patients/{pid}"' in by_id
    for wildcard in ("%%%", "___"):  # LIKE's wildcards are text here, not "every patient"
        listed = doc.client.get("/break-glass", params={"q": wildcard}).text
        assert 'href="/patients/' not in listed, wildcard
    short = doc.client.get("/break-glass", params={"q": "ab"}).text
    assert "at least 3 characters" in short and 'href="/patients/' not in short
    with app.state.sessionmaker() as session:
        searches = session.scalars(
            select(m.AuditEntry.what)
            .where(m.AuditEntry.username == "ward9-doc", m.AuditEntry.action == "break-glass")
            .order_by(m.AuditEntry.id)
        ).all()
    assert len(searches) == 4 and searches[0].startswith(f"search '{part}'")
    # Clinicians of the patient's own unit find them on their worklist: the search there lists
    # only other units (here none match).
    own = signed_in("physiatrist").client.get("/break-glass", params={"q": part}).text
    assert 'href="/patients/' not in own and "No patient of another unit matches" in own
    for username in ("admin", "family"):
        assert signed_in(username).client.get("/break-glass?q=abc").status_code == 403
