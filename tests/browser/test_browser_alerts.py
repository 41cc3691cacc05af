"""A physiatrist overrides an alert with a coded reason (CDS Hooks override-reason codes); the
decision is kept and the unit lead sees it in the alert statistics."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.support.browserkit import AppServer, demo_patient_id, screenshot, sign_in

PATIENT = demo_patient_id("03-sci-hip-rom-loss-probable.json")
KEY = "rec:rule-out-dvt"
REASON_CODE = "action-completed"
REASON_TEXT = "Already done"  # plain words; the HL7 code stays underneath
COMMENT = "Duplex ultrasound of both legs negative yesterday"


def test_override_an_alert_with_a_reason(page: Page, server: AppServer, browser: Browser) -> None:
    sign_in(page, server, "physiatrist")
    page.goto(server.url(f"/patients/{PATIENT}"))
    page.get_by_role("link", name="Acknowledge or override alerts").click()
    expect(page).to_have_url(server.url(f"/patients/{PATIENT}/alerts"))

    block = page.locator(f'.alert-actions[data-alert-key="{KEY}"]')
    expect(block.locator(".alert-state")).to_contain_text("No decision yet")
    # Keyboard only: open the override form, choose the reason, write a comment, submit.
    block.get_by_text("Override with a reason").focus()
    page.keyboard.press("Enter")
    reason = block.get_by_label("Reason (required)")
    expect(reason).to_be_visible()
    options = reason.locator("option").evaluate_all("(os) => os.map((o) => o.value)")
    assert REASON_CODE in options and "patient-refuses" in options and options[0] == ""
    reason.select_option(REASON_CODE)
    block.get_by_label("Comment (optional)").fill(COMMENT)
    screenshot(page, "alert-1-override-form")
    block.get_by_role("button", name="Override").click()

    state = page.locator(f'.alert-actions[data-alert-key="{KEY}"] .alert-state')
    expect(state).to_contain_text("Overridden")
    expect(state).to_contain_text(REASON_TEXT)
    expect(state).to_contain_text(COMMENT)
    expect(state).to_contain_text("Dr Demo Physiatrist")
    screenshot(page, "alert-2-overridden")

    # The decision is stored: it is still there after a reload, in the history too.
    page.reload()
    expect(page.locator(f'.alert-actions[data-alert-key="{KEY}"] .alert-state')).to_contain_text(
        "Overridden"
    )
    history = page.locator("table", has=page.locator("caption", has_text="Every decision"))
    first = history.locator("tbody tr").first
    expect(first).to_contain_text("Rule out DVT")  # a label, never the key
    expect(first).to_contain_text(f"HL7 {REASON_CODE}")
    expect(first).to_contain_text("overridden")
    expect(first).to_contain_text(REASON_TEXT)
    expect(first).to_contain_text(COMMENT)

    # The unit lead sees the override in the alert statistics.
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        lead = lead_context.new_page()
        sign_in(lead, server, "lead")
        lead.get_by_role("link", name="Alert statistics").click()
        expect(lead).to_have_url(server.url("/alerts/stats"))
        row = lead.locator(f'table.stats tr[data-key="{KEY}"]')
        cells = row.locator("td")
        expect(cells.nth(2)).to_have_text("1")  # overridden
        expect(cells.nth(5)).to_contain_text(re.compile(r"100 %\s*\(1 of 1\)"))  # override rate
        # The statistics count by the coded reason (its HL7 display).
        expect(cells.nth(6)).to_contain_text("Recommended action was already completed: 1")
        screenshot(lead, "alert-3-lead-statistics")
    finally:
        lead_context.close()


def test_an_override_needs_a_reason(page: Page, server: AppServer) -> None:
    sign_in(page, server, "nurse")
    page.goto(server.url(f"/patients/{PATIENT}/alerts"))
    key = "rec:serial-joint-exam"
    block = page.locator(f'.alert-actions[data-alert-key="{key}"]')
    block.get_by_text("Override with a reason").click()
    block.get_by_role("button", name="Override").click()  # no reason chosen
    # The browser keeps the form open (the reason is required) and nothing is recorded.
    expect(block.get_by_label("Reason (required)")).to_be_visible()
    page.reload()
    expect(page.locator(f'.alert-actions[data-alert-key="{key}"] .alert-state')).to_contain_text(
        "No decision yet"
    )
