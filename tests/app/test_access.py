"""Access rules: a family member reaches only their own patient's family view; only clinicians in
the alert roles answer alerts; only an admin changes users or reads the audit log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hosentinel.store import models as m
from tests.support.appkit import SignedIn

OWN = "03-sci-hip-rom-loss-probable.json"
OTHER = "04-sci-day-18-swollen-thigh.json"  # fires rec:rule-out-dvt as well
DVT = "rec:rule-out-dvt"


def count(app: FastAPI, table: type[m.Base]) -> int:
    with app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_family_member_cannot_reach_another_patient(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    family = signed_in("family")
    other = demo_patient_ids[OTHER]
    for patient in (other, "no-such-patient"):
        for url in (
            f"/patients/{patient}/family",
            f"/patients/{patient}/family/handout.pdf",
            f"/api/patients/{patient}/education",
            f"/patients/{patient}/alerts",
            f"/api/patients/{patient}/alerts",
        ):
            response = family.client.get(url)
            assert response.status_code == 404, url
            assert "%PDF" not in response.text and "Being checked" not in response.text
        for url in (
            f"/patients/{patient}/alerts/{DVT}/acknowledge",
            f"/api/patients/{patient}/alerts/{DVT}/override",
        ):
            response = family.post(url, json={"reason": "patient-refuses"})  # type: ignore[attr-defined]
            assert response.status_code == 404, url
    # The same answer for another patient as for one that does not exist: ids cannot be probed.
    assert (
        family.client.get(f"/api/patients/{other}/education").json()
        == family.client.get("/api/patients/no-such-patient/education").json()
    )
    assert count(app, m.AlertState) == 0


def test_family_member_sees_only_the_family_view_of_their_own_patient(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    family = signed_in("family")
    own = demo_patient_ids[OWN]
    assert family.client.get(f"/patients/{own}/family").status_code == 200
    assert family.client.get(f"/api/patients/{own}/education").status_code == 200
    pdf = family.client.get(f"/patients/{own}/family/handout.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The clinician views of the same patient stay closed.
    for url in (f"/patients/{own}/alerts", f"/api/patients/{own}/alerts", "/alerts/stats"):
        assert family.client.get(url).status_code == 403, url
    response = family.post(  # type: ignore[attr-defined]
        f"/api/patients/{own}/alerts/{DVT}/override", json={"reason": "patient-refuses"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize("username", ["therapist", "family"])
def test_only_alert_roles_acknowledge_or_override(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    username: str,
) -> None:
    user = signed_in(username)
    patient = demo_patient_ids[OWN]
    for url, body in (
        (f"/api/patients/{patient}/alerts/{DVT}/override", {"reason": "patient-refuses"}),
        (f"/api/patients/{patient}/alerts/{DVT}/acknowledge", {}),
    ):
        assert user.post(url, json=body).status_code == 403, url  # type: ignore[attr-defined]
    form = user.post(  # type: ignore[attr-defined]
        f"/patients/{patient}/alerts/{DVT}/override", data={"reason": "patient-refuses"}
    )
    assert form.status_code == 403
    assert count(app, m.AlertState) == 0


def test_each_alert_role_may_answer(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    for username, file in (("physiatrist", OWN), ("nurse", OTHER), ("lead", OWN)):
        response = signed_in(username).post(  # type: ignore[attr-defined]
            f"/api/patients/{demo_patient_ids[file]}/alerts/{DVT}/acknowledge", json={}
        )
        assert response.status_code == 200, username


@pytest.mark.parametrize("username", ["physiatrist", "therapist", "nurse", "lead", "family"])
def test_only_an_admin_changes_users(
    app: FastAPI, signed_in: Callable[[str], SignedIn], username: str
) -> None:
    user = signed_in(username)
    before = count(app, m.User)
    new = {
        "username": "intruder",
        "display_name": "Intruder",
        "role": "admin",
        "password": "long enough password",
    }
    assert user.client.get("/admin/users").status_code == 403
    assert user.client.get("/api/admin/users").status_code == 403
    assert user.post("/admin/users", data=new).status_code == 403  # type: ignore[attr-defined]
    assert user.post("/api/admin/users", json=new).status_code == 403  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        me = session.scalar(select(m.User).where(m.User.username == username))
        assert me is not None
        my_id, my_role = me.id, me.role
    promote = user.post(f"/admin/users/{my_id}", data={"role": "admin"})  # type: ignore[attr-defined]
    assert promote.status_code == 403
    patch = user.client.patch(
        f"/api/admin/users/{my_id}", json={"role": "admin"}, headers={"X-CSRF-Token": user.csrf}
    )
    assert patch.status_code == 403
    assert count(app, m.User) == before
    with app.state.sessionmaker() as session:
        again = session.get(m.User, my_id)
        assert again is not None and again.role == my_role


@pytest.mark.parametrize("username", ["physiatrist", "therapist", "nurse", "lead", "family"])
def test_only_an_admin_reads_the_audit_log(
    signed_in: Callable[[str], SignedIn], username: str
) -> None:
    user = signed_in(username)
    for url in ("/admin/audit", "/api/admin/audit", "/admin/audit?action=read"):
        response = user.client.get(url)
        assert response.status_code == 403, url
        assert "signed in" not in response.text  # no audit entries leak into the error


def test_admin_pages_without_a_csrf_token_or_sign_in_are_refused(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    new = {"username": "x-user", "display_name": "X", "role": "nurse", "password": "p" * 12}
    assert admin.client.post("/admin/users", data=new).status_code == 403  # no CSRF token
    anonymous = TestClient(app)
    assert anonymous.get("/api/admin/users").status_code == 401
    assert anonymous.get("/api/alerts/stats").status_code == 401
    assert anonymous.get("/admin/audit", follow_redirects=False).status_code == 303
    assert anonymous.get("/patients/x/family", follow_redirects=False).status_code == 303
