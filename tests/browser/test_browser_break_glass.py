"""Break-glass in Chromium (issue 15): the admin puts a new physiatrist in another unit from the
users page; that physiatrist does not find the demo unit's patient on their worklist, follows the
"emergency access" link from the search, opens the patient with a reason, and sees the record
under a banner saying until when; the admin then sees the access, with its reason, at the top of
the audit log."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from hosentinel.demo.catalog import load_catalog
from tests.support.browserkit import AppServer, demo_patient_id, screenshot, sign_in

FILE = "04-sci-day-18-swollen-thigh.json"
PATIENT = demo_patient_id(FILE)
NAME = next(e.title for e in load_catalog() if e.file == FILE)
REASON = "Covering ward 3 tonight: swollen thigh, team asked"
PASSWORD = "ward-nine-password"


def _no_axe_violations(page: Page) -> None:
    """axe-core's default rules on the page as it is now (as test_browser_ux does)."""
    violations = Axe().run(page).response["violations"]
    assert [f"{v['id']}: {v['help']}" for v in violations] == [], page.url


def _sign_out(page: Page) -> None:
    page.locator("header").get_by_role("button", name="Sign out").click()
    page.wait_for_load_state("load")


def test_a_clinician_of_another_unit_opens_a_patient_by_break_glass(
    page: Page, server: AppServer
) -> None:
    sign_in(page, server, "admin")
    expect(page).to_have_url(server.url("/admin/users"))
    new = page.get_by_role("form", name="Create a user")
    new.get_by_label("Username").fill("ward9-doc")
    new.get_by_label("Display name").fill("Dr Ward Nine")
    new.get_by_label("Role", exact=True).select_option("physiatrist")
    new.get_by_label("Unit (clinicians and unit leads see its patients only)").fill("Ward 9")
    new.get_by_label("Password (at least 12 characters)").fill(PASSWORD)
    new.get_by_role("button", name="Create user").click()
    expect(page.get_by_role("status")).to_contain_text("User ward9-doc created.")
    expect(page.locator('tr[data-username="ward9-doc"]')).to_contain_text("Ward 9")
    _sign_out(page)

    sign_in(page, server, "ward9-doc", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Unit worklist")
    search = page.get_by_label("Search patients")
    search.fill(NAME[:8])
    search.press("Enter")
    link = page.get_by_role("link", name="Find them for emergency access (break-glass)")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Emergency access (break-glass)")
    _no_axe_violations(page)
    page.get_by_role("link", name=NAME).click()

    expect(page).to_have_url(server.url(f"/patients/{PATIENT}"))
    expect(page.get_by_role("heading", name="Emergency access (break-glass)")).to_be_visible()
    screenshot(page, "break-glass-1-offer")
    _no_axe_violations(page)
    reason = page.get_by_label("Reason (required, at least 10 characters)")
    reason.fill(REASON)
    page.get_by_role("button", name="Open with emergency access").click()

    expect(page).to_have_url(server.url(f"/patients/{PATIENT}"))
    banner = page.get_by_role("status", name="Emergency access")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("you opened their record by break-glass")
    expect(banner).to_contain_text(re.compile(r"ends at \d{4}-\d\d-\d\d \d\d:\d\d UTC"))
    expect(banner).to_contain_text("everything you open is audited")
    expect(page.get_by_role("heading", level=1)).to_contain_text(NAME)
    screenshot(page, "break-glass-2-banner")
    _no_axe_violations(page)
    _sign_out(page)

    sign_in(page, server, "admin")
    page.goto(server.url("/admin/audit"))
    review = page.locator("table.break-glass-grants")
    expect(review).to_contain_text("ward9-doc")
    expect(review).to_contain_text(REASON)
    expect(review).to_contain_text("(active now)")
    screenshot(page, "break-glass-3-audit")
    _no_axe_violations(page)
    page.goto(server.url("/alerts/stats"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alert statistics: all units")
    _no_axe_violations(page)
