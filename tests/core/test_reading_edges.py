"""How the engine reads a record and shows what it read: units, codes and exclusions, sites, the
sex and finding clauses, and what each basis names, through the output JSON (or the
rule-evaluation context for the clause tests).

Written against surviving mutants of `make mutate` (issue 20): each test names the line of
../shared/DESIGN.md, ../shared/clinical/*.md or the knowledge base it rests on.
"""

from __future__ import annotations

import pytest

from hosentinel.core.clauses import evaluate_when
from hosentinel.core.engine import context_for
from hosentinel.core.record import Coding, Condition
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import load_knowledge
from tests.support.edgekit import (
    EARLY_RIGHT_HIP,
    MATURE_RIGHT_HIP,
    K,
    assess,
    quantity,
    recs,
)
from tests.support.recordkit import AS_OF, SCI, ago, cond, finding, record, rom

# --- risk factors show their effect -----------------------------------------------------------


def test_a_factor_shows_its_effect_with_the_confidence_interval() -> None:
    """risk-and-prevention.md §2.2 (Yolcu 2020): "Male sex | 2.25 (1.61–3.13)"."""
    out = assess(cond(SCI, 40), sex="male")
    male = next(f for f in out["risk"]["factors"] if "male" in f["id"])
    assert any("2.25 (1.61-3.13)" in e for e in male["effects"]), male["effects"]


# --- units ------------------------------------------------------------------------------------


def test_an_alp_in_microkatal_is_read_with_its_reference_range() -> None:
    """labs-and-medications.yaml: ALP "ukat/L" converts to U/L (factor 60; 1 ukat = 60 U);
    diagnosis-and-treatment.md:345 "ALP should be normal". A result equal to the lab's upper
    limit, both in ukat/L, is normal, so the mature lesion is referred now."""
    alp = quantity("6768-6", 2.0, "ukat/L", 5, reference_high=2.0)
    out = assess(*MATURE_RIGHT_HIP, alp)
    lesion = out["lesions"][0]
    assert (lesion["maturity"], lesion["surgical_referral"]) == ("mature", "now")
    raised = quantity("6768-6", 2.1, "ukat/L", 5, reference_high=2.0)
    assert assess(*MATURE_RIGHT_HIP, raised)["lesions"][0]["maturity"] == "maturing"


def test_a_fahrenheit_reading_just_below_38_celsius_is_not_a_fever() -> None:
    """Setting low_grade_fever_celsius 38.0 ("at or above which a reading counts as fever");
    100.2 °F is 37.9 °C: not a fever, and the value shown is the Celsius reading (6 decimals)."""
    pain = finding("hip-pain", True, 1, "hip", "right")
    cool = assess(cond(SCI, 40), pain, quantity("8310-5", 100.2, "[degF]"))
    assert not any(f["id"] == "fever" for s in cool["suspicion"]["sites"] for f in s["findings"])
    warm = assess(cond(SCI, 40), pain, quantity("8310-5", 100.9, "[degF]"))
    fever = next(f for s in warm["suspicion"]["sites"] for f in s["findings"] if f["id"] == "fever")
    values = [i.get("value") for i in fever["basis"]["inputs"]]
    assert 38.277778 in values, values


# --- a rule on a finding ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "holds"),
    [
        (True, True),
        (False, False),
        ("positive", True),
        ("present", True),
        ("true", True),
        ("negative", False),
    ],
)
def test_a_finding_clause_reads_the_latest_finding(value: bool | str, holds: bool) -> None:
    """schema.Clause: "finding: the latest project finding with that code is true". No shipped
    rule uses one yet, so it is checked on a rule written here; a coded result such as a bone
    scan's "positive" or a radiograph's "present" counts as true (DESIGN.md finding codes)."""
    rule = s.When(any_of=[s.Clause(finding="bone-scan-ho")])
    opposite = not holds if isinstance(value, bool) else ("negative" if holds else "positive")
    latest = finding("bone-scan-ho", value, 2)
    earlier = (finding("bone-scan-ho", opposite, 20), finding("bone-scan-ho", opposite, 9))
    ctx, _ = context_for(record(*earlier, latest), K, AS_OF)
    outcome = evaluate_when(rule, ctx)
    assert outcome.holds is holds
    assert [i.ref for i in outcome.inputs] == ([latest.ref] if holds else [])


# --- codes the value sets exclude -------------------------------------------------------------


@pytest.mark.parametrize("code", ["S06.0", "S06.0X1A", "M61.4", "M61.451"])
def test_an_excluded_code_is_excluded_at_every_length(code: str) -> None:
    """index-events.yaml excludes S06.0 "Concussion" from brain injury (risk-and-prevention.md
    §1.4: the TBI evidence is from severe injury); clinical.yaml excludes M61.4 "Other
    calcification of muscle (not ossification)" from HO. The category code itself, as a record
    may carry it, is excluded as well as its subcodes."""
    k = load_knowledge()  # fresh: this test runs the lookup itself (see conftest.py)
    concepts = k.concepts_for_code("icd10cm", code)
    excluded = {"S06.0": "tbi", "M61.4": "ho"}[code[:5]]
    assert excluded not in concepts
    assert excluded in k.concepts_for_code(
        "icd10cm", {"S06.0": "S06.2X9A", "M61.4": "M61.251"}[code[:5]]
    )


# --- sites, order and the basis of each finding -----------------------------------------------


@pytest.mark.parametrize(("code", "side"), [("S72.001", "right"), ("S72.002", "left")])
def test_a_six_character_fracture_code_names_its_side(code: str, side: str) -> None:
    """ICD-10-CM S72.00x: fracture of the neck of femur, 6th character 1 right, 2 left (the
    layout sites.py reads); a record may carry the code without its 7th character. The window
    watches that side's hip and knee only."""
    out = assess(cond(code, 30))
    assert {(d["joint"], d["side"]) for d in out["surveillance"]["due"]} == {
        ("hip", side),
        ("knee", side),
    }


def test_a_resolved_problem_list_sign_is_not_a_current_sign() -> None:
    """FHIR Condition.clinicalStatus "resolved" (record.py: `active` is False for resolved
    entries): hip pain that has resolved is history, not a sign at the hip today."""
    resolved = cond("M25.551", 5, active=False, ended=2)
    out = assess(cond(SCI, 40), resolved)
    assert out["suspicion"]["sites"] == []
    current = assess(cond(SCI, 40), cond("M25.551", 5))
    assert [(s["joint"], s["side"]) for s in current["suspicion"]["sites"]] == [("hip", "right")]


def test_sites_are_listed_most_suspicious_first_then_in_joint_order() -> None:
    """DESIGN.md "sites": one entry per joint and side with its level; equal levels follow the
    knowledge base's joint order (hip, knee, elbow, shoulder), so the list is stable."""
    out = assess(
        cond(SCI, 40),
        finding("shoulder-pain", True, 2, "shoulder", "right"),
        finding("knee-pain", True, 2, "knee", "right"),
        finding("hip-pain", True, 2, "hip", "left"),
    )
    assert [s["joint"] for s in out["suspicion"]["sites"]] == ["hip", "knee", "shoulder"]


def test_a_rom_loss_names_its_threshold_setting() -> None:
    """settings.yaml: "every assessment that uses one names it in its basis";
    rom_loss_threshold_degrees decides what counts as a loss of motion."""
    out = assess(cond(SCI, 40), rom("hip", 110, 10), rom("hip", 90, 1))
    loss = next(
        f for s in out["suspicion"]["sites"] for f in s["findings"] if f["id"] == "rom-loss"
    )
    assert "rom_loss_threshold_degrees" in loss["basis"]["settings"]


def test_coded_ho_cites_its_source() -> None:
    """DESIGN.md: "Nothing is shown without its basis"; HO on the problem list (ICD-10-CM M61)
    confirms the site, citing the code system and the AAPM&R page that name it."""
    out = assess(cond(SCI, 100), cond("M61.251", 30))
    coded = next(
        f for s in out["suspicion"]["sites"] for f in s["findings"] if f["id"] == "coded-ho"
    )
    # the code system's own entry for M61 (citations.yaml cit-icd10cm-m61), not the signs' sources
    assert "cit-icd10cm-m61" in coded["basis"]["citations"]
    assert all(c in K.citations for c in coded["basis"]["citations"])


def test_every_missing_input_says_why_it_matters() -> None:
    """DESIGN.md: "missing_inputs": [{"id": "...", "why_it_matters": "..."}]."""
    out = assess(*EARLY_RIGHT_HIP, cond("Z3A.00", 10), sex="female")
    assert out["missing_inputs"]
    for missing in out["missing_inputs"]:
        assert isinstance(missing["why_it_matters"], str) and missing["why_it_matters"]


# --- what each basis says ---------------------------------------------------------------------


def test_every_caution_shows_its_rules_summary() -> None:
    """DESIGN.md cautions: {"about", "level", "reason", "summary", "basis"}; the summary is the
    caution rule's own sentence (drugs.yaml), e.g. "Pregnant at 20 weeks or more; FDA advises
    avoiding NSAIDs" (risk-and-prevention.md §4.8)."""
    out = assess(*EARLY_RIGHT_HIP, cond("Z3A.24", 3), sex="female")
    rules = {(d.recommendation, c.reason, c.level): c.summary for d in K.drugs for c in d.cautions}
    assert out["cautions"]
    for caution in out["cautions"]:
        key = (caution["about"], caution["reason"], caution["level"])
        assert caution["summary"] == rules[key], key


@pytest.mark.parametrize(
    ("code", "what"), [("Z3A.24", "pregnant, 24 weeks"), ("Z33.1", "pregnant")]
)
def test_a_pregnancy_input_says_what_was_read(code: str, what: str) -> None:
    """DESIGN.md: the basis names the patient's own inputs; the 20-week NSAID rule
    (risk-and-prevention.md §4.8) shows the weeks it read, the plain pregnancy caution that the
    patient is pregnant."""
    out = assess(*EARLY_RIGHT_HIP, cond(code, 3), sex="female")
    reads = {
        i["what"]
        for c in out["cautions"]
        if c["reason"] == "pregnancy"
        for i in c["basis"]["inputs"]
    }
    assert what in reads, reads


def test_a_confirming_scan_is_named_in_its_input() -> None:
    """DESIGN.md: finding code `bone-scan-ho`; the site it confirms names the scan it rests on."""
    out = assess(*EARLY_RIGHT_HIP)
    scan = next(
        f for s in out["suspicion"]["sites"] for f in s["findings"] if f["id"] == "bone-scan-ho"
    )
    assert [i["what"] for i in scan["basis"]["inputs"]] == ["bone-scan-ho"]


def test_an_undated_coma_does_not_hide_a_dated_one() -> None:
    """general.yaml `general-coma-over-2-weeks` (AAPM&R: "coma > 2 weeks"): an undated coma entry
    cannot be measured, but a second entry lasting 30 days still counts."""
    undated = Condition(ref="Condition/coma-undated", codings=(Coding("icd10cm", "R40.20"),))
    out = assess(cond("S06.5X0A", 60), undated, cond("R40.20", 60, ended=30))
    assert "general-coma-over-2-weeks" in {f["id"] for f in out["risk"]["factors"]}


@pytest.mark.parametrize(("extra", "current"), [(0, True), (1, False)])
def test_a_lab_is_current_up_to_its_last_day(extra: int, current: bool) -> None:
    """Setting lab_current_days: "A kidney-function, calcium or ALP result older than this is not
    current" (so one exactly that old still is). risk-and-prevention.md §4.8 (alendronate): "Not
    recommended if CrCl/GFR < 35 mL/min"."""
    days = int(K.setting("lab_current_days")) + extra
    out = assess(*EARLY_RIGHT_HIP, quantity("62238-1", 28, "mL/min/{1.73_m2}", days))
    kidney = ("alendronate", "renal-impairment") in {
        (c["about"], c["reason"]) for c in out["cautions"]
    }
    assert kidney is current
    assert ("egfr" in {m["id"] for m in out["missing_inputs"]}) is not current


def test_the_window_shown_runs_from_its_start_to_its_end() -> None:
    """diagnosis-and-treatment.md:18 "2 weeks to 12 months after the injury"; the surveillance
    basis rests on the index-events entry and a record without an event says so."""
    out = assess(cond(SCI, 40))
    sv = out["surveillance"]
    assert sv["window"] == {"start": ago(40 - 14).isoformat(), "end": "2027-04-22"}
    assert "index-events" in sv["basis"]["entries"]
    none = assess(cond("J18.9", 5))["surveillance"]
    assert none["phase"] == "not-applicable" and none["basis"]["note"].startswith("No index event")


def test_an_event_whose_joints_are_a_local_mapping_says_so() -> None:
    """index_events.yaml: the hip and knee after a lower-limb fracture are a `local: true`
    mapping (no source names them); the event's basis says so, a sourced one does not."""
    femur = assess(cond("S72.001A", 30))["index_events"][0]
    assert "local mapping" in femur["basis"].get("note", "")
    sci = assess(cond(SCI, 30))["index_events"][0]
    assert "local mapping" not in sci["basis"].get("note", "")


# --- sex, text fallback ------------------------------------------------------------------------


def test_the_sex_clause_names_what_it_read_and_asks_when_unknown() -> None:
    """risk-and-prevention.md §2.2: "Male sex | 2.25 (1.61–3.13)"; the factor's basis names the
    patient's administrative sex, and an unknown sex is reported missing, not read as female."""
    male = assess(cond(SCI, 40), sex="male")
    factor = next(f for f in male["risk"]["factors"] if "male" in f["id"])
    assert {"ref": "Patient", "what": "administrative sex", "value": "male"} in factor["basis"][
        "inputs"
    ]
    unknown = assess(cond(SCI, 40), sex="unknown")
    assert not any("male" in f["id"] for f in unknown["risk"]["factors"])
    assert "sex" in {m["id"] for m in unknown["missing_inputs"]}


def test_an_unknown_code_falls_back_to_the_text() -> None:
    """DESIGN.md: RxNorm "with the display text as a fallback"; a code the knowledge base does not
    know (a local code system) is read by its text, so "Deep vein thrombosis" on the problem list
    is still a DVT for the caution rules."""
    local = Condition(
        ref="Condition/local-dvt",
        codings=(Coding("http://hospital.example/codes", "X-123"),),
        text="Deep vein thrombosis",
        onset=ago(20),
    )
    ctx, _ = context_for(record(local), K, AS_OF)
    assert [f.ref for f in ctx.facts.of("dvt")] == ["Condition/local-dvt"]


def test_spasticity_recorded_as_a_finding_is_named() -> None:
    """DESIGN.md: the basis names the patient's own inputs; a spasticity finding (the project's
    finding code `spasticity`) is named by its code in the spasticity-management basis."""
    spastic = finding("spasticity", True, 3, None, None)
    rec = recs(assess(cond(SCI, 40), spastic))["spasticity-management"]
    assert {"ref": spastic.ref, "what": "spasticity", "date": ago(3).isoformat()} in rec["basis"][
        "inputs"
    ]


# --- maturity ---------------------------------------------------------------------------------


def test_the_lesion_names_its_age_only_once_it_counts() -> None:
    """Setting lesion_age_settling_days: "A confirmed lesion older than this, with no sign of
    activity ... is read as maturing rather than of unknown maturity"; only then is its age an
    input of the maturity basis, with the setting named."""
    young = assess(cond(SCI, 100), cond("M61.251", 30))["lesions"][0]
    assert young["maturity"] == "unknown"
    assert "lesion_age_settling_days" not in young["basis"]["settings"]
    assert not any("first recorded" in (i["what"] or "") for i in young["basis"]["inputs"])
    days = int(K.setting("lesion_age_settling_days")) + 1
    old = assess(cond(SCI, days + 10), cond("M61.251", days))["lesions"][0]
    assert old["maturity"] == "maturing"
    assert "lesion_age_settling_days" in old["basis"]["settings"]
    assert any(
        i["what"] == f"lesion first recorded {days} days ago" for i in old["basis"]["inputs"]
    )


def test_the_maturity_criteria_are_named_and_alp_is_shown() -> None:
    """DESIGN.md step 7: mature when "stable radiographs, ALP normalised, bone-scan activity
    settled"; diagnosis-and-treatment.md:345 "ALP should be normal"."""
    alp = quantity("6768-6", 100, "U/L", 5, reference_high=120.0)
    lesion = assess(*MATURE_RIGHT_HIP, alp)["lesions"][0]
    assert lesion["criteria"] == {
        "radiographs-stable": True,
        "alp-normal": True,
        "bone-scan-settled": True,
    }
    for read in (alp, quantity("6768-6", 101, "U/L", 5, interpretation="N")):
        lesion = assess(*MATURE_RIGHT_HIP, read)["lesions"][0]
        assert lesion["criteria"]["alp-normal"] is True
        assert {"ref": read.ref, "what": "latest ALP"}.items() <= next(
            i for i in lesion["basis"]["inputs"] if i["ref"] == read.ref
        ).items()


def test_a_mature_lesion_in_the_window_gets_no_drug() -> None:
    """drugs.yaml: the drug options' stages are prophylaxis, early HO, active HO and after
    excision; DESIGN.md step 7: a mature lesion that limits function goes to surgery. A lesion
    that is already mature gets no NSAID or bisphosphonate, even while the window is open."""
    alp = quantity("6768-6", 100, "U/L", 5, reference_high=120.0)
    out = assess(cond(SCI, 300), *MATURE_RIGHT_HIP[1:], alp)
    assert out["surveillance"]["phase"] == "in-window"
    assert out["lesions"][0]["maturity"] == "mature"
    assert not {"nsaid-indomethacin", "etidronate", "alendronate"} & set(recs(out))
