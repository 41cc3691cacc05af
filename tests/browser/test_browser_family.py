"""The family view: plain-language education for the patient's stage, and its PDF handout."""

from __future__ import annotations

import re
import zlib

from playwright.sync_api import Page, expect

from tests.support.browserkit import SCREENSHOTS, AppServer, demo_patient_id, screenshot, sign_in

FAMILY_PATIENT = demo_patient_id("03-sci-hip-rom-loss-probable.json")
PATIENT_TITLE = "Complete SCI, day 61, right hip stiff, swollen and warm"
STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)


def _pdf_pages(pdf: bytes) -> int:
    """Page objects in a PDF, looking inside compressed object streams too (WeasyPrint writes
    PDF 1.7 with its objects in them)."""
    parts = [pdf]
    for raw in STREAM.findall(pdf):
        try:
            parts.append(zlib.decompress(raw))
        except zlib.error:
            continue  # an image or font stream, not objects
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", p)) for p in parts)


def test_family_view_shows_education_for_the_stage(page: Page, server: AppServer) -> None:
    sign_in(page, server, "family")
    expect(page).to_have_url(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Information for you and your family")
    # Probable HO: the "suspected" stage, in plain words.
    expect(page.locator(".stage-now strong")).to_have_text("Being checked")
    basics = page.locator("section.module.basics")
    expect(basics.first).to_be_visible()
    assert basics.count() >= 1
    for title in basics.locator("h2").all_inner_texts():
        assert title.strip()
    # Both levels: the detailed modules sit behind "More detail", opened from the keyboard.
    more = page.locator("section.module.detailed details")
    expect(more).to_have_count(1)
    more.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(more).to_have_attribute("open", "")
    expect(more.locator("h3").first).to_be_visible()
    watch = page.locator("section.when-to-call .call-team li")
    assert watch.count() >= 3
    # About this person: their name (the demo's names are its case titles); nothing else from
    # the clinician view: no codes, no levels.
    body = page.locator("main").inner_text()
    assert f"About {PATIENT_TITLE}" in body
    assert not re.search(r"\b(M61|ICD|SNOMED|LOINC|probable)\b", body), body[:500]
    screenshot(page, "family-view")


def test_family_handout_pdf_downloads(page: Page, server: AppServer) -> None:
    sign_in(page, server, "family")
    link = page.get_by_role("link", name=re.compile(r"PDF"))
    expect(link).to_be_visible()
    href = link.get_attribute("href")
    assert href == f"/patients/{FAMILY_PATIENT}/family/handout.pdf?lang=en"
    # The browser's own session (cookies) fetches it, as a click would.
    response = page.context.request.get(server.url(href))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "ho-sentinel-handout-en.pdf" in response.headers.get("content-disposition", "")
    pdf = response.body()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert _pdf_pages(pdf) >= 1
    assert len(pdf) > 5_000
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "family-handout.pdf").write_bytes(pdf)
    # Another patient's handout is out of reach.
    other = demo_patient_id("01-sci-complete-day-5.json")
    refused = page.context.request.get(server.url(f"/patients/{other}/family/handout.pdf"))
    assert refused.status == 404


def test_clinician_can_open_what_the_family_reads(page: Page, server: AppServer) -> None:
    sign_in(page, server, "nurse")
    page.goto(server.url(f"/patients/{FAMILY_PATIENT}/family"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Information for you and your family")
    expect(page.locator(".stage-now strong")).to_have_text("Being checked")
