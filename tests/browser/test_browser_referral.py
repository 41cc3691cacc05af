"""Find a surgeon for the demo patient with mature HO, refer, and download the letter."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browserkit import SCREENSHOTS, AppServer, demo_patient_id, screenshot, sign_in

MATURE = demo_patient_id("09-tbi-hip-ho-mature-refer.json")


def test_find_a_surgeon_and_download_the_referral_letter(page: Page, server: AppServer) -> None:
    sign_in(page, server, "physiatrist")
    page.goto(server.url(f"/patients/{MATURE}"))
    page.get_by_role("link", name="Refer to a surgeon").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("to a surgeon")
    expect(page.locator("main")).to_contain_text("right hip")

    # A ZIP code that does not exist is named as such.
    page.get_by_label("ZIP code").fill("00000")
    page.get_by_role("button", name="Find surgeons").click()
    expect(page.get_by_role("alert")).to_contain_text("ZIP code 00000 does not exist")

    page.get_by_label("ZIP code").fill("60611")
    page.get_by_label("Within").select_option("25")
    page.get_by_role("button", name="Find surgeons").click()
    rows = page.locator("table.directory-results tbody tr")
    expect(rows.first).to_be_visible()
    distances = [float(re.sub(r"[^0-9.]", "", d)) for d in page.locator("td.num").all_inner_texts()]
    assert distances == sorted(distances) and distances[-1] <= 25
    surgeon = rows.first.locator("td").first.inner_text().splitlines()[0]
    screenshot(page, "referral-surgeons")

    rows.first.get_by_role("link", name=re.compile("Choose")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the referral")
    expect(page.locator("main")).to_contain_text("Maturity:")
    expect(page.locator("main")).to_contain_text("Dear ")
    expect(page.locator("main")).to_contain_text("Signature:")
    expect(page.locator("main")).to_contain_text(surgeon)
    page.get_by_role("button", name="Confirm the referral and make the letter").click()
    expect(page.get_by_role("status")).to_contain_text("Referral recorded")

    with page.expect_download() as info:
        page.get_by_role("link", name="Download the referral letter (PDF)").click()
    download = info.value
    assert download.suggested_filename.startswith("referral-")
    assert download.suggested_filename.endswith(".pdf")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS.parent / "referral-letter.pdf"
    download.save_as(target)
    pdf = target.read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") and len(pdf) > 5_000
    screenshot(page, "referral-done")

    # The referral is on the patient's timeline.
    page.goto(server.url(f"/patients/{MATURE}"))
    expect(page.locator("ol.timeline")).to_contain_text(f"referred to {surgeon}")
