"""The role matrix (issue 15; DESIGN.md "Who uses it"): admins are not clinicians. They manage
users, read the audit log and the alert statistics; every clinical page and API answers them 403
with a way out, `/` (their home) is the users page, and the main menu shows each role only what
it may use. The full route-by-role table is test_sec_access_matrix.py."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from hosentinel.store import models as m
from tests.support.appkit import SignedIn

NAV = re.compile(r'<nav aria-label="Main">(.*?)</nav>', re.S)


def menu(html: str) -> list[str]:
    found = NAV.search(html)
    assert found, "signed-in pages have the main menu"
    return re.findall(r'<a href="([^"]+)"', found.group(1))


def test_the_admins_home_is_the_users_page(signed_in: Callable[[str], SignedIn]) -> None:
    admin = signed_in("admin")
    home = admin.client.get("/", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/admin/users"
    page = admin.client.get("/")
    assert page.status_code == 200 and "Users and roles" in page.text
    assert menu(page.text) == ["/alerts/stats", "/admin/users", "/admin/audit"]


@pytest.mark.parametrize(
    "path",
    ["/knowledge", "/knowledge/citations", "/directory", "/api/worklist", "/api/knowledge"],
)
def test_admins_get_403_with_a_way_out_on_clinical_pages(
    signed_in: Callable[[str], SignedIn], path: str
) -> None:
    refused = signed_in("admin").client.get(path)
    assert refused.status_code == 403, path
    if not path.startswith("/api/"):
        assert "Not allowed" in refused.text and "for clinicians" in refused.text
        assert 'href="/">Go to your home page</a>' in refused.text
        assert 'href="/logout">Sign out</a>' in refused.text


def test_admins_cannot_import_over_fhir(app: FastAPI, signed_in: Callable[[str], SignedIn]) -> None:
    admin = signed_in("admin")
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "id": "admin-import"}}],
    }
    refused = admin.client.post("/fhir", json=bundle, headers={"X-CSRF-Token": admin.csrf})
    assert refused.status_code == 403
    assert refused.json()["resourceType"] == "OperationOutcome"
    with app.state.sessionmaker() as session:
        stored = session.scalar(select(func.count()).where(m.Patient.id == "admin-import"))
    assert stored == 0


def test_admins_get_403_on_any_patient_whatever_the_id(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    admin = signed_in("admin")
    real = next(iter(demo_patient_ids.values()))
    for pid in (real, "no-such-patient"):
        for path in (f"/patients/{pid}", f"/api/patients/{pid}", f"/patients/{pid}/family"):
            assert admin.client.get(path).status_code == 403, path


@pytest.mark.parametrize(
    ("username", "links"),
    [
        ("physiatrist", ["/", "/knowledge", "/directory"]),
        ("therapist", ["/", "/knowledge", "/directory"]),
        ("nurse", ["/", "/knowledge", "/directory"]),
        ("lead", ["/", "/knowledge", "/directory", "/alerts/stats"]),
    ],
)
def test_each_clinical_role_sees_only_links_it_may_use(
    signed_in: Callable[[str], SignedIn], username: str, links: list[str]
) -> None:
    user = signed_in(username)
    assert menu(user.client.get("/").text) == links
    for link in links:
        assert user.client.get(link).status_code == 200, link


def test_the_family_menu_is_empty(signed_in: Callable[[str], SignedIn]) -> None:
    assert menu(signed_in("family").client.get("/").text) == []
