"""Both sides of every edge the knowledge base and the local settings define, through `evaluate`.

Each test names the line of ../shared/clinical (or of the local setting, where no source gives a
number) that says whether the edge is inclusive. Values are read from the knowledge base, so a site
that changes a local setting keeps these tests meaningful; `test_shipped_defaults` pins the values
this release ships, so a changed default is a reviewed decision, not an accident.
Issue 20: each of these edges had a planted bug that the suite did not catch.
"""

from __future__ import annotations

from typing import Any

import pytest

from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import Coding, Medication, Sex
from hosentinel.knowledge.loader import default_knowledge
from tests.support.recordkit import (
    AS_OF,
    SCI,
    Item,
    cond,
    finding,
    lab,
    proc,
    record,
    rom,
    text_proc,
)

K = default_knowledge()
EGFR = "62238-1"
ALP = "6768-6"
TEMPERATURE = "8310-5"
THA = "52734007"
EXCISION = "Excision of heterotopic ossification, right hip"


def setting(name: str) -> int:
    return int(K.setting(name))


def assess(*items: Item, sex: Sex = "male") -> dict[str, Any]:
    return assessment_json(evaluate(record(*items, sex=sex), K, AS_OF))


def rec_ids(out: dict[str, Any]) -> set[str]:
    return {r["id"] for r in out["recommendations"]}


def rec_rules(out: dict[str, Any], rec_id: str) -> str | None:
    return next((r["basis"]["rule"] for r in out["recommendations"] if r["id"] == rec_id), None)


def cautions(out: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["about"], c["reason"]) for c in out["cautions"]}


def site_findings(out: dict[str, Any], joint: str, side: str = "right") -> set[str]:
    for site in out["suspicion"]["sites"]:
        if site["joint"] == joint and site["side"] == side:
            return {f["id"] for f in site["findings"]}
    return set()


def due(out: dict[str, Any], joint: str = "hip", side: str = "right") -> dict[str, Any]:
    return next(d for d in out["surveillance"]["due"] if (d["joint"], d["side"]) == (joint, side))


def test_shipped_defaults() -> None:
    """The defaults this release ships (settings.yaml; docs/mutation-testing.md lists them)."""
    shipped = {
        "rom_loss_threshold_degrees": 10,
        "sign_lookback_days": 14,
        "exam_interval_days": 7,
        "low_grade_fever_celsius": 38.0,
        "probable_min_findings": 3,
        "risk_high_min_factors": 2,
        "nsaid_egfr_caution_below": 60,
        "etidronate_egfr_caution_below": 60,
        "fracture_healing_days": 90,
        "recent_cabg_days": 30,
        "radiation_window_days": 4,
        "nsaid_prophylaxis_window_days": 14,
        "post_excision_followup_days": 365,
    }
    assert {k: K.setting(k) for k in shipped} == shipped
    assert K.index_events.window_start_days == 14
    assert K.index_events.window_end_months == 12
    assert K.tests["plain-radiograph"].informative_from_days == 21


# --- the surveillance window ------------------------------------------------------------------


@pytest.mark.parametrize(("days", "phase"), [(13, "before-window"), (14, "in-window")])
def test_window_opens_on_day_14(days: int, phase: str) -> None:
    """diagnosis-and-treatment.md:18 "They can start **2 weeks to 12 months** after the injury or
    event." Day 14 is inside the window."""
    assert K.index_events.window_start_days == 14
    out = assess(cond(SCI, days))
    assert out["surveillance"]["phase"] == phase


@pytest.mark.parametrize(("days", "phase"), [(365, "in-window"), (366, "after-window")])
def test_window_closes_after_day_365(days: int, phase: str) -> None:
    """diagnosis-and-treatment.md:18 "2 weeks to 12 months": the whole twelfth month counts, so
    day 365 (2025-06-01 -> 2026-06-01) is the last day in the window."""
    out = assess(cond(SCI, days))
    assert out["surveillance"]["phase"] == phase
    if phase == "in-window":
        assert out["surveillance"]["window"]["end"] == AS_OF.isoformat()
        assert out["surveillance"]["due"], "joints are still due on the last day"
        assert "serial-joint-exam" in rec_ids(out)
    else:
        assert out["surveillance"]["due"] == []
        assert "serial-joint-exam" not in rec_ids(out)


def test_window_end_on_a_short_month() -> None:
    """12 months after 31 March ends on the last day of the month it lands in (no 31 June)."""
    # AS_OF 2026-06-01; an index event 2025-05-31 -> window ends 2026-05-31 (after-window today).
    out = assess(cond(SCI, 366))
    assert out["surveillance"]["window"]["end"] == "2026-05-31"


@pytest.mark.parametrize(("days", "overdue"), [(14, False), (15, True)])
def test_first_exam_due_when_the_window_opens(days: int, overdue: bool) -> None:
    """The first examination is due on the day the window opens (day 14); due today is not
    overdue, due yesterday is."""
    out = assess(cond(SCI, days))
    first = due(out)
    assert first["due"] == (AS_OF.fromordinal(AS_OF.toordinal() - days + 14)).isoformat()
    assert first["overdue"] is overdue
    exam = next(r for r in out["recommendations"] if r["id"] == "serial-joint-exam")
    assert exam["priority"] == ("soon" if overdue else "routine")


@pytest.mark.parametrize("extra", [0, 1])
def test_joint_due_today_is_not_overdue(extra: int) -> None:
    """Setting exam_interval_days: "Interval between surveillance examinations of a due joint".
    A joint examined exactly one interval ago is due today, not overdue; one day later it is."""
    interval = setting("exam_interval_days")
    out = assess(cond(SCI, 60), finding("hip-pain", False, interval + extra))
    hip = due(out)
    assert hip["due"] == AS_OF.fromordinal(AS_OF.toordinal() - extra).isoformat()
    assert hip["overdue"] is bool(extra)
    assert hip["last_examined"] is not None


def test_only_joints_due_today_are_not_overdue_anywhere() -> None:
    """Every due joint examined one interval ago: the exam recommendation is routine, not soon."""
    interval = setting("exam_interval_days")
    exams = [
        finding(f"{joint}-pain", False, interval, side=side)
        for joint in ("hip", "knee")
        for side in ("left", "right")
    ]
    out = assess(cond(SCI, 60), *exams)
    assert all(not d["overdue"] for d in out["surveillance"]["due"])
    exam = next(r for r in out["recommendations"] if r["id"] == "serial-joint-exam")
    assert exam["priority"] == "routine"


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize(("loss", "counted"), [(0, True), (-1, False)])
def test_rom_loss_exactly_at_the_threshold_counts(loss: int, counted: bool) -> None:
    """Setting rom_loss_threshold_degrees: "Loss of range of motion ... that counts as a finding"
    (the sources say only "progressive loss of ROM", risk-and-prevention / diagnosis line 29):
    a loss equal to the threshold counts, one degree less does not."""
    threshold = setting("rom_loss_threshold_degrees")
    out = assess(cond(SCI, 40), rom("hip", 110, 20), rom("hip", 110 - threshold - loss, 2))
    assert ("rom-loss" in site_findings(out, "hip")) is counted


def test_rom_loss_is_against_the_best_earlier_value() -> None:
    """Loss is measured against the joint's own best earlier value, not the previous one."""
    threshold = setting("rom_loss_threshold_degrees")
    out = assess(
        cond(SCI, 40),
        rom("hip", 110, 30),
        rom("hip", 105, 20),
        rom("hip", 110 - threshold, 2),
    )
    assert "rom-loss" in site_findings(out, "hip")


@pytest.mark.parametrize(("days", "counted"), [(0, True), (1, False)])
def test_sign_lookback_edge(days: int, counted: bool) -> None:
    """Setting sign_lookback_days: "How long a bedside sign ... stays current for suspicion": a
    sign recorded exactly that many days ago still counts."""
    lookback = setting("sign_lookback_days")
    out = assess(cond(SCI, 60), finding("hip-pain", True, lookback + days))
    assert ("pain" in site_findings(out, "hip")) is counted


@pytest.mark.parametrize(("days", "counted"), [(0, True), (1, False)])
def test_rom_loss_lookback_edge(days: int, counted: bool) -> None:
    """The latest ROM measurement must be within sign_lookback_days (inclusive) to count."""
    lookback = setting("sign_lookback_days")
    out = assess(cond(SCI, 60), rom("hip", 110, 40), rom("hip", 90, lookback + days))
    assert ("rom-loss" in site_findings(out, "hip")) is counted


@pytest.mark.parametrize(("celsius", "fever"), [(38.0, True), (37.9, False)])
def test_fever_at_the_limit(celsius: float, fever: bool) -> None:
    """Setting low_grade_fever_celsius: "Body temperature at or above which a reading counts as
    fever" (diagnosis-and-treatment.md:19 "**low-grade fever**" names no number)."""
    out = assess(cond(SCI, 40), finding("hip-pain", True), lab(TEMPERATURE, celsius, 1))
    assert ("fever" in site_findings(out, "hip")) is fever


def test_fever_alone_does_not_make_a_site() -> None:
    """Fever is a whole-body sign: it adds to a site with a local finding, never makes one."""
    out = assess(cond(SCI, 40), lab(TEMPERATURE, 38.6, 1))
    assert out["suspicion"]["level"] == "none"


def test_a_later_normal_temperature_ends_the_fever() -> None:
    out = assess(
        cond(SCI, 40), finding("hip-pain", True), lab(TEMPERATURE, 38.6, 3), lab(TEMPERATURE, 37, 1)
    )
    assert "fever" not in site_findings(out, "hip")


@pytest.mark.parametrize(
    ("signs", "level"),
    [
        (("pain",), "possible"),
        (("pain", "swelling"), "possible"),
        (("pain", "swelling", "warmth"), "probable"),
    ],
)
def test_probable_from_the_number_of_findings(signs: tuple[str, ...], level: str) -> None:
    """Setting probable_min_findings: "Findings at one joint ... that make HO probable without ROM
    loss plus a sign": that many findings (inclusive) make it probable."""
    assert setting("probable_min_findings") == 3
    out = assess(cond(SCI, 40), *(finding(f"elbow-{s}", True) for s in signs))
    assert out["suspicion"]["level"] == level


def test_fever_counts_towards_probable() -> None:
    """Fever is one of the findings the setting counts (pain, swelling, fever = 3)."""
    out = assess(
        cond(SCI, 40),
        finding("elbow-pain", True),
        finding("elbow-swelling", True),
        lab(TEMPERATURE, 38.4, 1),
    )
    assert out["suspicion"]["level"] == "probable"


@pytest.mark.parametrize("sign", ["pain", "swelling", "warmth", "redness"])
def test_rom_loss_plus_each_local_sign_is_probable(sign: str) -> None:
    """diagnosis-and-treatment.md:29 "a history of progressive ROM loss with pain or swelling";
    ROM loss plus any one local sign is probable, each sign on its own."""
    out = assess(
        cond(SCI, 40), rom("elbow", 140, 20), rom("elbow", 120, 2), finding(f"elbow-{sign}", True)
    )
    assert out["suspicion"]["level"] == "probable"


def test_rom_loss_alone_is_possible() -> None:
    out = assess(cond(SCI, 40), rom("elbow", 140, 20), rom("elbow", 120, 2))
    assert out["suspicion"]["level"] == "possible"


# --- work-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param((lab(TEMPERATURE, 38.3, 1),), id="fever-reading"),
        pytest.param((cond("R50.9", 3),), id="fever-on-problem-list"),
        pytest.param((finding("hip-redness", True),), id="redness"),
        pytest.param((finding("hip-warmth", True),), id="warmth"),
    ],
)
def test_each_infection_sign_alone_asks_to_rule_out_infection(extra: tuple[Item, ...]) -> None:
    """diagnosis-and-treatment.md:77 "The fever, swelling, erythema and joint tenderness of early
    HO are hard to tell apart from cellulitis, osteomyelitis or thrombophlebitis": fever alone,
    redness alone and warmth alone each ask for infection to be ruled out."""
    out = assess(cond(SCI, 40), finding("hip-pain", True), *extra)
    assert "rule-out-infection" in rec_ids(out)
    rec = next(r for r in out["recommendations"] if r["id"] == "rule-out-infection")
    refs = {i["ref"] for i in rec["basis"]["inputs"]}
    assert {item.ref for item in extra} <= refs


def test_pain_alone_does_not_ask_to_rule_out_infection() -> None:
    out = assess(cond(SCI, 40), finding("hip-pain", True))
    assert "rule-out-infection" not in rec_ids(out)


@pytest.mark.parametrize(("day", "rec"), [(20, "rule-out-fracture"), (21, "plain-radiograph")])
def test_radiograph_informative_from_day_21(day: int, rec: str) -> None:
    """risk-and-prevention.md:302 "radiographs become positive only after 3 weeks to 2 months":
    before day 21 a radiograph only rules out a fracture; from day 21 it is a test for HO."""
    out = assess(cond(SCI, day), finding("hip-pain", True))
    other = {"rule-out-fracture", "plain-radiograph"} - {rec}
    assert rec in rec_ids(out)
    assert not other & rec_ids(out)


# --- maturity ---------------------------------------------------------------------------------


def _confirmed_hip(alp: float, high: float) -> tuple[Item, ...]:
    return (
        cond(SCI, 400),
        cond("M61.251", 200),
        finding("ho-growth", "stable", 5, "hip"),
        finding("ho-activity", "quiescent", 5, "hip"),
        lab(ALP, alp, 5, high=high),
        finding("function-limited", True, 5, "hip"),
    )


@pytest.mark.parametrize(
    ("alp", "maturity", "referral"),
    [(120.0, "mature", "now"), (120.5, "maturing", "when-mature")],
)
def test_alp_equal_to_the_upper_limit_is_normal(alp: float, maturity: str, referral: str) -> None:
    """diagnosis-and-treatment.md:345 "ALP should be normal." A result equal to the lab's upper
    reference limit is within the range (not raised); just above it is raised."""
    out = assess(*_confirmed_hip(alp, high=120.0))
    lesion = out["lesions"][0]
    assert (lesion["maturity"], lesion["surgical_referral"]) == (maturity, referral)
    assert ("surgical-referral" in rec_ids(out)) is True
    assert rec_rules(out, "surgical-referral") == (
        "recommend:function-limited-mature"
        if referral == "now"
        else "recommend:function-limited-not-mature"
    )


# --- kidney cautions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        pytest.param(
            (cond("N18.30", 100),),
            {("nsaid-indomethacin", "renal-impairment"), ("etidronate", "renal-impairment")},
            id="N18.30-stage-3",
        ),
        pytest.param(
            (cond("N18.31", 100),), {("nsaid-indomethacin", "renal-impairment")}, id="N18.31"
        ),
        pytest.param((cond("N18.2", 100),), set(), id="N18.2-stage-2"),
        pytest.param(
            (cond("433144002", 100, "snomed"),),
            {("etidronate", "renal-impairment")},
            id="snomed-stage-3",
        ),
        pytest.param(
            (cond("N18.4", 100),),
            {
                ("nsaid-indomethacin", "renal-impairment"),
                ("etidronate", "renal-impairment"),
                ("alendronate", "renal-impairment"),
            },
            id="N18.4-stage-4",
        ),
    ],
)
def test_ckd_stage_renal_cautions(items: tuple[Item, ...], expected: set[tuple[str, str]]) -> None:
    """risk-and-prevention.md:416 NSAID label "renal toxicity" and :433 etidronate "Renal
    dysfunction: **reduce dose**" (cut-offs are the local settings, eGFR < 60); :426 alendronate
    "Not recommended if CrCl/GFR < 35 mL/min." Stage 3 (eGFR 30-59) lies wholly below 60 but not
    below 35; stage 4 (15-29) lies below both; stage 2 (60-89) below neither."""
    renal = {c for c in cautions(assess(cond(SCI, 40), *items)) if c[1] == "renal-impairment"}
    assert expected <= renal
    if not expected:
        assert renal == set()
    if ("alendronate", "renal-impairment") not in expected:
        assert ("alendronate", "renal-impairment") not in renal


@pytest.mark.parametrize(
    ("egfr", "nsaid", "alendronate"),
    [(59.0, True, False), (60.0, False, False), (34.0, True, True), (35.0, True, False)],
)
def test_egfr_edges(egfr: float, nsaid: bool, alendronate: bool) -> None:
    """Settings nsaid_egfr_caution_below / etidronate_egfr_caution_below: "eGFR below which ...";
    risk-and-prevention.md:426 "Not recommended if CrCl/GFR < 35 mL/min." Strictly below."""
    found = cautions(assess(cond(SCI, 40), lab(EGFR, egfr, 3)))
    assert (("nsaid-indomethacin", "renal-impairment") in found) is nsaid
    assert (("etidronate", "renal-impairment") in found) is nsaid
    assert (("alendronate", "renal-impairment") in found) is alendronate


def test_latest_egfr_decides_over_a_ckd_code() -> None:
    """A measured eGFR is more specific than the stage on the problem list."""
    found = cautions(assess(cond(SCI, 40), cond("N18.4", 300), lab(EGFR, 75, 3)))
    assert not {c for c in found if c[1] == "renal-impairment"}


# --- other time-limited cautions --------------------------------------------------------------


@pytest.mark.parametrize(("extra", "fires"), [(0, True), (1, False)])
def test_fracture_healing_edge(extra: int, fires: bool) -> None:
    """Setting fracture_healing_days: "Days after a fracture ... during which it is treated as
    healing" (risk-and-prevention: nonunion with indomethacin); the last day counts."""
    days = setting("fracture_healing_days") + extra
    found = cautions(assess(cond("S72.301A", days)))
    assert (("nsaid-indomethacin", "fracture-healing") in found) is fires
    assert (("etidronate", "fracture-healing") in found) is fires


@pytest.mark.parametrize(("extra", "fires"), [(0, True), (1, False)])
def test_recent_cabg_edge(extra: int, fires: bool) -> None:
    """risk-and-prevention.md:414 "Contraindicated around CABG surgery"; setting
    recent_cabg_days gives the period (the last day counts)."""
    days = setting("recent_cabg_days") + extra
    found = cautions(assess(cond(SCI, 40), proc("232717009", days)))
    assert (("nsaid-indomethacin", "recent-cabg") in found) is fires


@pytest.mark.parametrize(("weeks", "fires"), [(20, True), (19, False)])
def test_nsaid_pregnancy_from_20_weeks(weeks: int, fires: bool) -> None:
    """risk-and-prevention.md:417 "FDA advises avoiding NSAIDs from **20 weeks' gestation**"."""
    pregnancy = cond(f"Z3A.{weeks:02d}", 0)
    out = assessment_json(evaluate(record(cond(SCI, 40), pregnancy, sex="female"), K, AS_OF))
    levels = {
        c["level"]
        for c in out["cautions"]
        if c["about"] == "nsaid-indomethacin" and c["reason"] == "pregnancy"
    }
    assert ("contraindicated" in levels) is fires
    assert levels, "any pregnancy keeps the NSAID fetal-toxicity caution"


# --- prophylaxis and after-excision windows ----------------------------------------------------


def _high_risk_tha(days: int) -> dict[str, Any]:
    out = assess(proc(THA, days, side="right"), cond("M45.9", 900))
    assert out["risk"]["level"] == "high"
    return out


@pytest.mark.parametrize(("extra", "offered"), [(0, True), (1, False)])
def test_radiation_window_edge(extra: int, offered: bool) -> None:
    """Setting radiation_window_days ("Delay beyond post-operative day 4 predicted failure
    (Seegenschmiedt 1993)"): day 4 is still offered, day 5 is not."""
    out = _high_risk_tha(setting("radiation_window_days") + extra)
    assert ("radiation-prophylaxis" in rec_ids(out)) is offered


@pytest.mark.parametrize(("extra", "offered"), [(0, True), (1, False)])
def test_nsaid_prophylaxis_window_edge(extra: int, offered: bool) -> None:
    """Setting nsaid_prophylaxis_window_days: "Days after arthroplasty ... during which NSAID
    prophylaxis is offered" (inclusive)."""
    out = _high_risk_tha(setting("nsaid_prophylaxis_window_days") + extra)
    assert (
        rec_rules(out, "nsaid-indomethacin") == "recommend:drug-prophylaxis-hip-surgery"
    ) is offered


def test_no_prophylaxis_when_risk_is_not_high() -> None:
    out = assess(proc(THA, 2, side="right"), sex="female")
    assert out["risk"]["level"] != "high"
    assert not {"radiation-prophylaxis", "nsaid-indomethacin"} & rec_ids(out)


@pytest.mark.parametrize(("extra", "follows"), [(0, True), (1, False)])
def test_post_excision_follow_up_edge(extra: int, follows: bool) -> None:
    """Setting post_excision_followup_days: "Days after HO excision during which the operated
    joint is examined for recurrence" (inclusive)."""
    out = assess(text_proc(EXCISION, setting("post_excision_followup_days") + extra))
    assert (rec_rules(out, "serial-joint-exam") == "recommend:after-excision") is follows
    assert ("rom-therapy" in rec_ids(out)) is follows


@pytest.mark.parametrize("name", ["nsaid_prophylaxis_window_days", "radiation_window_days"])
@pytest.mark.parametrize(("extra", "offered"), [(0, True), (1, False)])
def test_post_excision_prophylaxis_edges(name: str, extra: int, offered: bool) -> None:
    rec = {"nsaid_prophylaxis_window_days": "nsaid-indomethacin"}.get(name, "radiation-prophylaxis")
    out = assess(text_proc(EXCISION, setting(name) + extra))
    assert (rec_rules(out, rec) == "recommend:drug-post-excision") is offered


# --- risk level and education -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "level"),
    [
        ((), "low"),
        ((cond("F17.210", 30),), "moderate"),
        ((cond("F17.210", 30), cond("J18.9", 20)), "high"),
    ],
)
def test_risk_level_by_factor_count(extra: tuple[Item, ...], level: str) -> None:
    """Setting risk_high_min_factors: "Number of distinct cited risk factors that makes the level
    high" (inclusive). Smoking (OR 2.88) and pneumonia (OR 2.86) are not strong on their own."""
    assert setting("risk_high_min_factors") == 2
    out = assess(cond(SCI, 40), *extra, sex="female")
    assert out["risk"]["level"] == level


@pytest.mark.parametrize(
    ("days", "extra", "stage"),
    [
        pytest.param(40, (), None, id="low-risk-in-window"),
        pytest.param(5, (), None, id="low-risk-before-window"),
        pytest.param(400, (), None, id="low-risk-after-window"),
        pytest.param(40, (cond("F17.210", 30),), "at-risk", id="moderate-risk-in-window"),
        pytest.param(5, (cond("F17.210", 30),), "at-risk", id="moderate-risk-before-window"),
        pytest.param(400, (cond("F17.210", 30),), None, id="moderate-risk-after-window"),
    ],
)
def test_at_risk_education(days: int, extra: tuple[Item, ...], stage: str | None) -> None:
    """DESIGN step 8: "the right material for the patient's stage (at risk, ...)". The at-risk
    module tells the family the team thinks the chance of HO is higher, so it needs a raised
    level; and HO forms "2 weeks to 12 months" after the event (AAPM&R), so only in or before
    the window. Issue 12 found the handout given to low-risk patients."""
    out = assess(cond(SCI, days), *extra, sex="female")
    assert {e["stage"] for e in out["education"]} == ({stage} if stage else set())
    if stage:
        assert {e["level"] for e in out["education"]} == {"basics", "detailed"}


# --- pregnancy dating and what a caution shows ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "days", "contraindicated", "pregnant"),
    [
        pytest.param("Z3A.18", 14, True, True, id="18-weeks-two-weeks-ago-is-20"),
        pytest.param("Z3A.18", 7, False, True, id="18-weeks-one-week-ago-is-19"),
        pytest.param("Z3A.01", 0, False, True, id="under-8-weeks"),
        pytest.param("Z3A.30", 200, False, False, id="dated-long-ago-no-longer-pregnant"),
    ],
)
def test_gestational_age_counts_on_from_its_date(
    code: str, days: int, contraindicated: bool, pregnant: bool
) -> None:
    """risk-and-prevention.md:417 "FDA advises avoiding NSAIDs from **20 weeks' gestation**": the
    weeks are those on the as-of date, counted on from the date the Z3A code was recorded."""
    out = assess(cond(SCI, 40), cond(code, days), sex="female")
    nsaid = {
        c["level"]
        for c in out["cautions"]
        if (c["about"], c["reason"]) == ("nsaid-indomethacin", "pregnancy")
    }
    assert ("contraindicated" in nsaid) is contraindicated
    assert bool(nsaid) is pregnant


def test_a_medication_caution_shows_the_medication() -> None:
    """Every output carries its basis: the caution names the patient's own medication entry."""
    warfarin = Medication(
        ref="MedicationRequest/w1",
        codings=(Coding("rxnorm", "11289", "Warfarin"),),
        start=AS_OF,
        active=True,
    )
    out = assess(cond(SCI, 40), warfarin)
    caution = next(
        c
        for c in out["cautions"]
        if (c["about"], c["reason"]) == ("nsaid-indomethacin", "anticoagulant")
    )
    assert caution["basis"]["inputs"] == [
        {
            "ref": "MedicationRequest/w1",
            "what": "Warfarin",
            "value": "11289",
            "date": AS_OF.isoformat(),
        }
    ]


def test_an_unstaged_ckd_code_asks_for_the_egfr() -> None:
    """A CKD code without a stage (N18.9, or the bare category N18) gives no kidney caution and
    names the eGFR as missing once a drug is recommended (early HO after SCI -> NSAID)."""
    for code in ("N18.9", "N18"):
        out = assess(
            cond(SCI, 40),
            cond(code, 100),
            finding("bone-scan-ho", "positive", 2, "hip"),
        )
        assert not {c for c in cautions(out) if c[1] == "renal-impairment"}
        assert "egfr" in {m["id"] for m in out["missing_inputs"]}
