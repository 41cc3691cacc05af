"""What each output shows as its basis, checked in detail (issue 20: mutants that changed a basis,
an order or a label survived because tests only looked at ids and levels).

DESIGN: "Every `basis` names the rule, the knowledge entries and citations it rests on, and the
patient's own inputs (FHIR references, values, dates) that made it fire." All through `evaluate`.
"""

from __future__ import annotations

from typing import Any

import pytest

from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import Condition, Joint, Sex, Side
from hosentinel.knowledge.loader import default_knowledge
from tests.support.recordkit import AS_OF, SCI, Item, ago, cond, finding, record, rom, text_proc

K = default_knowledge()


def assess(*items: Item, sex: Sex = "male") -> dict[str, Any]:
    return assessment_json(evaluate(record(*items, sex=sex), K, AS_OF))


def rec(out: dict[str, Any], rec_id: str) -> dict[str, Any]:
    return next(r for r in out["recommendations"] if r["id"] == rec_id)


def test_a_finding_shows_its_summary_and_the_measured_values() -> None:
    out = assess(cond(SCI, 40), rom("hip", 110, 20), rom("hip", 95, 2), finding("hip-pain", True))
    site = out["suspicion"]["sites"][0]
    by_id = {f["id"]: f for f in site["findings"]}
    assert by_id["pain"]["summary"] == "hip pain"
    assert by_id["rom-loss"]["summary"] == "hip flexion 95° down from 110° (15° loss)"
    values = [(i["what"], i["value"]) for i in by_id["rom-loss"]["basis"]["inputs"]]
    assert values == [("best earlier ROM", 110.0), ("latest ROM", 95.0)]


def test_due_joints_in_order_with_the_last_examination_named() -> None:
    exam = finding("knee-pain", False, 3, side="left")
    out = assess(cond(SCI, 60), finding("knee-pain", False, 20, side="left"), exam)
    due = out["surveillance"]["due"]
    assert [(d["joint"], d["side"]) for d in due] == [
        ("hip", "left"),
        ("hip", "right"),
        ("knee", "left"),
        ("knee", "right"),
    ]
    knee = due[2]
    assert knee["last_examined"] == ago(3).isoformat(), "the latest examination counts"
    assert knee["basis"]["inputs"][-1] == {
        "ref": exam.ref,
        "what": "last examination",
        "date": ago(3).isoformat(),
    }
    assert knee["basis"]["settings"] == ["exam_interval_days"]


def test_serial_exam_basis_names_the_due_joints_and_the_setting() -> None:
    out = assess(cond(SCI, 60))
    exam = rec(out, "serial-joint-exam")
    assert exam["basis"]["settings"] == ["exam_interval_days"]
    assert exam["sites"] == ["left hip", "right hip", "left knee", "right knee"]
    assert exam["basis"]["rule"] == "recommend:joints-due"
    assert exam["basis"]["entries"] == ["recommendations", "index-events"]


def test_rom_baseline_is_missing_until_every_due_joint_is_measured() -> None:
    """Engine: "No range-of-motion measurement yet for a joint under surveillance"."""
    sides: tuple[Side, ...] = ("left", "right")
    joints: list[tuple[Joint, Side]] = [("hip", s) for s in sides] + [("knee", s) for s in sides]
    partly = assess(cond(SCI, 60), rom("hip", 110, 3, side="left"))
    assert "rom-baseline" in {m["id"] for m in partly["missing_inputs"]}
    full = assess(cond(SCI, 60), *(rom(j, 110, 3, side=s) for j, s in joints))
    assert "rom-baseline" not in {m["id"] for m in full["missing_inputs"]}


def test_infection_work_up_names_the_site_and_its_inputs() -> None:
    redness = finding("hip-redness", True)
    out = assess(cond(SCI, 40), redness)
    infection = rec(out, "rule-out-infection")
    assert infection["sites"] == ["right hip"]
    assert infection["basis"]["entries"] == ["recommendations", "diagnostic-tests"]
    assert [i["ref"] for i in infection["basis"]["inputs"]] == [redness.ref]


def test_supportive_labs_name_the_look_back_setting() -> None:
    out = assess(cond(SCI, 40), finding("hip-pain", True))
    for lab_id in ("serum-alp", "serum-crp", "serum-ck"):
        assert rec(out, lab_id)["basis"]["settings"] == ["sign_lookback_days"]


def test_radiograph_note_gives_the_day() -> None:
    out = assess(cond(SCI, 30), finding("hip-pain", True))
    radiograph = rec(out, "plain-radiograph")
    assert radiograph["basis"]["note"] == "Day 30 of the current episode."
    assert radiograph["basis"]["entries"] == ["recommendations", "diagnostic-tests"]


@pytest.mark.parametrize(("day", "offered"), [(20, False), (21, True)])
def test_baseline_radiograph_for_a_confirmed_lesion_from_day_21(day: int, offered: bool) -> None:
    """risk-and-prevention.md:302 "radiographs become positive only after 3 weeks to 2 months":
    a confirmed lesion gets a baseline radiograph (for maturity) from day 21, not before."""
    out = assess(cond(SCI, day), cond("M61.251", 2))
    ids = {r["id"]: r for r in out["recommendations"]}
    rule = ids["plain-radiograph"]["basis"]["rule"] if "plain-radiograph" in ids else None
    assert (rule == "recommend:baseline-radiograph-for-maturity") is offered


def test_a_lesion_shows_its_criteria_evidence_and_citations() -> None:
    out = assess(
        cond(SCI, 400),
        cond("M61.251", 200),
        finding("ho-growth", "stable", 5, "hip"),
        finding("ho-activity", "quiescent", 5, "hip"),
        finding("function-limited", True, 5, "hip"),
    )
    lesion = out["lesions"][0]
    spec = K.maturity
    expected = {c.id for crit in spec.criteria for c in crit.citations}
    expected |= {c.id for c in spec.referral_indications} | {
        e.citation for e in spec.newer_evidence
    }
    assert expected <= set(lesion["basis"]["citations"])
    assert lesion["newer_evidence"] and all(e["text"] for e in lesion["newer_evidence"])
    whats = {i["what"] for i in lesion["basis"]["inputs"]}
    assert {"ho-growth", "ho-activity", "function-limited"} <= whats


def test_due_joints_follow_the_body_order_not_the_alphabet() -> None:
    """TBI: hip, knee, elbow, shoulder (record.JOINTS), left before right."""
    out = assess(cond("S06.5X0A", 60))
    joints = [d["joint"] for d in out["surveillance"]["due"]]
    assert joints == ["hip", "hip", "knee", "knee", "elbow", "elbow", "shoulder", "shoulder"]


def test_after_surgery_education_says_why() -> None:
    out = assess(text_proc("Excision of heterotopic ossification, right hip", 30))
    assert {e["stage"] for e in out["education"]} == {"after-surgery"}
    assert {e["basis"]["note"] for e in out["education"]} == {"HO has been excised"}


def test_at_risk_education_says_why() -> None:
    out = assess(cond(SCI, 40), sex="male")
    notes = {e["basis"]["note"] for e in out["education"]}
    assert notes == {"moderate risk, in or before the window in which HO forms"}


@pytest.mark.parametrize(("extra", "missing"), [((), True), ((cond("T31.40", 30),), False)])
def test_a_burn_without_a_tbsa_band_names_it_missing(
    extra: tuple[Item, ...], missing: bool
) -> None:
    """Engine: "Burn without a TBSA band (T31): a burn over 30% of body surface is a strong risk
    factor." (risk-and-prevention.md:53 "TBSA > 30% | 11.5")."""
    out = assess(cond("T22.311A", 30), *extra)
    assert ("burn-tbsa" in {m["id"] for m in out["missing_inputs"]}) is missing


@pytest.mark.parametrize(("active", "missing"), [(True, True), (False, False)])
def test_pregnancy_without_weeks_names_the_gestational_age(active: bool, missing: bool) -> None:
    """Engine: "Pregnant, but the weeks of gestation are unknown: NSAIDs are avoided from 20
    weeks." A pregnancy that has ended asks for nothing."""
    pregnancy = cond("Z33.1", 30, active=active, ended=None if active else 5)
    out = assess(cond(SCI, 40), pregnancy, sex="female")
    assert ("gestational-age" in {m["id"] for m in out["missing_inputs"]}) is missing


def test_a_lesion_of_unknown_maturity_gets_the_labs() -> None:
    """No imaging follow-up: maturity unknown, so ALP and CRP are offered for the lesion."""
    out = assess(cond(SCI, 100), cond("M61.251", 30))
    assert out["lesions"][0]["maturity"] == "unknown"
    for lab_id in ("serum-alp", "serum-crp"):
        assert rec(out, lab_id)["basis"]["rule"] == "recommend:supportive-lab"


@pytest.mark.parametrize(("code", "side"), [("R22.41", "right"), ("R22.42", "left")])
def test_limb_swelling_code_gives_the_side(code: str, side: str) -> None:
    out = assess(cond(SCI, 40), cond(code, 3))
    sites = out["suspicion"]["sites"]
    assert [(s["joint"], s["side"]) for s in sites] == [(None, side)]


@pytest.mark.parametrize(("code", "side"), [("M61.251", "right"), ("M61.252", "left")])
def test_coded_ho_gives_the_joint_and_side(code: str, side: str) -> None:
    out = assess(cond(SCI, 100), cond(code, 30))
    assert [(s["joint"], s["side"], s["level"]) for s in out["suspicion"]["sites"]] == [
        ("hip", side, "confirmed")
    ]


def test_a_problem_list_entry_in_free_text_counts() -> None:
    """Value sets match free text too: a condition recorded only as text "Fever"."""
    fever = Condition(ref="Condition/fever", codings=(), text="Fever", onset=ago(2))
    out = assess(cond(SCI, 40), finding("hip-pain", True), fever)
    assert "Condition/fever" in {
        i["ref"] for i in rec(out, "rule-out-infection")["basis"]["inputs"]
    }
