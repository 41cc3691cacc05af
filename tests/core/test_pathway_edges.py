"""Edges of the pathway steps split out of the planner in issue 12 (the DVT gate, the drug options,
the work-up, after excision, the `next`/`also` tiers), through the output JSON only.

Written against surviving mutants of `make mutate` (issue 20): each test names the line of
../shared/DESIGN.md, ../shared/clinical/*.md or the local setting it rests on.
"""

from __future__ import annotations

import pytest

from hosentinel.core.record import Condition
from tests.support.edgekit import (
    EARLY_RIGHT_HIP,
    EXCISION,
    THA,
    K,
    assess,
    dvt_duplex,
    hip_excision,
    quantity,
    recs,
    with_setting,
)
from tests.support.recordkit import SCI, ago, cond, finding, proc, rom, text_proc

# --- drug options after excision --------------------------------------------------------------


@pytest.mark.parametrize(("extra", "offered"), [(0, True), (1, False)])
def test_post_excision_drug_options_end_with_the_follow_up(extra: int, offered: bool) -> None:
    """Setting post_excision_followup_days: "Days after HO excision during which the operated
    joint is examined for recurrence and therapy continues" (inclusive). A site whose NSAID window
    is longer than its follow-up still offers nothing after excision once the follow-up is over:
    the post-excision stage ends with it."""
    follow_up = int(K.setting("post_excision_followup_days"))
    site = with_setting("nsaid_prophylaxis_window_days", follow_up + 30)
    out = assess(text_proc(EXCISION, follow_up + extra), knowledge=site)
    nsaid = recs(out).get("nsaid-indomethacin")
    assert (nsaid is not None and nsaid["basis"]["rule"] == "recommend:drug-post-excision") is (
        offered
    )


def test_the_excision_is_the_basis_of_a_post_excision_option() -> None:
    """DESIGN.md: "Every recommendation carries its basis ... the patient's own inputs (FHIR
    references, values, dates) that made it fire"."""
    excision = text_proc(EXCISION, 2)
    out = assess(excision)
    nsaid = recs(out)["nsaid-indomethacin"]
    assert nsaid["basis"]["rule"] == "recommend:drug-post-excision"
    assert excision.ref in {i["ref"] for i in nsaid["basis"]["inputs"]}
    assert "nsaid_prophylaxis_window_days" in nsaid["basis"]["settings"]


# --- pregnancy dating -------------------------------------------------------------------------


def test_z3a_00_is_a_pregnancy_of_unknown_weeks() -> None:
    """ICD-10-CM Z3A.00 "Weeks of gestation of pregnancy not specified": the 20-week NSAID rule
    (risk-and-prevention.md §4.8, "FDA advises avoiding NSAIDs from 20 weeks' gestation") cannot
    be decided, so the gestational age is named as missing."""
    out = assess(*EARLY_RIGHT_HIP, cond("Z3A.00", 10), sex="female")
    assert "gestational-age" in {m["id"] for m in out["missing_inputs"]}


def test_z3a_01_counts_on_from_under_8_weeks() -> None:
    """ICD-10-CM Z3A.01 "Less than 8 weeks gestation of pregnancy": recorded 21 weeks ago, the
    pregnancy is now at least 21 weeks, past the FDA's 20 weeks (risk-and-prevention.md §4.8)."""
    out = assess(*EARLY_RIGHT_HIP, cond("Z3A.01", 21 * 7), sex="female")
    assert ("nsaid-indomethacin", "pregnancy", "contraindicated") in {
        (c["about"], c["reason"], c["level"]) for c in out["cautions"]
    }
    assert "nsaid-indomethacin" not in recs(out)
    assert "gestational-age" not in {m["id"] for m in out["missing_inputs"]}


# --- the DVT gate -----------------------------------------------------------------------------


def test_a_swollen_leg_holds_back_only_its_own_side() -> None:
    """diagnosis-and-treatment.md §2: acute hip HO "appears to favour ipsilateral DVT"; DESIGN.md:
    the DVT question is settled "on the same side". A swollen right knee waits for its DVT
    work-up; therapy for HO at the left knee does not wait for it."""
    left_knee_ho = cond("M61.262", 30)  # M61.26x lower leg (knee), 6th character 2 = left
    out = assess(cond(SCI, 40), left_knee_ho, finding("knee-swelling", True, 3, "knee", "right"))
    by_id = recs(out)
    assert by_id["rule-out-dvt"]["sites"] == ["right knee"]
    therapy = by_id["rom-therapy"]
    assert therapy["sites"] == ["left knee"]
    assert "waits_for" not in therapy


def test_an_unsided_swollen_leg_needs_both_sides_settled() -> None:
    """DESIGN.md: a `dvt` finding settles the question only "on the same side"; a swollen leg
    with no side recorded could be either, so a duplex of one side does not settle it. ICD-10-CM
    R22.40: localized swelling, unspecified lower limb."""
    unsided = cond("R22.40", 3)
    one_side = assess(cond(SCI, 40), unsided, dvt_duplex(False, "right", 1))
    assert "rule-out-dvt" in recs(one_side)
    both = assess(
        cond(SCI, 40), unsided, dvt_duplex(False, "right", 1), dvt_duplex(False, "left", 1)
    )
    assert "rule-out-dvt" not in recs(both)


# --- the basis of each work-up item -----------------------------------------------------------

WORK_UP = {
    "rule-out-dvt",
    "rule-out-infection",
    "rule-out-fracture",
    "triple-phase-bone-scan",
    "repeat-bone-scan",
    "plain-radiograph",
    "ultrasound-soft-tissue",
    "serum-alp",
    "serum-crp",
    "serum-ck",
}


@pytest.mark.parametrize("day", [18, 30])
def test_every_work_up_item_names_the_diagnostic_tests_entry(day: int) -> None:
    """DESIGN.md: "Every `basis` names the rule, the knowledge entries and citations it rests
    on". The work-up (tests.yaml, entry `diagnostic-tests`) is what each test rests on; before
    and after day 21 (risk-and-prevention.md: radiographs positive "only after 3 weeks")."""
    out = assess(
        cond(SCI, day),
        finding("hip-swelling", True, 2, "hip", "right"),
        finding("hip-warmth", True, 2, "hip", "right"),
        finding("hip-pain", True, 2, "hip", "right"),
    )
    found = {r["id"]: r for r in out["recommendations"] if r["id"] in WORK_UP}
    expected = {"rule-out-fracture"} if day < 21 else {"plain-radiograph"}
    assert expected | {"serum-alp", "serum-crp", "serum-ck", "ultrasound-soft-tissue"} <= set(found)
    for rec_id, rec in found.items():
        assert "diagnostic-tests" in rec["basis"]["entries"], rec_id
    assert "diagnostic-tests" in K.entries


# --- evidence shown with a drug ---------------------------------------------------------------


def test_alendronate_is_shown_with_its_conflicting_evidence() -> None:
    """risk-and-prevention.md §4.2: alendronate "did not prevent HO" (Ploumis 2015), and "Note the
    conflict: the AAPM&R patient page lists alendronate among treatments." DESIGN.md step 6:
    "alendronate, with the conflicting evidence shown"."""
    active = (cond(SCI, 100), cond("M61.251", 30), finding("ho-growth", "growing", 5, "hip"))
    by_id = recs(assess(*active, quantity("2164-2", 80, "mL/min", 3)))
    assert by_id["alendronate"]["conflicting_evidence"] is True
    assert by_id["alendronate"]["evidence"]
    nsaid = by_id.get("nsaid-indomethacin")
    assert nsaid is not None and nsaid["conflicting_evidence"] is False


# --- after excision ---------------------------------------------------------------------------


def test_after_excision_the_operated_joint_is_named() -> None:
    """Setting post_excision_followup_days: "the operated joint is examined for recurrence and
    therapy continues"; the recommendation names that joint, and the education after surgery
    rests on the excision itself."""
    excision = hip_excision(30)
    out = assess(excision)
    by_id = recs(out)
    for rec_id in ("serial-joint-exam", "rom-therapy"):
        assert by_id[rec_id]["sites"] == ["right hip"], rec_id
    after = [e for e in out["education"] if e["stage"] == "after-surgery"]
    assert after
    for item in after:
        assert excision.ref in {i["ref"] for i in item["basis"]["inputs"]}


def test_an_old_excision_does_not_hide_a_recent_one() -> None:
    """Setting post_excision_followup_days: an excision years ago is past its follow-up; a
    second, recent one still gets the post-excision NSAID (drugs.yaml, stage post-excision)."""
    old = text_proc("Excision of heterotopic ossification, left hip", 900)
    out = assess(old, hip_excision(3))
    nsaid = recs(out)["nsaid-indomethacin"]
    assert nsaid["basis"]["rule"] == "recommend:drug-post-excision"
    assert nsaid["sites"] == ["right hip"]


def test_prophylaxis_names_the_operated_hip() -> None:
    """drugs.yaml `prophylaxis-hip-surgery`: radiation or an NSAID for the hip operated on."""
    out = assess(proc(THA, 2, side="right"), cond("M45.9", 900))
    assert out["risk"]["level"] == "high"
    for rec_id in ("radiation-prophylaxis", "nsaid-indomethacin"):
        assert recs(out)[rec_id]["sites"] == ["right hip"], rec_id


def test_spasticity_on_the_problem_list_is_dated() -> None:
    """DESIGN.md: the basis names "the patient's own inputs (FHIR references, values, dates)"."""
    spastic = Condition(ref="Condition/spastic", codings=(), text="Spasticity", onset=ago(12))
    out = assess(cond(SCI, 40), spastic)
    rec = recs(out)["spasticity-management"]
    assert {"ref": "Condition/spastic", "date": ago(12).isoformat()}.items() <= next(
        i for i in rec["basis"]["inputs"] if i["ref"] == "Condition/spastic"
    ).items()


# --- next and also ----------------------------------------------------------------------------


def test_soon_items_are_next_and_routine_ones_also() -> None:
    """DESIGN.md: "`next` holds what the team should do now, urgent first, at most 4 items";
    tiers.py: urgent and soon items fill it."""
    out = assess(cond(SCI, 40), finding("hip-pain", True, 2, "hip", "right"))
    by_id = recs(out)
    assert by_id["triple-phase-bone-scan"]["priority"] == "soon"
    assert by_id["triple-phase-bone-scan"]["tier"] == "next"
    assert all(r["tier"] == "also" for r in by_id.values() if r["priority"] == "routine")


def test_with_nothing_urgent_the_first_routine_item_is_next() -> None:
    """tiers.py: "When nothing is urgent or soon, the first routine item is `next`, so the team
    always sees one thing to do" (DESIGN.md: `next` holds what the team should do now)."""
    examined = [rom(j, 110, 1, side=side) for j in ("hip", "knee") for side in ("left", "right")]
    spastic = Condition(ref="Condition/spastic", codings=(), text="Spasticity", onset=ago(12))
    out = assess(cond(SCI, 20), *examined, spastic)
    tiers = [(r["priority"], r["tier"]) for r in out["recommendations"]]
    assert len(tiers) >= 2 and all(p == "routine" for p, _ in tiers)
    assert [t for _, t in tiers] == ["next"] + ["also"] * (len(tiers) - 1)
