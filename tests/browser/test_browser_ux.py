"""The pages as each role sees them, in Chromium: axe-core finds no accessibility violation on
any page; no page scrolls sideways on a 390 px phone; each drug suggestion carries its own
cautions; the family view and handout in Spanish. Screenshots for docs/using-the-app.md go to
docs/screenshots/ (the committed ones are refreshed by running this module).

axe-core comes from the axe-playwright-python package (it ships axe.min.js; nothing is
downloaded), run with its default rule set.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.support.browserkit import REPO, AppServer, demo_patient_id, sign_in

DOCS_SHOTS = REPO / "docs" / "screenshots"
WARFARIN = demo_patient_id("05-sci-confirmed-active-warfarin.json")
FAMILY_PATIENT = demo_patient_id("03-sci-hip-rom-loss-probable.json")
MATURE = demo_patient_id("09-tbi-hip-ho-mature-refer.json")
PHONE = {"width": 390, "height": 844}

CLINICAL_PAGES = [
    "/",
    "/?q=hip",
    f"/patients/{WARFARIN}",
    f"/patients/{WARFARIN}/exam",
    f"/patients/{WARFARIN}/alerts",
    f"/patients/{MATURE}/referral",
    f"/patients/{FAMILY_PATIENT}/family",
    "/knowledge",
    "/directory",
    "/logout",
]
FAMILY_PAGES = [
    f"/patients/{FAMILY_PATIENT}/family",
    f"/patients/{FAMILY_PATIENT}/family?lang=es",
    f"/patients/{FAMILY_PATIENT}/family?lang=es&size=large",
    "/knowledge",  # the error page a family member gets
]
ADMIN_PAGES = ["/admin/users", "/admin/audit"]
LEAD_PAGES = ["/alerts/stats"]


def _axe_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        ("physiatrist", CLINICAL_PAGES),
        ("family", FAMILY_PAGES),
        ("admin", ADMIN_PAGES),
        ("lead", LEAD_PAGES),
        (None, ["/login"]),
    ],
)
def test_axe_finds_no_violations_on_any_page(
    page: Page, server: AppServer, username: str | None, paths: list[str]
) -> None:
    if username:
        sign_in(page, server, username)
    found: dict[str, list[str]] = {}
    for path in paths:
        page.goto(server.url(path))
        page.wait_for_load_state("load")
        violations = _axe_violations(page)
        if violations:
            found[path] = violations
    assert not found, found


def test_axe_on_the_exam_form_with_errors(page: Page, server: AppServer) -> None:
    sign_in(page, server, "therapist")
    page.goto(server.url(f"/patients/{WARFARIN}/exam"))
    page.locator("#hip-left-flexion").fill("90e")
    page.get_by_role("button", name="Save exam").click()
    expect(page.locator("#err-hip-left-flexion")).to_be_visible()
    assert _axe_violations(page) == []


def _scroll_widths(page: Page) -> tuple[int, int]:
    cw, sw = page.evaluate(
        "() => [document.documentElement.clientWidth, document.documentElement.scrollWidth]"
    )
    return int(cw), int(sw)


@pytest.mark.parametrize(
    ("username", "paths"),
    [
        (
            "physiatrist",
            [
                "/",
                f"/patients/{WARFARIN}",
                f"/patients/{WARFARIN}/exam",
                f"/patients/{WARFARIN}/alerts",
            ],
        ),
        (
            "family",
            [
                f"/patients/{FAMILY_PATIENT}/family",
                f"/patients/{FAMILY_PATIENT}/family?lang=es&size=large",
            ],
        ),
    ],
)
def test_no_sideways_scroll_on_a_390px_phone(
    browser: Browser, server: AppServer, username: str, paths: list[str]
) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page, server, username)
        wide = {}
        for path in paths:
            page.goto(server.url(path))
            cw, sw = _scroll_widths(page)
            if sw > cw + 1:
                wide[path] = (cw, sw)
            if path.endswith("/family"):
                # The team's number and 911 are on screen and tap-to-call.
                for link in page.locator("a[href^='tel:']").all():
                    box = link.bounding_box()
                    assert box is not None and box["x"] + box["width"] <= cw + 1
                shot(page, "family-view-phone")
        assert not wide, wide
    finally:
        context.close()


def test_each_drug_suggestion_shows_its_own_cautions(page: Page, server: AppServer) -> None:
    sign_in(page, server, "physiatrist")
    summary = page.request.get(server.url(f"/api/patients/{WARFARIN}")).json()
    suggested = {r["id"] for r in summary["recommendations"]}
    page.goto(server.url(f"/patients/{WARFARIN}"))
    checked = 0
    for caution in summary["cautions"]:
        if caution["about"] in suggested:
            block = page.locator(f"#rec-{caution['about']}")
            expect(block.locator(".drug-cautions")).to_contain_text(caution["summary"])
            checked += 1
    assert checked, "the warfarin patient has a drug suggestion with a caution"
    if "nsaid-indomethacin" in suggested:
        expect(page.locator("#rec-nsaid-indomethacin")).to_contain_text("anticoagulant")
    expect(page.locator("main")).not_to_contain_text("not recommended")
    shot(page, "patient-page")


def test_the_family_view_and_handout_in_spanish(page: Page, server: AppServer) -> None:
    page.set_extra_http_headers({"Accept-Language": "es-MX,es;q=0.9"})
    sign_in(page, server, "family")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Información para usted y su familia")
    expect(page.locator(".when-to-call")).to_contain_text("Llame al 911 ahora")
    expect(page.locator("main")).to_contain_text("hueso")
    shot(page, "family-view-es")
    href = page.get_by_role("link", name=re.compile("PDF")).get_attribute("href") or ""
    assert "lang=es" in href
    pdf = page.request.get(server.url(href))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")
    assert pdf.headers["content-language"] == "es"
    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".when-to-call")).to_contain_text("Call 911 now")
    shot(page, "family-view-en")


def test_docs_screenshots_exam_form_and_letter(page: Page, server: AppServer) -> None:
    sign_in(page, server, "therapist")
    page.goto(server.url(f"/patients/{WARFARIN}/exam"))
    page.locator("#hip-right-flexion").fill("85")
    page.locator("#elbow-left-extension").fill("-30")
    page.locator("#hip-left-flexion").fill("90e")
    page.locator("#hip-right-pain").select_option("yes")
    page.get_by_role("button", name="Save exam").click()
    expect(page.locator("#err-hip-left-flexion")).to_be_visible()
    shot(page, "exam-form")
    # The letter of a recorded referral: the demo server has the directory's stand-in data.
    sign_in(page, server, "physiatrist")
    page.goto(server.url(f"/patients/{MATURE}/referral"))
    page.get_by_label("ZIP code").fill("60611")
    page.get_by_role("button", name="Find surgeons").click()
    page.locator("table.directory-results tbody tr").first.get_by_role(
        "link", name=re.compile("Choose")
    ).click()
    page.get_by_role("button", name="Confirm the referral and make the letter").click()
    expect(page.get_by_role("status")).to_contain_text("Referral recorded")
    shot(page, "referral-letter")


def shot(page: Page, name: str) -> Path:
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    path = DOCS_SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def test_the_axe_check_can_fail(page: Page) -> None:
    """The same check on a page with known faults finds them (so 0 above means 0)."""
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    ids = {v.split(" ")[0] for v in _axe_violations(page)}
    assert {"image-alt", "label", "html-has-lang"} <= ids
