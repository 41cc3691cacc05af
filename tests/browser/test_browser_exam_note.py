"""Paste a note into the exam form, in Chromium: the note's findings are proposed with their
sentence, the therapist ticks one, and only that one is saved; negated and hypothetical mentions
are not proposed; the page stays free of axe-core violations."""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.support.browserkit import AppServer, demo_patient_id, screenshot, sign_in

PATIENT = demo_patient_id("11-stroke-ischaemic-low-risk.json")
NOTE = (
    "OT note. R hip PROM flexion 80 deg, previously 110. Right hip is warm and swollen.\n"
    "No redness of the left knee. Watch for warmth in the left elbow."
)


def _codes(page: Page, server: AppServer) -> set[tuple[str, str | None, object]]:
    rows = page.request.get(server.url(f"/api/patients/{PATIENT}/observations")).json()
    return {
        (c["code"], r["side"], r["value_quantity"] if r["value_bool"] is None else r["value_bool"])
        for r in rows
        if r["entered_by"]
        for c in r["codes"]
    }


def test_paste_a_note_confirm_one_proposal_and_only_it_is_saved(
    page: Page, server: AppServer
) -> None:
    sign_in(page, server, "therapist")
    page.goto(server.url(f"/patients/{PATIENT}/exam"))
    before = _codes(page, server)
    page.get_by_text("Paste a note", exact=True).click()
    page.get_by_label("A therapy or nursing note").fill(NOTE)
    page.get_by_role("button", name="Read the note").click()

    proposals = page.locator("section.note-proposals")
    expect(proposals.get_by_role("heading")).to_have_text(
        "Found in the note: tick what you confirm"
    )
    flexion = proposals.get_by_label(re.compile(r"Right hip flexion: 80°"))
    warmth = proposals.get_by_label("Right hip warmth: yes")
    expect(flexion).not_to_be_checked()
    expect(warmth).not_to_be_checked()
    expect(proposals.locator("blockquote.evidence mark").first).to_have_text("flexion 80 deg")
    expect(proposals).not_to_contain_text("redness")  # "No redness": negated
    expect(proposals).not_to_contain_text("elbow")  # "Watch for warmth": hypothetical
    expect(page.get_by_label("A therapy or nursing note")).to_have_value(NOTE)
    assert _codes(page, server) == before, "reading the note saved nothing"
    assert Axe().run(page).response["violations"] == []
    screenshot(page, "exam-note-proposals")

    flexion.check()
    page.get_by_role("button", name="Save exam").click()
    expect(page).to_have_url(re.compile(rf"/patients/{PATIENT}\?saved=\d+$"))
    after = _codes(page, server) - before
    assert ("hip-flexion-rom", "right", 80.0) in after
    assert not {c for c in after if c[0] in ("hip-warmth", "hip-swelling")}, after
