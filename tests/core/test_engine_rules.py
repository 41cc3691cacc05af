"""A must-fire and a must-not-fire case for every engine rule, and checks on what each decides."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from hosentinel.core.assessment import Assessment, rules_fired
from hosentinel.core.engine import evaluate
from hosentinel.core.rules import ENGINE_RULES, KNOWLEDGE_RULE_PREFIXES, STRUCTURAL_RULES
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


@dataclass(frozen=True)
class Case:
    rule: str
    fires: bool
    items: tuple[Item, ...]
    sex: str = "male"


def assess(*items: Item, sex: str = "male") -> Assessment:
    return evaluate(record(*items, sex=sex), K, AS_OF)


HIP_PAIN = (cond(SCI, 40), finding("hip-pain", True))
MATURE_HIP = (
    cond(SCI, 400),
    cond("M61.251", 200),
    finding("ho-growth", "stable", 5, "hip"),
    finding("ho-activity", "quiescent", 5, "hip"),
    lab("6768-6", 90, 5, "N"),
    finding("function-limited", True, 5, "hip"),
)
ACTIVE_LIMITED_HIP = (
    cond(SCI, 100),
    cond("M61.251", 30),
    finding("ho-growth", "growing", 5, "hip"),
    finding("function-limited", True, 5, "hip"),
)
PROBABLE_HIP = (
    cond(SCI, 40),
    rom("hip", 110, 20),
    rom("hip", 90, 2),
    finding("hip-swelling", True),
)
HIGH_RISK_THA = (proc("52734007", 2, side="right"), cond("M45.9", 900))
# Bone scan positive, radiograph not yet: the stage etidronate's evidence covers.
EARLY_HIP = (cond(SCI, 40), finding("bone-scan-ho", "positive", 3, "hip"))

CASES = [
    Case("index-event", True, (cond(SCI),)),
    Case("index-event", False, (cond("J45.909"),)),
    Case("joint-due", True, (cond(SCI, 30),)),
    Case("joint-due", False, (cond(SCI, 400),)),
    Case("suspicion-site", True, HIP_PAIN),
    Case("suspicion-site", False, (cond(SCI, 40), finding("hip-pain", False))),
    Case("finding:rom-loss", True, (cond(SCI, 40), rom("hip", 110, 20), rom("hip", 95, 2))),
    Case("finding:rom-loss", False, (cond(SCI, 40), rom("hip", 110, 20), rom("hip", 102, 2))),
    Case("finding:pain", True, HIP_PAIN),
    Case("finding:pain", False, (cond(SCI, 40), finding("hip-pain", True, 30))),
    Case("finding:swelling", True, (cond(SCI, 40), finding("knee-swelling", True))),
    Case("finding:swelling", False, (cond(SCI, 40), finding("knee-swelling", True, 9), finding("knee-swelling", False, 1))),
    Case("finding:warmth", True, (cond(SCI, 40), finding("hip-warmth", True))),
    Case("finding:warmth", False, (cond(SCI, 40), finding("hip-warmth", False))),
    Case("finding:redness", True, (cond(SCI, 40), finding("elbow-redness", True))),
    Case("finding:redness", False, (cond(SCI, 40),)),
    Case("finding:stiffness", True, (cond(SCI, 40), cond("M25.651", 3))),
    Case("finding:stiffness", False, (cond(SCI, 40), cond("M25.651", 60))),
    Case("finding:leg-swelling", True, (cond(SCI, 40), cond("R22.41", 3))),
    Case("finding:leg-swelling", False, (cond(SCI, 40), cond("R22.31", 3))),
    Case("finding:limb-swelling", True, (cond(SCI, 40), cond("R22.31", 3))),
    Case("finding:limb-swelling", False, (cond(SCI, 40), cond("R22.41", 3))),
    Case("finding:fever", True, (*HIP_PAIN, lab("8310-5", 38.3, 1))),
    Case("finding:fever", False, (*HIP_PAIN, lab("8310-5", 37.4, 1))),
    Case("finding:coded-ho", True, (cond(SCI, 90), cond("M61.251", 5))),
    Case("finding:coded-ho", False, (cond(SCI, 90), cond("M61.451", 5))),
    Case("finding:bone-scan-ho", True, (cond(SCI, 60), finding("bone-scan-ho", "positive", 3, "hip"))),
    Case("finding:bone-scan-ho", False, (cond(SCI, 60), finding("bone-scan-ho", "negative", 3, "hip"))),
    Case("finding:radiograph-ho", True, (cond(SCI, 60), finding("radiograph-ho", "present", 3, "hip"))),
    Case("finding:radiograph-ho", False, (cond(SCI, 60), finding("radiograph-ho", "absent", 3, "hip"))),
    Case("risk-model", True, (cond(SCI, 40),)),
    Case("risk-model", False, (cond("I63.9", 40),)),
    Case("lesion-maturity", True, (cond(SCI, 90), cond("M61.251", 5))),
    Case("lesion-maturity", False, HIP_PAIN),
    Case("education-stage", True, (cond(SCI, 30),)),
    Case("education-stage", False, (cond("J45.909", 30),)),
    Case("recommend:joints-due", True, (cond(SCI, 30),)),
    Case("recommend:joints-due", False, (cond(SCI, 5),)),
    Case("recommend:swollen-lower-limb", True, (cond(SCI, 40), finding("knee-swelling", True))),
    Case("recommend:swollen-lower-limb", False, (cond(SCI, 40), finding("elbow-swelling", True))),
    Case("dvt-answered", True, (cond(SCI, 40), cond("I82.401", 20), finding("knee-swelling", True, side="right"))),
    Case("dvt-answered", False, (cond(SCI, 40), cond("I82.402", 20), finding("knee-swelling", True, side="right"))),
    Case("recommend:fever-or-inflamed-joint", True, (cond(SCI, 40), finding("hip-redness", True))),
    Case("recommend:fever-or-inflamed-joint", False, HIP_PAIN),
    Case("recommend:suspected-no-scan", True, HIP_PAIN),
    Case("recommend:suspected-no-scan", False, (*HIP_PAIN, finding("bone-scan-ho", "negative", 5, "hip"))),
    Case("recommend:negative-scan-signs-persist", True, (cond(SCI, 40), finding("bone-scan-ho", "negative", 10, "hip"), finding("hip-pain", True, 2))),
    Case("recommend:negative-scan-signs-persist", False, (cond(SCI, 40), finding("bone-scan-ho", "negative", 2, "hip"), finding("hip-pain", True, 5))),
    Case("recommend:radiograph-too-early-for-ho", True, (cond(SCI, 15), finding("hip-pain", True))),
    Case("recommend:radiograph-too-early-for-ho", False, HIP_PAIN),
    Case("recommend:radiograph-informative", True, HIP_PAIN),
    Case("recommend:radiograph-informative", False, (cond(SCI, 15), finding("hip-pain", True))),
    Case("recommend:suspected-hip", True, HIP_PAIN),
    Case("recommend:suspected-hip", False, (cond(SCI, 40), finding("knee-pain", True))),
    Case("recommend:baseline-radiograph-for-maturity", True, (cond(SCI, 60), finding("bone-scan-ho", "positive", 3, "hip"))),
    Case("recommend:baseline-radiograph-for-maturity", False, (cond(SCI, 60), finding("bone-scan-ho", "positive", 3, "hip"), finding("radiograph-ho", "present", 3, "hip"))),
    Case("recommend:supportive-lab", True, HIP_PAIN),
    Case("recommend:supportive-lab", False, (*HIP_PAIN, lab("6768-6", 100), lab("1988-5", 4), lab("2157-6", 80))),
    Case("recommend:suspected-or-confirmed", True, PROBABLE_HIP),
    Case("recommend:suspected-or-confirmed", False, HIP_PAIN),
    Case("recommend:joint-pain", True, HIP_PAIN),
    Case("recommend:joint-pain", False, (cond(SCI, 40), finding("hip-swelling", True))),
    Case("recommend:spasticity", True, (cond(SCI, 30), finding("spasticity", True, 5, side=None))),
    Case("recommend:spasticity", False, (cond(SCI, 30), finding("spasticity", False, 5, side=None))),
    Case("recommend:drug-early-ho", True, EARLY_HIP),
    Case("recommend:drug-early-ho", False, (*EARLY_HIP, finding("radiograph-ho", "present", 1, "hip"))),
    Case("recommend:drug-active-ho", True, ACTIVE_LIMITED_HIP),
    Case("recommend:drug-active-ho", False, MATURE_HIP),
    Case("recommend:drug-prophylaxis-hip-surgery", True, HIGH_RISK_THA),
    Case("recommend:drug-prophylaxis-hip-surgery", False, (proc("52734007", 2, side="right"),), "female"),
    Case("recommend:function-limited-mature", True, MATURE_HIP),
    Case("recommend:function-limited-mature", False, ACTIVE_LIMITED_HIP),
    Case("recommend:referral-now", True, MATURE_HIP),
    Case("recommend:referral-now", False, ACTIVE_LIMITED_HIP),
    Case("recommend:after-excision", True, (cond(SCI, 700), text_proc("Excision of heterotopic ossification, right hip", 30))),
    Case("recommend:after-excision", False, (cond(SCI, 700), text_proc("Excision of heterotopic ossification, right hip", 500))),
    Case("recommend:drug-post-excision", True, (cond(SCI, 700), text_proc("Excision of heterotopic ossification, right hip", 2))),
    Case("recommend:drug-post-excision", False, (cond(SCI, 700), text_proc("Excision of heterotopic ossification, right hip", 30))),
    Case("recommend:function-limited-not-mature", True, ACTIVE_LIMITED_HIP),
    Case("recommend:function-limited-not-mature", False, (*ACTIVE_LIMITED_HIP[:3], finding("function-limited", False, 5, "hip"))),
]  # fmt: skip


@pytest.mark.parametrize(
    "case", CASES, ids=[f"{c.rule}-{'fires' if c.fires else 'silent'}" for c in CASES]
)
def test_engine_rule_case(case: Case) -> None:
    fired = rules_fired(assess(*case.items, sex=case.sex))
    assert (case.rule in fired) is case.fires, sorted(fired)


def test_every_engine_rule_has_both_cases() -> None:
    covered = {(c.rule, c.fires) for c in CASES}
    for rule in ENGINE_RULES:
        assert (rule, True) in covered, f"{rule} has no must-fire case"
        assert (rule, False) in covered, f"{rule} has no must-not-fire case"


def test_the_engine_writes_no_unregistered_rule() -> None:
    known = set(ENGINE_RULES) | set(STRUCTURAL_RULES)
    for case in CASES:
        for rule in rules_fired(assess(*case.items, sex=case.sex)):
            assert rule in known or rule.startswith(KNOWLEDGE_RULE_PREFIXES), rule


# --- what the rules decide ----------------------------------------------------------------


def recs(a: Assessment) -> dict[str, str]:
    return {r.id: r.priority for r in a.recommendations}


def test_swollen_leg_makes_dvt_rule_out_urgent_and_first() -> None:
    a = assess(cond(SCI, 40), finding("hip-swelling", True))
    assert recs(a)["rule-out-dvt"] == "urgent"
    assert a.recommendations[0].id == "rule-out-dvt"


def test_known_dvt_is_not_ruled_out_again() -> None:
    a = assess(cond(SCI, 40), cond("I82.401", 3), finding("hip-swelling", True))
    assert "rule-out-dvt" not in recs(a)


def test_radiograph_before_day_21_is_never_offered_as_the_test_for_ho() -> None:
    early = assess(cond(SCI, 20), finding("hip-pain", True))
    assert "plain-radiograph" not in recs(early) and "rule-out-fracture" in recs(early)
    later = assess(cond(SCI, 21), finding("hip-pain", True))
    assert "plain-radiograph" in recs(later) and "rule-out-fracture" not in recs(later)


@pytest.mark.parametrize(
    ("items", "level"),
    [
        ((cond(SCI, 40), finding("hip-pain", True)), "possible"),
        (PROBABLE_HIP, "probable"),
        ((cond(SCI, 40), finding("hip-pain", True), finding("hip-warmth", True), finding("hip-redness", True)), "probable"),
        ((cond(SCI, 40), cond("M61.251", 5)), "confirmed"),
        ((cond(SCI, 40),), "none"),
    ],
)  # fmt: skip
def test_suspicion_levels(items: tuple[Item, ...], level: str) -> None:
    assert assess(*items).suspicion.level == level


def test_rom_loss_is_measured_against_the_same_joint_and_side() -> None:
    other_side = assess(cond(SCI, 40), rom("hip", 120, 20, side="left"), rom("hip", 95, 2))
    assert other_side.suspicion.level == "none"


@pytest.mark.parametrize(
    ("items", "maturity", "referral"),
    [
        (MATURE_HIP, "mature", "now"),
        (ACTIVE_LIMITED_HIP, "active", "when-mature"),
        ((cond(SCI, 90), cond("M61.251", 5)), "unknown", "not-indicated"),
        ((*MATURE_HIP[:4], lab("6768-6", 300, 5, "H"), MATURE_HIP[5]), "maturing", "when-mature"),
        (
            (*MATURE_HIP[:5], finding("function-limited", False, 5, "hip")),
            "mature",
            "not-indicated",
        ),
    ],
)
def test_maturity_and_referral(items: tuple[Item, ...], maturity: str, referral: str) -> None:
    (lesion,) = assess(*items).lesions
    assert (lesion.maturity, lesion.surgical_referral) == (maturity, referral)
    assert lesion.classic_rule and lesion.newer_evidence, (
        "newer evidence shown beside the classic rule"
    )


@pytest.mark.parametrize(
    ("items", "stage"),
    [
        ((cond(SCI, 30),), "at-risk"),
        (HIP_PAIN, "suspected"),
        (ACTIVE_LIMITED_HIP, "active"),
        ((*MATURE_HIP[:4], lab("6768-6", 300, 5, "H"), MATURE_HIP[5]), "maturing"),
        (MATURE_HIP, "before-surgery"),
    ],
)
def test_education_follows_the_stage(items: tuple[Item, ...], stage: str) -> None:
    education = assess(*items).education
    assert {e.stage for e in education} == {stage}
    assert {e.level for e in education} == {"basics", "detailed"}


def test_missing_inputs_name_what_would_change_the_answer() -> None:
    no_baseline = {m.id for m in assess(cond(SCI, 30)).missing_inputs}
    assert "rom-baseline" in no_baseline
    treated = {m.id for m in assess(*EARLY_HIP).missing_inputs}
    assert "egfr" in treated
    lesion = {m.id for m in assess(cond(SCI, 90), cond("M61.251", 5)).missing_inputs}
    assert {"function-status", "serum-alp", "bone-scan-activity", "serial-radiographs"} <= lesion


def test_cautions_are_listed_for_drugs_that_are_not_recommended() -> None:
    a = assess(cond(SCI, 30), cond("K92.2", 200), lab("62238-1", 28, 3))
    assert "nsaid-indomethacin" not in recs(a)
    by_key = {(c.about, c.reason): c for c in a.cautions}
    assert by_key[("alendronate", "renal-impairment")].level == "contraindicated"
    assert by_key[("nsaid-indomethacin", "gi-bleed-history")].recommended is False


def test_alendronate_is_shown_with_its_conflicting_evidence() -> None:
    rec = next(r for r in assess(*ACTIVE_LIMITED_HIP).recommendations if r.id == "alendronate")
    assert rec.conflicting_evidence
    assert {e["stance"] for e in rec.evidence} >= {"supports", "against"}


def test_risk_level_counts_cited_factors() -> None:
    assert assess(cond(SCI, 30), sex="female").risk.level == "low"
    assert assess(cond(SCI, 30), sex="male").risk.level == "moderate"
    assert assess(cond(SCI, 30), cond("N39.0", 10), sex="male").risk.level == "high"
    strong = assess(cond("S06.5X0A", 30), finding("autonomic-dysregulation", True, 5, side=None))
    assert strong.risk.level == "high" and strong.risk.factors[0].strong


def test_published_scores_are_not_computable() -> None:
    models = assess(cond(SCI, 30)).risk.models
    assert models and all(m.status == "not-computable" and m.value is None for m in models)


def test_knowledge_digest_is_reported() -> None:
    a = assess(cond(SCI, 30))
    assert a.knowledge_digest == K.digest and a.knowledge_digest.startswith("sha256:")
