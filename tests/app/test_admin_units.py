"""An admin assigns or changes a user's unit from the users page (issue 15): the change is
audited, needs the form's CSRF token, ends the user's sessions, and from the next sign-in the
user sees the new unit's patients and no longer the old one's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.store import models as m
from tests.support.appkit import SignedIn, sign_in

DEMO_UNIT = "Rehab unit"


def _user(app: FastAPI, username: str) -> m.User:
    with app.state.sessionmaker() as session:
        user: m.User | None = session.scalar(select(m.User).where(m.User.username == username))
        assert user is not None
        session.expunge(user)
        return user


def _change_unit(admin: SignedIn, user: m.User, unit: str, csrf: str | None) -> Any:
    data = {"role": user.role, "active": "yes", "version": str(user.version), "unit": unit}
    if csrf is not None:
        data["csrf_token"] = csrf
    return admin.client.post(f"/admin/users/{user.id}", data=data, follow_redirects=False)


def test_the_users_page_shows_and_offers_each_users_unit(
    signed_in: Callable[[str], SignedIn],
) -> None:
    page = signed_in("admin").client.get("/admin/users").text
    nurse = re.search(r'<tr id="user-\d+" data-username="nurse">(.*?)</tr>', page, re.S)
    assert nurse is not None
    assert f"<td>{DEMO_UNIT}</td>" in nurse.group(1)
    assert re.search(rf'name="unit"[^>]*value="{DEMO_UNIT}"', nurse.group(1))
    assert f'<option value="{DEMO_UNIT}">' in page  # known units offered


def test_changing_a_users_unit_moves_what_they_see_and_is_audited(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = next(iter(demo_patient_ids.values()))
    nurse = signed_in("nurse")
    assert nurse.client.get(f"/patients/{patient}").status_code == 200
    admin = signed_in("admin")
    moved = _change_unit(admin, _user(app, "nurse"), "Ward 9", admin.csrf)
    assert moved.status_code == 303
    assert _user(app, "nurse").unit == "Ward 9"
    # The nurse's session ended with the change; signed in again, the old unit is out of reach.
    assert nurse.client.get("/api/worklist").status_code == 401
    again = sign_in(app, "nurse")
    assert again.client.get("/api/worklist").json() == []
    assert again.client.get(f"/patients/{patient}").status_code == 404
    with app.state.sessionmaker() as session:
        entries = session.scalars(
            select(m.AuditEntry.what).where(
                m.AuditEntry.username == "admin", m.AuditEntry.action == "admin"
            )
        ).all()
    assert f"changed user nurse: unit {DEMO_UNIT} -> Ward 9" in entries
    # Back to the demo unit: the patients are there again.
    _change_unit(admin, _user(app, "nurse"), DEMO_UNIT, admin.csrf)
    back = sign_in(app, "nurse")
    assert back.client.get(f"/patients/{patient}").status_code == 200
    assert len(back.client.get("/api/worklist").json()) == len(demo_patient_ids)


def test_a_blank_unit_leaves_a_clinician_seeing_nobody(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    _change_unit(admin, _user(app, "therapist"), "  ", admin.csrf)
    assert _user(app, "therapist").unit is None
    assert sign_in(app, "therapist").client.get("/api/worklist").json() == []
    page = admin.client.get("/admin/users").text
    therapist = re.search(r'data-username="therapist">(.*?)</tr>', page, re.S)
    assert therapist is not None and "No unit" in therapist.group(1)


def test_a_unit_change_without_the_csrf_token_changes_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    before = _user(app, "nurse")
    refused = _change_unit(admin, before, "Ward 9", None)
    assert refused.status_code == 403
    forged = _change_unit(admin, before, "Ward 9", "not-the-token")
    assert forged.status_code == 403
    after = _user(app, "nurse")
    assert (after.unit, after.version) == (DEMO_UNIT, before.version)


def test_a_unit_name_too_long_is_refused_with_a_message(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    refused = _change_unit(admin, _user(app, "nurse"), "W" * 81, admin.csrf)
    assert refused.status_code == 422
    assert "at most 80 characters" in refused.text
    assert _user(app, "nurse").unit == DEMO_UNIT
