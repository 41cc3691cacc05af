"""Findings read from notes enter the assessment like coded ones, with the sentence as basis."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import PatientRecord
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, load_knowledge
from tests.support.notekit import bundle, finding, note, report, sci

NOTE = """PT progress note
S: Pt c/o pain in R hip with transfers.
O: R hip warm and swollen. L hip: no swelling.
PROM R hip flexion 80 deg, previously 110 deg.
Family history: mother had DVT.
Plan: monitor for redness of the L knee.
"""


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def record(knowledge: Knowledge, *resources: dict[str, Any]) -> PatientRecord:
    return read_bundle(bundle(sci(), *resources), knowledge)


def site(assessment: dict[str, Any], joint: str, side: str) -> dict[str, Any] | None:
    for s in assessment["suspicion"]["sites"]:
        if (s["joint"], s["side"]) == (joint, side):
            found: dict[str, Any] = s
            return found
    return None


def assess(knowledge: Knowledge, as_of: date, *resources: dict[str, Any]) -> dict[str, Any]:
    return assessment_json(evaluate(record(knowledge, *resources), knowledge, as_of))


def test_a_note_makes_a_probable_site_with_the_sentence_as_basis(knowledge: Knowledge) -> None:
    out = assess(knowledge, date(2026, 12, 2), note("n1", NOTE))
    hip = site(out, "hip", "right")
    assert hip is not None and hip["level"] == "probable"
    swelling = next(f for f in hip["findings"] if f["id"] == "swelling")
    assert swelling["basis"]["inputs"] == [
        {
            "ref": "DocumentReference/n1",
            "what": "hip-swelling (from note)",
            "value": "O: R hip warm and swollen.",
            "date": "2026-11-30",
        }
    ]
    loss = next(f for f in hip["findings"] if f["id"] == "rom-loss")
    assert "80° down from 110°" in loss["summary"]
    # Negated, hypothetical and other-person mentions made no site.
    assert site(out, "hip", "left") is None and site(out, "knee", "left") is None


def test_a_note_after_as_of_is_ignored(knowledge: Knowledge) -> None:
    out = assess(knowledge, date(2026, 11, 29), note("n1", NOTE))
    assert out["suspicion"]["level"] == "none"


def test_a_coded_finding_on_the_same_day_and_site_wins(knowledge: Knowledge) -> None:
    coded = finding("o1", "hip-swelling", "right", "2026-11-30", valueBoolean=False)
    rec = record(knowledge, note("n1", "R hip swollen."), coded)
    swelling = [o for o in rec.observations if o.codings[0].code == "hip-swelling"]
    assert [o.ref for o in swelling] == ["Observation/o1"]
    # Another day: both stand.
    coded = finding("o1", "hip-swelling", "right", "2026-11-29", valueBoolean=False)
    rec = record(knowledge, note("n1", "R hip swollen."), coded)
    assert {o.ref for o in rec.observations} == {"Observation/o1", "DocumentReference/n1"}


def test_a_coded_rom_wins_with_the_earlier_value_the_note_gave(knowledge: Knowledge) -> None:
    coded = finding(
        "o1", "knee-flexion-rom", "left", "2026-11-30", valueQuantity={"value": 100, "unit": "deg"}
    )
    rec = record(knowledge, note("n1", "L knee flexion 80 deg, previously 110 deg."), coded)
    assert [o.ref for o in rec.observations] == ["Observation/o1"]


def test_superseded_and_entered_in_error_notes_are_not_read(knowledge: Knowledge) -> None:
    rec = record(
        knowledge,
        note("n1", "R hip swollen.", status="superseded"),
        note("n2", "R hip swollen.", status="entered-in-error"),
    )
    assert rec.observations == ()


def test_copied_forward_text_counts_once(knowledge: Knowledge) -> None:
    rec = record(
        knowledge,
        note("n1", "R knee warm.", "2026-11-20T09:00:00Z"),
        note("n2", "R knee warm.\nL knee swollen.", "2026-11-27T09:00:00Z"),
    )
    assert sorted((o.ref, o.codings[0].code) for o in rec.observations) == [
        ("DocumentReference/n1", "knee-warmth"),
        ("DocumentReference/n2", "knee-swelling"),
    ]


def test_reports_confirm_and_settle_dvt(knowledge: Knowledge) -> None:
    rec = record(
        knowledge,
        report(
            "r1",
            "NM bone scan three phase right hip",
            "Increased uptake in all three phases, consistent with heterotopic ossification.",
        ),
        report("r2", "US duplex venous right lower extremity", "No evidence of DVT."),
    )
    got = {
        (o.codings[0].code, o.site.joint, o.site.side, o.value_code, o.value_bool)
        for o in rec.observations
    }
    assert got == {
        ("bone-scan-ho", "hip", "right", "positive", None),
        ("dvt", None, "right", None, False),
    }
    out = assessment_json(evaluate(rec, knowledge, date(2026, 12, 2)))
    hip = site(out, "hip", "right")
    assert hip is not None and hip["level"] == "confirmed"
    scan = hip["findings"][0]["basis"]["inputs"][0]
    assert scan["ref"] == "DiagnosticReport/r1"
    assert scan["what"] == "bone-scan-ho (from note)"
    assert scan["value"].startswith("Increased uptake")


def test_notes_are_not_read_without_the_knowledge_base() -> None:
    rec = read_bundle(bundle(sci(), note("n1", "R hip swollen.")))
    assert rec.observations == ()
