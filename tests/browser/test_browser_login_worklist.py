"""Sign-in for each demo role and the unit worklist, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.support.browserkit import AppServer, demo_patient_id, screenshot, sign_in, worklist_order

FAMILY_PATIENT = demo_patient_id("03-sci-hip-rom-loss-probable.json")
CLINICAL_NAV = ["Worklist", "Knowledge"]

# username -> (role shown in the header, main-menu links it must have, links it must not have)
ROLES: dict[str, tuple[str, list[str], list[str]]] = {
    "physiatrist": ("physiatrist", CLINICAL_NAV, ["Alert statistics", "Users", "Audit log"]),
    "therapist": ("therapist", CLINICAL_NAV, ["Alert statistics", "Users", "Audit log"]),
    "nurse": ("nurse", CLINICAL_NAV, ["Alert statistics", "Users", "Audit log"]),
    "lead": ("unit-lead", [*CLINICAL_NAV, "Alert statistics"], ["Users", "Audit log"]),
    "admin": ("admin", [*CLINICAL_NAV, "Alert statistics", "Users", "Audit log"], []),
}


def _menu(page: Page) -> list[str]:
    return [
        t.strip()
        for t in page.get_by_role("navigation", name="Main").locator("a").all_inner_texts()
    ]


@pytest.mark.parametrize("username", list(ROLES))
def test_each_clinical_role_signs_in_to_the_worklist(
    page: Page, server: AppServer, username: str
) -> None:
    role, has, has_not = ROLES[username]
    sign_in(page, server, username)
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Unit worklist")
    expect(page.locator("header .who")).to_have_text(re.compile(rf"· {re.escape(role)}$"))
    menu = _menu(page)
    assert [link for link in has if link not in menu] == []
    assert [link for link in has_not if link in menu] == []
    screenshot(page, f"login-{username}")


def test_family_member_lands_on_their_family_view_and_nothing_else(
    page: Page, server: AppServer
) -> None:
    sign_in(page, server, "family")
    expect(page).to_have_url(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    expect(page.locator("header .who")).to_have_text(re.compile(r"· family$"))
    assert _menu(page) == []
    screenshot(page, "login-family")
    # Their home is their family view: the logo and / lead there, never to a refusal.
    page.locator("a.brand").click()
    expect(page).to_have_url(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    response = page.goto(server.url("/"))
    assert response is not None and response.status == 200
    expect(page).to_have_url(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    # Any other patient is out of reach by URL; the error page leads home and to sign out.
    response = page.goto(server.url("/knowledge"))
    assert response is not None and response.status in (403, 404)
    page.get_by_role("link", name="Go to your home page").click()
    expect(page).to_have_url(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    page.goto(server.url("/knowledge"))
    page.get_by_role("link", name="Sign out").click()
    expect(page).to_have_url(server.url("/logout"))
    page.locator("main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url("/login"))
    sign_in(page, server, "family")
    other = demo_patient_id("01-sci-complete-day-5.json")
    for path in (f"/patients/{other}/family", f"/patients/{other}"):
        response = page.goto(server.url(path))
        assert response is not None and response.status == 404, path
    screenshot(page, "family-other-patient-404")


def test_wrong_password_is_refused_with_a_message(page: Page, server: AppServer) -> None:
    sign_in(page, server, "nurse", "not-the-password")
    expect(page).to_have_url(server.url("/login"))
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    # Nothing behind the sign-in is reachable.
    page.goto(server.url("/"))
    expect(page).to_have_url(re.compile(r"/login\?next=/$"))
    screenshot(page, "login-refused")


def test_sign_out_ends_the_session(page: Page, server: AppServer) -> None:
    sign_in(page, server, "therapist")
    page.locator("header").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url("/login"))
    page.goto(server.url("/"))
    expect(page).to_have_url(re.compile(r"/login"))


def test_worklist_lists_the_unit_by_attention(page: Page, server: AppServer) -> None:
    sign_in(page, server, "physiatrist")
    order = worklist_order(page, server)
    assert len(order) == 27 and len(set(order)) == 27  # every demo patient, once
    rows = page.locator("table.worklist tbody tr[data-patient]")
    attention = [row.locator("td").nth(1).locator(".tag").all_inner_texts() for row in rows.all()]
    # Everyone who needs attention comes before everyone who does not.
    needing = [i for i, reasons in enumerate(attention) if reasons]
    quiet = [i for i, reasons in enumerate(attention) if not reasons]
    assert needing and quiet and max(needing) < min(quiet)
    assert attention[0][0].startswith("Urgent: ")  # says what the urgent action is
    # Levels are written in words, not only in colour.
    first_suspicion = rows.first.locator("td").nth(2)
    expect(first_suspicion).to_have_text(re.compile(r"^(none|possible|probable|confirmed)$"))
    expect(page.get_by_role("img", name=re.compile(r"^Risk: high \d+, moderate \d+, low \d+$")))
    screenshot(page, "worklist")


def test_worklist_filters_work_from_the_keyboard(page: Page, server: AppServer) -> None:
    sign_in(page, server, "nurse")
    worklist_order(page, server)
    page.get_by_role("link", name="suspected").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(server.url("/?show=suspected"))
    suspicion = page.locator("table.worklist tbody tr[data-patient] td:nth-child(3)")
    expect(suspicion.first).to_be_visible()
    levels = suspicion.all_inner_texts()
    assert levels and "none" not in levels
    assert len(levels) < 27
    # The filter is in the address, so a reload (or a shared link) shows the same list.
    page.reload()
    expect(page.get_by_role("link", name="suspected")).to_have_attribute("aria-current", "true")
    assert suspicion.all_inner_texts() == levels
    screenshot(page, "worklist-suspected")


def test_a_patient_row_opens_the_patient_page(page: Page, server: AppServer) -> None:
    sign_in(page, server, "physiatrist")
    order = worklist_order(page, server)
    row = page.locator(f'table.worklist tr[data-patient="{order[0]}"]')
    name = row.get_by_role("link").inner_text()
    row.get_by_role("link").click()
    expect(page).to_have_url(server.url(f"/patients/{order[0]}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    screenshot(page, "patient-page")
