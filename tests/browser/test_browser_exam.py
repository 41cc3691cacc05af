"""A therapist records a joint exam: signs of HO raise the suspicion and the patient moves up the
worklist; a wrong value is refused with a clear message and nothing typed is lost."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.browserkit import AppServer, demo_patient_id, screenshot, sign_in, worklist_order

# A low-risk stroke patient in the surveillance window with no sign of HO today: near the foot
# of the worklist.
QUIET_PATIENT = demo_patient_id("11-stroke-ischaemic-low-risk.json")
# Another quiet patient, for the validation test (this module's server is shared by its tests).
OTHER_PATIENT = demo_patient_id("13-burn-small-low-risk.json")


def _row(page: Page, patient_id: str) -> dict[str, object]:
    row = page.locator(f'table.worklist tr[data-patient="{patient_id}"]')
    cells = row.locator("td")
    return {
        "attention": cells.nth(1).locator(".tag").all_inner_texts(),
        "suspicion": cells.nth(2).inner_text().strip(),
    }


def test_an_exam_with_signs_of_ho_moves_the_patient_up_the_worklist(
    page: Page, server: AppServer
) -> None:
    sign_in(page, server, "therapist")
    before = worklist_order(page, server)
    position_before = before.index(QUIET_PATIENT)
    assert _row(page, QUIET_PATIENT)["suspicion"] == "none"
    assert position_before >= 10, before
    screenshot(page, "exam-1-worklist-before")

    page.goto(server.url(f"/patients/{QUIET_PATIENT}"))
    page.get_by_role("link", name="Record a joint exam").click()
    expect(page).to_have_url(server.url(f"/patients/{QUIET_PATIENT}/exam"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Joint exam")
    # Today is filled in; the left hip is stiffer, painful, swollen and warm.
    expect(page.locator("#exam_date")).to_have_value("2026-06-01")
    page.locator("#hip-left-flexion").fill("85")
    page.locator("#hip-left-abduction").fill("20")
    for sign in ("pain", "swelling", "warmth"):
        page.locator(f"#hip-left-{sign}").select_option("yes")
    screenshot(page, "exam-2-form-filled")
    page.get_by_role("button", name="Save exam").click()

    expect(page).to_have_url(re.compile(rf"/patients/{QUIET_PATIENT}\?saved=\d+$"))
    expect(page.get_by_role("status").filter(has_text="Exam saved")).to_be_visible()
    suspicion = page.locator("section", has=page.locator("h2#suspicion"))
    expect(suspicion.locator("h2#suspicion .level")).to_have_text("probable")
    expect(suspicion.locator('[data-site="hip-left"] h3')).to_contain_text("probable")
    screenshot(page, "exam-3-patient-after")

    after = worklist_order(page, server)
    position_after = after.index(QUIET_PATIENT)
    row = _row(page, QUIET_PATIENT)
    assert row["suspicion"] == "probable"
    assert "HO probable" in row["attention"]  # type: ignore[operator]
    assert position_after < position_before
    assert position_after <= 5, after
    assert sorted(after) == sorted(before)  # same patients, new order
    screenshot(page, "exam-4-worklist-after")


def test_a_typo_comes_back_in_its_field_and_nothing_is_saved(page: Page, server: AppServer) -> None:
    sign_in(page, server, "therapist")
    page.goto(server.url(f"/patients/{OTHER_PATIENT}/exam"))
    page.locator("#exam_date").fill("2026-06-09")  # in the future
    # "90e" is what a number field would silently drop; typed with the keyboard here.
    page.locator("#hip-left-flexion").press_sequentially("90e")
    page.locator("#knee-right-flexion").fill("250")  # out of range
    page.locator("#knee-left-flexion").fill("120")  # fine, and must be kept too
    page.locator("#knee-right-swelling").select_option("yes")
    # Enter in a field moves on; it does not submit a half-filled exam.
    page.locator("#knee-left-flexion").press("Enter")
    expect(page).to_have_url(server.url(f"/patients/{OTHER_PATIENT}/exam"))
    expect(page.get_by_role("alert")).to_have_count(0)
    page.get_by_role("button", name="Save exam").click()

    summary = page.get_by_role("alert").filter(has_text="Not saved")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Everything you typed is still in its field")
    expect(page.locator("#err-hip-left-flexion")).to_contain_text("“90e” is not a number")
    expect(page.locator("#err-knee-right-flexion")).to_be_visible()
    expect(page.locator("#err-exam_date")).to_be_visible()
    expect(page.locator("#hip-left-flexion")).to_have_attribute("aria-invalid", "true")
    # Every value is still there, as typed.
    expect(page.locator("#exam_date")).to_have_value("2026-06-09")
    expect(page.locator("#hip-left-flexion")).to_have_value("90e")
    expect(page.locator("#knee-right-flexion")).to_have_value("250")
    expect(page.locator("#knee-left-flexion")).to_have_value("120")
    expect(page.locator("#knee-right-swelling")).to_have_value("yes")
    screenshot(page, "exam-validation-errors")

    # Nothing was saved: the patient is as quiet as before, with no exam today.
    page.goto(server.url(f"/patients/{OTHER_PATIENT}"))
    expect(page.locator("main")).not_to_contain_text("2026-06-09")
    worklist_order(page, server)
    assert _row(page, OTHER_PATIENT)["suspicion"] == "none"

    # Corrected, it saves.
    page.goto(server.url(f"/patients/{OTHER_PATIENT}/exam"))
    page.locator("#knee-right-flexion").fill("120")
    page.locator("#knee-right-swelling").select_option("yes")
    page.get_by_role("button", name="Save exam").click()
    expect(page).to_have_url(re.compile(rf"/patients/{OTHER_PATIENT}\?saved=2$"))
    worklist_order(page, server)
    assert _row(page, OTHER_PATIENT)["suspicion"] == "possible"


def test_elbow_extension_minus_30_is_saved_and_read_as_lacking(
    page: Page, server: AppServer
) -> None:
    patient = demo_patient_id("07-tbi-coma-autonomic-high-risk.json")
    sign_in(page, server, "therapist")
    page.goto(server.url(f"/patients/{patient}/exam"))
    field = page.locator("#elbow-left-extension")
    expect(page.locator("#hint-elbow-left-extension")).to_contain_text("0 = full extension")
    field.press_sequentially("-30")
    change = page.locator("#elbow-left-extension ~ output.change")
    if field.get_attribute("data-last") is not None:
        expect(change).to_contain_text("since last")
    page.get_by_role("button", name="Save exam").click()
    expect(page).to_have_url(re.compile(rf"/patients/{patient}\?saved=1$"))
    expect(page.locator("table.exams")).to_contain_text("extension -30° (lacks 30°)")
    page.goto(server.url(f"/patients/{patient}/exam"))
    expect(page.locator("#hint-elbow-left-extension")).to_contain_text("Last: -30° (lacks 30°)")
    page.locator("#elbow-left-extension").fill("-40")
    expect(page.locator("#elbow-left-extension ~ output.change")).to_have_text("−10° since last")
    screenshot(page, "exam-signed-extension")
