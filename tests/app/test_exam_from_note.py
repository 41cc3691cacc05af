"""Paste a note into the exam form: the reader proposes signs and ranges of motion with their
sentence; only what the clinician ticks fills the exam, nothing is saved before they save, and
negated or hypothetical mentions are never proposed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.app.exam.from_note import MAX_NOTE_CHARS, apply_accepted, proposals
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from tests.support.appkit import SignedIn

KB = default_knowledge()
NOTE = (
    "PT note. R hip PROM flexion 80 deg, previously 110. Right hip is warm and swollen.\n"
    "No redness of the left knee. Watch for warmth in the left elbow. Pain in the hip with ROM."
)
PATIENT = "03-sci-hip-rom-loss-probable.json"


def test_the_note_proposes_present_findings_with_their_sentence() -> None:
    found = proposals(NOTE, KB)
    by_field = {p.field: p for p in found}
    flexion = by_field["hip-right-flexion"]
    assert flexion.value == "80" and "80" in flexion.label and "110" in flexion.label
    assert flexion.mention and flexion.mention in NOTE
    assert (flexion.before + flexion.mention + flexion.after).startswith("R hip PROM flexion")
    assert by_field["hip-right-warmth"].value == "yes"
    assert by_field["hip-right-swelling"].value == "yes"
    # Negated ("No redness") and hypothetical ("Watch for warmth") mentions: never proposed.
    assert "knee-left-redness" not in by_field and "elbow-left-warmth" not in by_field
    # "Pain in the hip": no side, shown without a box to tick.
    painful = [p for p in found if p.field is None]
    assert [p.label for p in painful] == ["Hip (side not said) pain: yes"]
    assert not any(p.accepted for p in found)
    ticked = proposals(NOTE, KB, ["hip-right-warmth=yes"])
    assert [p.field for p in ticked if p.accepted] == ["hip-right-warmth"]


def test_only_ticked_proposals_fill_only_empty_fields() -> None:
    values = {"exam_date": "2026-06-01", "hip-right-flexion": "85"}
    allowed = ["exam_date", "hip-right-flexion", "hip-right-warmth", "hip-right-swelling"]
    out, filled = apply_accepted(
        values,
        ["hip-right-flexion=80", "hip-right-warmth=yes", "csrf_token=x", "bogus"],
        allowed,
    )
    assert out == {**values, "hip-right-warmth": "yes"} and filled == 1


def test_a_huge_note_is_refused_with_a_message(
    signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[PATIENT]
    therapist = signed_in("therapist")
    r: Any = therapist.client.post(
        f"/patients/{pid}/exam/read-note",
        data={"note": "swollen knee. " * (MAX_NOTE_CHARS // 10), "csrf_token": therapist.csrf},
    )
    assert r.status_code == 422 and "too long to read here" in r.text


def test_paste_read_tick_save_over_http(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[PATIENT]
    therapist = signed_in("therapist")
    form = therapist.client.get(f"/patients/{pid}/exam").text
    version = re.search(r'name="version" value="(\d+)"', form)
    assert version and 'formaction="/patients/' in form
    base = {"csrf_token": therapist.csrf, "version": version[1], "exam_date": "2026-06-01"}
    with app.state.sessionmaker() as s:
        before = s.scalar(select(m.Patient.version).where(m.Patient.id == pid))
    read: Any = therapist.client.post(
        f"/patients/{pid}/exam/read-note", data={**base, "note": NOTE}
    )
    assert read.status_code == 200
    assert 'value="hip-right-flexion=80"' in read.text and "<mark>" in read.text
    assert 'value="hip-right-flexion=80" checked' not in read.text
    with app.state.sessionmaker() as s:
        assert s.scalar(select(m.Patient.version).where(m.Patient.id == pid)) == before
    saved: Any = therapist.client.post(
        f"/patients/{pid}/exam",
        data={**base, "note": NOTE, "accept": ["hip-right-flexion=80"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[:2000]
    with app.state.sessionmaker() as s:
        rows = s.scalars(
            select(m.Observation).where(
                m.Observation.patient_id == pid, m.Observation.entered_by.is_not(None)
            )
        ).all()
        codes = {(o.codings[0]["code"], o.site_side, o.value_quantity, o.value_bool) for o in rows}
        assert ("hip-flexion-rom", "right", 80.0, None) in codes
        # The warmth and swelling were proposed but not ticked: not saved.
        assert not any(c[0] in ("hip-warmth", "hip-swelling") for c in codes)
        what = s.scalars(
            select(m.AuditEntry.what)
            .where(m.AuditEntry.patient_id == pid)
            .order_by(m.AuditEntry.id.desc())
        ).first()
        assert what is not None and "1 confirmed from a pasted note" in what
