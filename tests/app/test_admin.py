"""Administration: users and roles, and the read-only audit-log viewer."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hosentinel.app.security import verify_password
from hosentinel.store import models as m
from tests.support.appkit import SignedIn, sign_in

GOOD_PASSWORD = "correct horse battery"


def user_named(app: FastAPI, username: str) -> m.User | None:
    with app.state.sessionmaker() as session:
        return session.scalar(select(m.User).where(m.User.username == username))


def user_count(app: FastAPI) -> int:
    with app.state.sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(m.User)) or 0


def test_admin_lists_the_users(signed_in: Callable[[str], SignedIn]) -> None:
    admin = signed_in("admin")
    users = admin.client.get("/api/admin/users").json()
    assert {u["username"]: u["role"] for u in users} == {
        "admin": "admin",
        "family": "family",
        "lead": "unit-lead",
        "nurse": "nurse",
        "physiatrist": "physiatrist",
        "therapist": "therapist",
    }
    assert next(u for u in users if u["username"] == "family")["patient_id"]
    assert all("password" not in key for u in users for key in u)
    page = admin.client.get("/admin/users")
    assert page.status_code == 200 and 'data-username="therapist"' in page.text
    assert '<label for="new-password">' in page.text and 'minlength="12"' in page.text


def test_admin_creates_a_user_who_can_sign_in(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    response = admin.post(  # type: ignore[attr-defined]
        "/admin/users",
        data={
            "username": "NewPT",
            "display_name": "New Physiotherapist",
            "role": "therapist",
            "password": GOOD_PASSWORD,
            "patient_id": "ignored-for-clinicians",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/users")
    user = user_named(app, "newpt")
    assert user is not None and user.role == "therapist" and user.active
    assert user.patient_id is None
    assert user.password_hash.startswith("$argon2") and GOOD_PASSWORD not in user.password_hash
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    new = sign_in(app, "newpt", GOOD_PASSWORD)
    assert new.client.get("/api/worklist").status_code == 200
    new.client.close()


def test_bad_new_users_are_refused_with_a_clear_message(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    admin = signed_in("admin")
    before = user_count(app)
    base = {"username": "someone", "display_name": "Some One", "role": "nurse"}
    cases = [
        ({**base, "password": "short-pass"}, "at least 12 characters"),
        ({**base, "role": "family", "password": GOOD_PASSWORD}, "must be linked to their patient"),
        (
            {**base, "role": "family", "patient_id": "nope", "password": GOOD_PASSWORD},
            "No such patient",
        ),
        ({**base, "role": "surgeon", "password": GOOD_PASSWORD}, "Unknown role"),
        ({**base, "username": "nurse", "password": GOOD_PASSWORD}, "is taken"),
        ({**base, "username": "a b", "password": GOOD_PASSWORD}, "Usernames have 3 to 80"),
    ]
    for data, message in cases:
        response = admin.post("/admin/users", data=data)  # type: ignore[attr-defined]
        assert response.status_code == 422, data
        assert message in response.text, message
        assert 'value="Some One"' in response.text  # what was typed is kept (not the password)
    api = admin.post(  # type: ignore[attr-defined]
        "/api/admin/users", json={**base, "password": "eleven-char"}
    )
    assert api.status_code == 422 and "at least 12" in api.json()["error"]
    assert user_count(app) == before


def test_a_family_member_is_linked_to_one_patient(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids["08-tbi-elbow-ho-active-growing.json"]
    admin = signed_in("admin")
    response = admin.post(  # type: ignore[attr-defined]
        "/api/admin/users",
        json={
            "username": "daughter",
            "display_name": "A Daughter",
            "role": "family",
            "password": GOOD_PASSWORD,
            "patient_id": patient,
        },
    )
    assert response.status_code == 201 and response.json()["patient_id"] == patient
    daughter = sign_in(app, "daughter", GOOD_PASSWORD)
    assert daughter.client.get(f"/patients/{patient}/family").status_code == 200
    other = demo_patient_ids["03-sci-hip-rom-loss-probable.json"]
    assert daughter.client.get(f"/patients/{other}/family").status_code == 404
    daughter.client.close()


def test_changing_a_role_or_deactivating_ends_the_users_sessions(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    therapist = signed_in("therapist")
    user = user_named(app, "therapist")
    assert user is not None
    response = admin.post(  # type: ignore[attr-defined]
        f"/admin/users/{user.id}", data={"role": "nurse", "active": "yes"}, follow_redirects=False
    )
    assert response.status_code == 303
    changed = user_named(app, "therapist")
    assert changed is not None and changed.role == "nurse"
    assert therapist.client.get("/api/worklist").status_code == 401  # signed out

    deactivated = admin.client.patch(
        f"/api/admin/users/{user.id}", json={"active": False}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    refused = TestClient(app).post(
        "/login", data={"username": "therapist", "password": "demo-password"}
    )
    assert refused.status_code == 401


def test_an_admin_cannot_lock_themselves_out(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    me = user_named(app, "admin")
    assert me is not None
    for data in ({"role": "nurse"}, {"active": "no"}):
        response = admin.post(f"/admin/users/{me.id}", data=data)  # type: ignore[attr-defined]
        assert response.status_code == 422 and "cannot remove your own admin role" in response.text
    still = user_named(app, "admin")
    assert still is not None and still.role == "admin" and still.active


def test_audit_viewer_filters_and_pages(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids["03-sci-hip-rom-loss-probable.json"]
    nurse = signed_in("nurse")
    for _ in range(3):
        nurse.client.get(f"/patients/{patient}/family")
    admin = signed_in("admin")
    by_patient = admin.client.get(f"/api/admin/audit?patient={patient}&user=nurse").json()
    assert by_patient["total"] == 3
    assert {(e["username"], e["action"], e["what"]) for e in by_patient["entries"]} == {
        ("nurse", "read", "family view")
    }
    logins = admin.client.get("/api/admin/audit?action=login").json()
    assert logins["total"] >= 2 and {e["action"] for e in logins["entries"]} == {"login"}

    for _ in range(55):
        nurse.client.get("/api/knowledge")  # not audited: no patient
        nurse.client.get(f"/api/patients/{patient}/education")
    first = admin.client.get("/api/admin/audit?user=nurse").json()
    assert first["pages"] >= 2 and len(first["entries"]) == 50
    second = admin.client.get("/api/admin/audit?user=nurse&page=2").json()
    assert second["page"] == 2
    assert first["entries"][-1]["id"] > second["entries"][0]["id"]  # newest first, no overlap
    html_page = admin.client.get(f"/admin/audit?user=nurse&patient={patient}&page=2")
    assert html_page.status_code == 200
    assert "Page 2 of" in html_page.text and 'rel="prev"' in html_page.text
    assert f'value="{patient}"' in html_page.text  # the filters stay filled in


def test_the_audit_log_cannot_be_edited_through_the_app(
    signed_in: Callable[[str], SignedIn],
) -> None:
    admin = signed_in("admin")
    entry_id = admin.client.get("/api/admin/audit").json()["entries"][0]["id"]
    for method in ("post", "put", "patch", "delete"):
        for url in ("/admin/audit", "/api/admin/audit", f"/api/admin/audit/{entry_id}"):
            response = admin.client.request(
                method.upper(), url, headers={"X-CSRF-Token": admin.csrf}
            )
            assert response.status_code in (404, 405), (method, url)
    assert '<form method="post"' not in admin.client.get("/admin/audit").text.split("<main")[1]
