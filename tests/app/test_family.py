"""The family view: education for the patient's stage in plain words, and a printable PDF."""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from dataclasses import replace
from datetime import date

import pytest
from fastapi import FastAPI

from hosentinel.app.pages.family import HANDOUT_HEADER, family_info, handout_html, text_blocks
from hosentinel.knowledge.loader import default_knowledge
from tests.support.appkit import SignedIn

FAMILY_PATIENT = "03-sci-hip-rom-loss-probable.json"
NO_STAGE = "27-no-index-event-knee-arthritis.json"
BASICS_TITLE = "Your team is checking for bone in the wrong place"
DETAILED_TITLE = "Checking for heterotopic ossification: tests and next steps"


def pdf_outline(pdf: bytes) -> list[str]:
    """The titles in a WeasyPrint PDF's document information and outline (one bookmark per
    heading), read from its compressed object streams."""
    titles: list[str] = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(match.group(1))
        except zlib.error:
            continue
        for hex_text in re.findall(rb"/Title <feff([0-9a-fA-F]*)>", data):
            titles.append(bytes.fromhex(hex_text.decode()).decode("utf-16-be"))
        for literal in re.findall(rb"/Title \(((?:[^()\\]|\\.)*)\)", data):
            titles.append(literal.decode("latin-1"))
    return titles


def test_family_member_reads_their_patients_stage_in_plain_words(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # HOSENTINEL_UNITS, as the app read it at start-up (test_environment_settings: the name).
    units = {"Rehab unit": {"team": "4 West rehab team", "phone": "(555) 010-0123"}}
    config = app.state.config
    settings = config.settings.model_copy(update={"units": json.dumps(units)})
    monkeypatch.setattr(app.state, "config", replace(config, settings=settings))
    family = signed_in("family")
    patient = demo_patient_ids[FAMILY_PATIENT]
    page = family.client.get(f"/patients/{patient}/family")
    assert page.status_code == 200
    text = page.text
    assert "Where things are now: <strong>Being checked</strong>" in text
    # Basics first, the detailed module folded away in <details>.
    assert text.index(BASICS_TITLE) < text.index("<details>") < text.index(DETAILED_TITLE)
    assert "<li>A bone scan. It can show HO early.</li>" in text
    assert "When to call" in text and "A joint that gets stiffer or harder to move" in text
    assert f'href="/patients/{patient}/family/handout.pdf?lang=en"' in text
    # About this person: name (the demo's names are its case titles), the joint, team, phone.
    assert "About Complete SCI, day 61" in text
    assert "Joint the team is watching:</strong> the right hip" in text
    assert "4 West rehab team" in text
    assert '<a class="tel" href="tel:5550100123">(555) 010-0123</a>' in text
    assert 'href="tel:911"' in text
    assert "trouble breathing" in text and "chest pain" in text
    # Nothing from the clinician view: no codes, rule ids, citations, no review dates.
    for clinical in ("icd10", "S14.", "rec:", "cit-", "edu-suspected", "probable", "next review"):
        assert clinical not in text, clinical
    assert "Decision support for clinicians" not in text
    assert 'href="/"' not in text.replace('class="brand" href="/"', "")  # no worklist link


def test_the_handout_is_a_real_pdf_with_the_modules(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    family = signed_in("family")
    response = family.client.get(f"/patients/{demo_patient_ids[FAMILY_PATIENT]}/family/handout.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["cache-control"] == "no-store"
    pdf = response.content
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1024 and pdf.rstrip().endswith(b"%%EOF")
    outline = pdf_outline(pdf)
    assert HANDOUT_HEADER["en"] in outline  # the document title
    assert BASICS_TITLE in outline and f"More detail: {DETAILED_TITLE}" in outline
    assert "When to call" in outline

    # The HTML the PDF was made from: header, modules, footer.
    knowledge = default_knowledge()
    info = family_info(knowledge, "suspected", ["edu-suspected-basics", "edu-suspected-detailed"])
    html = handout_html(app.state.templates, info, date(2026, 6, 1))
    assert "size: A4" in html and f'content: "{HANDOUT_HEADER["en"]}"' in html
    assert BASICS_TITLE in html and DETAILED_TITLE in html
    assert "This is general information, not advice about one person" in html
    assert "Reviewed by: HO Sentinel clinical reviewer" in html
    assert "font: 12.5pt" in html and "next review" not in html
    large = handout_html(app.state.templates, info, date(2026, 6, 1), "large")
    assert "font: 16pt" in large


def test_education_api_gives_both_levels(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    body = (
        signed_in("family")
        .client.get(f"/api/patients/{demo_patient_ids[FAMILY_PATIENT]}/education")
        .json()
    )
    assert body["stage"] == "suspected" and body["stage_name"] == "Being checked"
    assert [(m["level"], m["title"]) for m in body["modules"]] == [
        ("basics", BASICS_TITLE),
        ("detailed", DETAILED_TITLE),
    ]
    assert body["modules"][0]["body"].startswith("Your team has seen signs")
    assert body["knowledge_release"] == default_knowledge().release
    assert body["review_date"] == "2026-11-25"


def test_a_patient_without_a_stage_gets_a_plain_message(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    nurse = signed_in("nurse")
    patient = demo_patient_ids[NO_STAGE]
    page = nurse.client.get(f"/patients/{patient}/family")
    assert page.status_code == 200
    assert "There is no information sheet for this stage yet. Please ask the care" in page.text
    body = nurse.client.get(f"/api/patients/{patient}/education").json()
    assert body["stage"] is None and body["modules"] == []
    assert "A joint that gets stiffer" not in page.text
    assert "Call 911 now" in page.text  # the safety box is always there
    pdf = nurse.client.get(f"/patients/{patient}/family/handout.pdf").content
    assert pdf.startswith(b"%PDF-")
    assert HANDOUT_HEADER["en"] in pdf_outline(pdf)


def test_clinicians_may_open_the_family_view(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    for username in ("physiatrist", "therapist", "nurse", "lead"):
        page = signed_in(username).client.get(
            f"/patients/{demo_patient_ids[FAMILY_PATIENT]}/family"
        )
        assert page.status_code == 200 and BASICS_TITLE in page.text, username


def test_text_blocks_read_paragraphs_headings_and_lists() -> None:
    body = (
        "First line of a paragraph\ncontinues here.\n\n"
        "A heading\n\n"
        "Tell the team about:\n- one thing\n- a long item that\n  goes on.\nAfter the list.\n"
    )
    blocks = [(b.kind, b.text, b.items) for b in text_blocks(body)]
    assert blocks == [
        ("p", "First line of a paragraph continues here.", ()),
        ("h", "A heading", ()),
        ("p", "Tell the team about:", ()),
        ("ul", "", ("one thing", "a long item that goes on.")),
        ("p", "After the list.", ()),
    ]
    # Every bundled module reads without losing a word.
    for module in default_knowledge().education:
        words = re.findall(r"[A-Za-z0-9']+", module.body)
        parsed = " ".join(b.text + " " + " ".join(b.items) for b in text_blocks(module.body))
        assert re.findall(r"[A-Za-z0-9']+", parsed) == words, module.id
