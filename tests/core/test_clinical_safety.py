"""Clinical safety, tested from the sources rather than from the engine's own reading of them.

Each test quotes the line it rests on: ../shared/DESIGN.md (the contract), the clinical notes in
../shared/clinical/ (risk-and-prevention.md, diagnosis-and-treatment.md) or a drug label the
notes cite. The patients here are new ones, built for the defect class, not the demo patients.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from hosentinel.core.assessment import Assessment, SiteSuspicion
from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import (
    Allergy,
    BodySite,
    Coding,
    Condition,
    Medication,
    Observation,
    Patient,
    PatientRecord,
    Sex,
    Side,
)
from hosentinel.knowledge.loader import default_knowledge
from tests.support.recordkit import (
    AS_OF,
    Item,
    ago,
    cond,
    finding,
    lab,
    proc,
    record,
    rom,
    text_proc,
)

K = default_knowledge()
SCI = "S24.101A"  # incomplete thoracic cord injury
DRUGS = ("nsaid-indomethacin", "etidronate", "alendronate", "radiation-prophylaxis")
BISPHOSPHONATES = ("etidronate", "alendronate")


def assess(*items: Item, sex: Sex = "male", patient: Patient | None = None) -> Assessment:
    rec = record(*items, sex=sex)
    if patient is not None:
        rec = replace(rec, patient=patient)
    return evaluate(rec, K, AS_OF)


def recs(a: Assessment) -> dict[str, Any]:
    return {r["id"]: r for r in assessment_json(a)["recommendations"]}


def text_med(text: str, code: str | None = None) -> Medication:
    codings = (Coding("rxnorm", code),) if code else ()
    return Medication(
        ref=f"MedicationRequest/{text[:12]}", codings=codings, text=text, start=ago(5)
    )


def text_cond(text: str, days: int = 10) -> Condition:
    return Condition(ref=f"Condition/{text[:12]}", codings=(), text=text, onset=ago(days))


def quantity(code: str, value: float, unit: str | None, days: int = 1, **kw: Any) -> Observation:
    return Observation(
        ref=f"Observation/{code}-{value}-{unit}",
        codings=(Coding("loinc", code),),
        effective=ago(days),
        value_quantity=value,
        unit=unit,
        **kw,
    )


def dvt_duplex(found: bool, side: Side, days: int) -> Observation:
    return Observation(
        ref=f"Observation/duplex-{side}-{days}",
        codings=(Coding("finding", "dvt"),),
        effective=ago(days),
        value_bool=found,
        site=BodySite(side=side),
    )


def pregnant(weeks: int) -> Condition:
    return cond(f"Z3A.{weeks:02d}", 0)


# A confirmed, early hip HO after SCI: bone scan positive, radiograph not yet.
EARLY_RIGHT_HIP = (cond(SCI, 45), finding("bone-scan-ho", "positive", 2, "hip", "right"))
SWOLLEN_RIGHT_KNEE = finding("knee-swelling", True, 3, "knee", "right")


# --- 1. The DVT work-up is a safety gate -------------------------------------------------------


def test_dvt_prophylaxis_text_never_settles_the_dvt_question() -> None:
    """DESIGN.md: "Only a coded, confirmed DVT or a `dvt` finding on the same side settles the DVT
    question; free text never does." diagnosis-and-treatment.md §2: the authors "stress a prompt
    DVT work-up in SCI patients with leg swelling, because DVT/PE is life-threatening"."""
    for items in (
        (text_med("Enoxaparin 40 MG/0.4ML for DVT prophylaxis", "67108"),),
        (text_cond("DVT prophylaxis"),),
        (text_cond("Deep vein thrombosis"),),
    ):
        a = assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, *items)
        dvt = recs(a)["rule-out-dvt"]
        assert dvt["priority"] == "urgent" and dvt["tier"] == "next", items


def test_a_known_dvt_on_the_other_side_does_not_cancel_the_work_up() -> None:
    """diagnosis-and-treatment.md §2: acute hip HO "appears to favour ipsilateral DVT"; the DVT
    question is settled only "on the same side" (DESIGN.md)."""
    left_dvt = cond("I82.402", 20)
    assert "rule-out-dvt" in recs(assess(cond(SCI, 40), left_dvt, SWOLLEN_RIGHT_KNEE))
    right_dvt = cond("I82.401", 20)
    assert "rule-out-dvt" not in recs(assess(cond(SCI, 40), right_dvt, SWOLLEN_RIGHT_KNEE))
    bilateral = cond("I82.403", 20)
    assert "rule-out-dvt" not in recs(assess(cond(SCI, 40), bilateral, SWOLLEN_RIGHT_KNEE))


def test_a_suspected_or_resolved_dvt_does_not_settle_it() -> None:
    """DESIGN.md: only a "coded, confirmed DVT" settles the question."""
    provisional = replace(cond("I82.401", 5), unconfirmed=True)
    assert "rule-out-dvt" in recs(assess(cond(SCI, 40), provisional, SWOLLEN_RIGHT_KNEE))
    resolved = cond("I82.401", 300, active=False, ended=200)
    assert "rule-out-dvt" in recs(assess(cond(SCI, 40), resolved, SWOLLEN_RIGHT_KNEE))


def test_a_duplex_settles_it_only_on_that_side_and_only_after_the_swelling() -> None:
    """DESIGN.md: "Finding code `dvt` (valueBoolean with bodySite side: true = DVT found on duplex
    ultrasound, false = excluded)"; it settles the question "on the same side"."""
    excluded_after = dvt_duplex(False, "right", 1)
    assert "rule-out-dvt" not in recs(assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, excluded_after))
    excluded_before = dvt_duplex(False, "right", 20)
    assert "rule-out-dvt" in recs(assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, excluded_before))
    other_side = dvt_duplex(False, "left", 1)
    assert "rule-out-dvt" in recs(assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, other_side))


def site_json(a: Assessment, joint: str, side: str) -> dict[str, Any]:
    return next(
        s
        for s in assessment_json(a)["suspicion"]["sites"]
        if (s["joint"], s["side"]) == (joint, side)
    )


def test_an_answered_dvt_question_shows_which_record_answered_it() -> None:
    """The brief: "Every clinical output carries its basis"; DESIGN.md: "Every `basis` names the
    rule ... and the patient's own inputs". When a duplex or a coded DVT answers the question, the
    swollen site says so and names that record, so a clinician who sees no DVT work-up knows why."""
    excluded = assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, dvt_duplex(False, "right", 1))
    dvt = site_json(excluded, "knee", "right")["dvt"]
    assert dvt["answer"] == "excluded"
    assert dvt["basis"]["rule"] == "dvt-answered"
    refs = [i["ref"] for i in dvt["basis"]["inputs"]]
    assert "Observation/duplex-right-1" in refs
    assert dvt["basis"]["citations"], "the answer cites the DVT work-up's sources"
    assert ago(1).isoformat() in dvt["summary"]

    found = assess(cond(SCI, 40), cond("I82.401", 20), SWOLLEN_RIGHT_KNEE)
    dvt = site_json(found, "knee", "right")["dvt"]
    assert dvt["answer"] == "found"
    coded = [i for i in dvt["basis"]["inputs"] if i.get("value") == "I82.401"]
    assert coded and coded[0]["ref"].startswith("Condition/")

    # Still open (no duplex, or one from before the swelling): no answer, the work-up is asked for.
    for items in ((), (dvt_duplex(False, "right", 20),)):
        a = assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, *items)
        assert "dvt" not in site_json(a, "knee", "right")
        assert "rule-out-dvt" in recs(a)


def test_drugs_and_therapy_wait_for_the_dvt_work_up() -> None:
    """Issue 12 / DESIGN.md pathway step 5: "rule out DVT first when a lower limb is swollen".
    Suggestions for the swollen limb say "after DVT is excluded" until it is."""
    a = assess(*EARLY_RIGHT_HIP, finding("hip-swelling", True, 2, "hip", "right"))
    by_id = recs(a)
    assert by_id["rule-out-dvt"]["tier"] == "next"
    for rec_id in ("nsaid-indomethacin", "rom-therapy"):
        rec = by_id[rec_id]
        assert rec["waits_for"] == ["rule-out-dvt"], rec_id
        assert rec["summary"].startswith("After DVT is excluded"), rec_id
        assert rec["tier"] == "also", rec_id
    settled = assess(
        *EARLY_RIGHT_HIP,
        finding("hip-swelling", True, 2, "hip", "right"),
        dvt_duplex(False, "right", 1),
    )
    assert "waits_for" not in recs(settled)["nsaid-indomethacin"]


# --- 2. A contraindicated drug is never recommended -------------------------------------------


def test_no_nsaid_from_20_weeks_of_pregnancy() -> None:
    """risk-and-prevention.md §4.8: "FDA advises avoiding NSAIDs from 20 weeks' gestation"."""
    a = assess(*EARLY_RIGHT_HIP, pregnant(21), sex="female")
    assert "nsaid-indomethacin" not in recs(a)
    caution = next(
        c for c in a.cautions if c.about == "nsaid-indomethacin" and c.level == "contraindicated"
    )
    assert caution.reason == "pregnancy" and caution.recommended is False
    early = assess(*EARLY_RIGHT_HIP, pregnant(12), sex="female")
    assert "pregnancy" in recs(early)["nsaid-indomethacin"]["cautions"]


def test_no_nsaid_while_the_weeks_of_a_pregnancy_are_unknown() -> None:
    """risk-and-prevention.md §4.8: "FDA advises avoiding NSAIDs from 20 weeks' gestation". With
    the weeks not recorded (ICD-10-CM Z3A.00 "Weeks of gestation of pregnancy not specified", or a
    pregnancy code without a Z3A), 20 weeks or more cannot be excluded: the NSAID is not
    suggested, the caution says why, and the gestational age is asked for."""
    for undated in (cond("Z3A.00", 10), cond("Z33.1", 10)):
        a = assess(*EARLY_RIGHT_HIP, undated, sex="female")
        assert "nsaid-indomethacin" not in recs(a), undated
        caution = next(
            c
            for c in a.cautions
            if c.about == "nsaid-indomethacin" and c.level == "contraindicated"
        )
        assert caution.reason == "pregnancy" and caution.recommended is False
        assert "cannot be excluded" in caution.basis.inputs[0].what
        assert "gestational-age" in {m.id for m in a.missing_inputs}
    # The same pregnancy also dated at 12 weeks: the weeks are known, the NSAID is an option.
    dated = assess(*EARLY_RIGHT_HIP, cond("Z33.1", 10), pregnant(12), sex="female")
    assert "pregnancy" in recs(dated)["nsaid-indomethacin"]["cautions"]


def test_no_nsaid_with_an_nsaid_allergy_or_a_recent_cabg() -> None:
    """risk-and-prevention.md §4.8: NSAIDs are "Contraindicated around CABG surgery"; the
    indomethacin label contraindicates it with hypersensitivity."""
    allergy = Allergy(ref="AllergyIntolerance/ibu", codings=(Coding("rxnorm", "5640"),))
    cabg = proc("232717009", 27)
    for extra in ((allergy,), (cabg,)):
        a = assess(*EARLY_RIGHT_HIP, *extra)
        assert "nsaid-indomethacin" not in recs(a), extra
        assert any(
            c.level == "contraindicated" for c in a.cautions if c.about == "nsaid-indomethacin"
        )


def test_no_recommended_option_ever_carries_a_contraindication() -> None:
    """DESIGN.md: "A drug option with a `contraindicated` caution is never among the
    recommendations; the caution stays in `cautions`." Checked across many combinations."""
    contraindications: list[tuple[Item, ...]] = [
        (pregnant(24),),
        (proc("232717009", 10),),
        (Allergy(ref="AllergyIntolerance/a", codings=(), text="Aspirin"),),
        (cond("K22.2", 100),),
        (cond("M83.9", 100),),
        (lab("62238-1", 20, 3),),
        (cond("E83.51", 5),),
    ]
    stages: list[tuple[Item, ...]] = [
        EARLY_RIGHT_HIP,
        (cond(SCI, 100), cond("M61.251", 30), finding("ho-growth", "growing", 5, "hip")),
        (proc("52734007", 2, side="right"), cond("M45.9", 900)),
        (cond("S72.001A", 700), text_proc("Excision of heterotopic ossification, right hip", 2)),
    ]
    for stage in stages:
        for extra in contraindications:
            a = assess(*stage, *extra, sex="female")
            barred = {c.about for c in a.cautions if c.level == "contraindicated"}
            assert not barred & set(recs(a)), (stage, extra)


# --- 3. Bleeding and kidney checks, complete --------------------------------------------------


def test_antiplatelets_aspirin_ssris_and_oral_steroids_are_bleeding_cautions() -> None:
    """risk-and-prevention.md §4.8: "monitor for bleeding with drugs that affect haemostasis
    (warfarin, aspirin, SSRIs/SNRIs)"; the label's GI-bleeding section adds oral corticosteroids."""
    a = assess(
        *EARLY_RIGHT_HIP,
        text_med("clopidogrel 75 MG Oral Tablet", "32968"),
        text_med("Aspirin 81 MG Oral Tablet", "1191"),
        text_med("Sertraline 50 MG Oral Tablet", "36437"),
        text_med("predniSONE 10 MG Oral Tablet"),
    )
    cautions = set(recs(a)["nsaid-indomethacin"]["cautions"])
    assert {"antiplatelet", "ssri", "corticosteroid"} <= cautions
    topical = assess(*EARLY_RIGHT_HIP, text_med("Hydrocortisone 1 % Topical Cream"))
    assert "corticosteroid" not in recs(topical)["nsaid-indomethacin"]["cautions"]


def test_creatinine_clearance_counts_for_the_alendronate_limit() -> None:
    """risk-and-prevention.md §4.8 (alendronate): "Not recommended if CrCl/GFR < 35 mL/min"."""
    active = (cond(SCI, 100), cond("M61.251", 30), finding("ho-growth", "growing", 5, "hip"))
    low = assess(*active, quantity("2164-2", 28, "mL/min", 3))
    assert "alendronate" not in recs(low)
    assert any(c.reason == "renal-impairment" and c.about == "alendronate" for c in low.cautions)
    fine = assess(*active, quantity("2164-2", 80, "mL/min", 3))
    assert "alendronate" in recs(fine)


def test_calcium_in_mmol_per_litre_is_read() -> None:
    """risk-and-prevention.md §4.8 (alendronate): "Hypocalcaemia must be corrected first."
    LOINC 2000-8 reports calcium in mmol/L; the lab's own low flag or range decides."""
    active = (cond(SCI, 100), cond("M61.251", 30), finding("ho-growth", "growing", 5, "hip"))
    low = assess(*active, quantity("2000-8", 1.9, "mmol/L", 2, reference_low=2.15))
    assert any(c.reason == "hypocalcaemia" for c in low.cautions)
    normal = assess(*active, quantity("2000-8", 2.35, "mmol/L", 2, reference_low=2.15))
    assert not any(c.reason == "hypocalcaemia" for c in normal.cautions)


def test_a_year_old_egfr_is_not_todays_kidney_function() -> None:
    """settings.yaml `lab_current_days`: a result older than the setting is not current, and the
    missing input is named rather than the old value used."""
    old = assess(*EARLY_RIGHT_HIP, lab("62238-1", 28, 365))
    assert not any(c.reason == "renal-impairment" for c in old.cautions)
    assert "egfr" in {m.id for m in old.missing_inputs}
    current = assess(*EARLY_RIGHT_HIP, lab("62238-1", 28, 10))
    assert any(c.reason == "renal-impairment" for c in current.cautions)


# --- 4. A deceased patient gets no actions -----------------------------------------------------


def test_a_deceased_patient_gets_no_plan_exams_or_education() -> None:
    """DESIGN.md: "A deceased patient gets no recommendations, no due exams and no education."""
    items = (cond(SCI, 40), SWOLLEN_RIGHT_KNEE)
    dead = assess(*items, patient=Patient("p", "male", deceased=True))
    assert dead.patient_status == "deceased"
    assert not dead.recommendations and not dead.surveillance.due and not dead.education
    assert assessment_json(dead)["patient_status"] == "deceased"
    dated = assess(*items, patient=Patient("p", "male", deceased=True, deceased_on=ago(3)))
    assert dated.patient_status == "deceased" and not dated.recommendations
    later = assess(
        *items, patient=Patient("p", "male", deceased=True, deceased_on=AS_OF + timedelta(3))
    )
    assert later.patient_status == "active" and later.recommendations


# --- 5. Hip arthroplasty with prior HO is high risk, whatever the sex --------------------------


def test_prior_ho_after_hip_surgery_makes_a_hip_replacement_high_risk() -> None:
    """risk-and-prevention.md §1.7: trials define "high risk" by "prior HO after hip surgery,
    ... DISH, ankylosing spondylitis, male sex"; §5: "for high-risk THA patients, a
    post-operative NSAID for several weeks or low-dose perioperative irradiation"."""
    a = assess(proc("52734007", 2, side="left"), cond("M61.552", 2000), sex="female")
    assert a.risk.level == "high"
    by_id = recs(a)
    assert "radiation-prophylaxis" in by_id and "nsaid-indomethacin" in by_id
    assert not a.lesions, "HO from years before the operation is prior HO, not a lesion now"


# --- 6. The clock does not reset to the newest injury ------------------------------------------


def test_a_new_fracture_does_not_reset_an_open_window() -> None:
    """risk-and-prevention.md §2.1: "Symptoms begin 2 weeks to 12 months after the event";
    diagnosis-and-treatment.md §3: an X-ray can detect HO "only after three weeks to two
    months" - counted from the SCI on day 90, not the fracture 5 days ago."""
    a = assess(cond(SCI, 90), cond("S72.301A", 5), finding("hip-pain", True, 1, "hip", "right"))
    assert a.surveillance.phase == "in-window"
    assert {(d.joint, d.side) for d in a.surveillance.due} >= {("hip", "left"), ("knee", "left")}
    by_id = recs(a)
    assert "plain-radiograph" in by_id and "rule-out-fracture" not in by_id


# --- 7. Old HO is history, not an active lesion ------------------------------------------------


def test_ho_recorded_years_before_the_current_injury_is_prior_ho() -> None:
    """risk-and-prevention.md §2.1 / AAPM&R older text: "previous HO" is a risk factor; NSAIDs
    and bisphosphonates act on HO that is forming (etidronate "must start before the pathological
    process begins", diagnosis-and-treatment.md §5)."""
    a = assess(cond(SCI, 40), cond("M61.251", 7 * 365))
    assert not a.lesions
    assert "general-prior-ho" in {f.id for f in a.risk.factors}
    assert not set(DRUGS) & set(recs(a))
    assert all(e.stage != "active" for e in a.education)


def test_a_lesion_years_old_with_no_sign_of_activity_is_not_growing() -> None:
    """diagnosis-and-treatment.md §1: "ALP and bone-scan activity may stay raised for 2 years or
    longer" in severe cases; beyond that (local setting lesion_age_settling_days) an old lesion
    with no sign of activity is not read as growing."""
    a = assess(cond("M61.251", 7 * 365))
    assert a.lesions and a.lesions[0].maturity == "maturing"
    assert not set(DRUGS) & set(recs(a))
    assert all(e.stage != "active" for e in a.education)


# --- 8. Glasgow coma scale codes are not coma; G82.21 is a complete injury ---------------------


def test_glasgow_coma_scale_codes_are_not_coma() -> None:
    """ICD-10-CM R40.21-R40.24 are Glasgow coma scale components (a GCS of 15 is an alert
    patient); the coma risk factor needs coma "lasting more than 2 weeks" (AAPM&R)."""
    gcs = cond("R40.2412", 60, ended=29)  # GCS 13-15, recorded over 31 days
    gcs_text = Condition(
        ref="Condition/gcs", codings=(Coding("icd10cm", "R40.2142"),),
        text="Coma scale, eyes open, spontaneous", onset=ago(60), abatement=ago(20),
    )  # fmt: skip
    for item in (gcs, gcs_text):
        a = assess(cond("S06.5X0A", 60), item)
        assert "general-coma-over-2-weeks" not in {f.id for f in a.risk.factors}
    coma = assess(cond("S06.5X0A", 60), cond("R40.20", 60, ended=30))
    assert "general-coma-over-2-weeks" in {f.id for f in coma.risk.factors}


def test_g82_21_is_a_complete_paraplegia() -> None:
    """ICD-10-CM G82.21 "Paraplegia, complete"; risk-and-prevention.md §2.2: complete injury
    OR 3.61 (2.29-5.71)."""
    a = assess(cond("G82.21", 30), sex="female")
    assert "sci-complete-injury" in {f.id for f in a.risk.factors}


# --- 9. Drugs follow the diagnosis step and the population's evidence ---------------------------


def test_no_drug_on_clinical_suspicion_alone() -> None:
    """diagnosis-and-treatment.md §3: the triple-phase bone scan is "the main study used for
    confirmation"; etidronate's evidence is for "Bone scan positive, X-ray negative"."""
    probable = assess(
        cond(SCI, 40), rom("hip", 110, 20), rom("hip", 90, 2), finding("hip-swelling", True)
    )
    assert probable.suspicion.level == "probable"
    assert not set(DRUGS) & set(recs(probable))
    assert "triple-phase-bone-scan" in recs(probable)


def test_one_bisphosphonate_and_etidronate_only_while_the_radiograph_is_clear() -> None:
    """diagnosis-and-treatment.md §5: etidronate for "Bone scan positive, X-ray negative: HO
    prevented in 79%"; "Bone scan and X-ray both positive (n = 13): 6 responded and 7
    progressed"."""
    early = recs(assess(*EARLY_RIGHT_HIP))
    assert sum(b in early for b in BISPHOSPHONATES) == 1 and "etidronate" in early
    assert "bone scan positive" in early["etidronate"]["rationale"].lower()
    shown = recs(assess(*EARLY_RIGHT_HIP, finding("radiograph-ho", "present", 1, "hip", "right")))
    assert "etidronate" not in shown


def test_alendronate_is_never_offered_after_brain_injury() -> None:
    """risk-and-prevention.md §4.2: alendronate "did not prevent HO" after SCI (its only
    population); §4.6: "NSAID efficacy in ABI is unknown"."""
    tbi = ("S06.5X0A", 40)
    for extra in ((), (cond("M83.9", 100),)):  # osteomalacia bars etidronate
        a = assess(cond(*tbi), finding("bone-scan-ho", "positive", 2, "hip", "right"), *extra)
        by_id = recs(a)
        assert "alendronate" not in by_id and "nsaid-indomethacin" not in by_id, extra


# --- 10. No radiation after excision of neurogenic HO -------------------------------------------


def test_no_radiation_after_excision_of_neurogenic_ho() -> None:
    """diagnosis-and-treatment.md §5: after excision of neurogenic HO, "adding radiotherapy did not
    reduce recurrence ... Sepsis needing revision was significantly higher with radiotherapy"."""
    excision = text_proc("Excision of heterotopic ossification, right hip", 2)
    for injury in (cond(SCI, 700), cond("S06.5X0A", 700)):
        assert "radiation-prophylaxis" not in recs(assess(injury, excision))
    after_fracture = recs(assess(cond("S42.401A", 700), excision))
    radiation = after_fracture["radiation-prophylaxis"]
    assert "arthroplasty" not in radiation["summary"].lower()


# --- 11. Risk grading follows its own definition ------------------------------------------------


def test_a_point_estimate_without_a_confidence_interval_is_not_strong() -> None:
    """settings.yaml risk_strong_effect: strength uses "the lower confidence bound so wide
    intervals do not count"; risk-and-prevention.md §1.2 gives arm graft OR 96.4 with no CI."""
    a = assess(cond("T22.311A", 30), proc("Z94.5", 20, system="icd10cm"), sex="female")
    arm = [f for f in a.risk.factors if "graft" in f.id]
    assert arm and not any(f.strong for f in arm)


def test_limb_swelling_is_a_sign_not_a_risk_factor() -> None:
    """diagnosis-and-treatment.md §1: swelling is among the symptoms of HO; counting the
    presenting sign as a risk factor would raise the risk of the HO it may already be."""
    a = assess(cond(SCI, 40), cond("R22.41", 3), sex="female")
    assert a.risk.level == "low"


# --- 12. Units and plausibility -----------------------------------------------------------------


def test_fahrenheit_spellings_are_converted_and_implausible_values_set_aside() -> None:
    """diagnosis-and-treatment.md §1: "low-grade fever"; a body temperature in [degF], "deg F" or
    "F" is converted, and 98.6 read as Celsius is a misreading, not a fever."""
    pain = finding("hip-pain", True, 1, "hip", "right")
    for unit in ("[degF]", "deg F", "F", "°F"):
        normal = assess(cond(SCI, 40), pain, quantity("8310-5", 98.6, unit))
        assert not any(f.id == "fever" for s in normal.suspicion.sites for f in s.findings), unit
        febrile = assess(cond(SCI, 40), pain, quantity("8310-5", 100.9, unit))
        assert any(f.id == "fever" for s in febrile.suspicion.sites for f in s.findings), unit
    unitless = assess(cond(SCI, 40), pain, quantity("8310-5", 98.6, None))
    assert not any(f.id == "fever" for s in unitless.suspicion.sites for f in s.findings)
    assert any("plausible" in w for w in unitless.import_warnings)


def test_bad_values_give_warnings_never_crashes_or_silent_readings() -> None:
    """Issue 12 acceptance: "a unit nobody knows, a value of 1e12, a date before birth: a warning
    in the output, never a crash, never a silent misreading"."""
    patient = Patient("p", "male", birth_date=date(1990, 1, 1))
    a = assess(
        cond(SCI, 100),
        cond("M61.251", 30),
        quantity("6768-6", 1e12, "U/L", 2, interpretation="N"),
        quantity("8310-5", 38.5, "furlongs"),
        rom("hip", 1e9, 3),
        Condition(
            ref="Condition/old", codings=(Coding("icd10cm", "N39.0"),), onset=date(1980, 1, 1)
        ),
        patient=patient,
    )
    warnings = " ".join(a.import_warnings)
    assert "6768-6" in warnings and "furlongs" in warnings and "Condition/old" in warnings
    assert "range of motion" in warnings
    assert a.lesions[0].criteria[1] == ("alp-normal", None), "the implausible ALP is not read"
    assert "sci-uti" not in {f.id for f in a.risk.factors}


# --- 13. Evidence trails name the right inputs, once --------------------------------------------


def test_each_hip_cites_its_own_scan() -> None:
    """DESIGN.md: "Every basis names ... the patient's own inputs ... that made it fire"."""
    left = finding("bone-scan-ho", "positive", 9, "hip", "left")
    right = finding("bone-scan-ho", "positive", 2, "hip", "right")
    a = assess(cond(SCI, 60), left, right)
    by_side: dict[str | None, SiteSuspicion] = {s.side: s for s in a.suspicion.sites}
    for side, scan in (("left", left), ("right", right)):
        refs = {i.ref for f in by_side[side].findings for i in f.basis.inputs}
        assert refs == {scan.ref}, side


def test_one_burn_coded_by_site_and_extent_is_one_event() -> None:
    """ICD-10-CM codes one burn by site and depth (T22, T24) and by extent (T31)."""
    a = assess(cond("T22.211A", 20), cond("T24.211A", 20), cond("T31.31", 20))
    assert [e.kind for e in a.index_events] == ["burn"]


def test_a_swollen_leg_joins_the_swollen_knee_on_its_side() -> None:
    """One site per joint: R22.41 (swelling, right lower limb) with a swollen right knee is one
    right-knee site, not the knee and a "right limb" beside it."""
    a = assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, cond("R22.41", 2))
    assert [(s.joint, s.side) for s in a.suspicion.sites] == [("knee", "right")]
    assert {f.id for f in a.suspicion.sites[0].findings} >= {"swelling", "leg-swelling"}


# --- 14. Sites in codes ---------------------------------------------------------------------------


def test_m61_lower_leg_and_upper_arm_name_the_knee_and_elbow() -> None:
    """diagnosis-and-treatment.md §7: M61.x[site][side], "6 lower leg" (which in ICD-10-CM's
    musculoskeletal chapter includes the knee joint), "2 upper arm" (includes the elbow)."""
    knee = assess(cond(SCI, 90), cond("M61.261", 5))
    assert [(x.joint, x.side) for x in knee.lesions] == [("knee", "right")]
    elbow = assess(cond("S06.5X0A", 90), cond("M61.222", 5))
    assert [(x.joint, x.side) for x in elbow.lesions] == [("elbow", "left")]


# --- 15. Attribution ---------------------------------------------------------------------------


def test_effects_are_credited_to_the_source_that_reported_them() -> None:
    """risk-and-prevention.md §2.6: OR 2.38 (1.01-5.64) is from "CORR 2014; PMC4048434", not
    from Yang 2016; §4.3: Vavken 2009 found "RR 0.96 (0.88-1.06), no difference" beside Pakos."""
    dislocation = next(f for f in K.risk_factors if f.id == "elbow-fracture-dislocation")
    effect = next(e for e in dislocation.effects if e.value == 2.38)
    assert effect.citation == "cit-corr-2014-elbow-ho"
    assert "4048434" in (K.citations[effect.citation].url or "")
    radiation = next(d for d in K.drugs if d.id == "radiation-prophylaxis")
    assert any(
        e.citation == "cit-vavken-2009" and e.stance == "against" for e in radiation.evidence
    )


# --- Over-alerting ------------------------------------------------------------------------------


def test_at_most_four_next_and_urgent_first() -> None:
    """DESIGN.md: "`next` holds what the team should do now, urgent first, at most 4 items"."""
    a = assess(
        cond(SCI, 18),
        rom("hip", 110, 10),
        rom("hip", 85, 1),
        finding("hip-swelling", True, 1, "hip", "right"),
        finding("hip-warmth", True, 1, "hip", "right"),
        finding("hip-redness", True, 1, "hip", "right"),
        lab("8310-5", 38.4, 1),
    )
    tiers = [r["tier"] for r in assessment_json(a)["recommendations"]]
    nexts = [r for r in assessment_json(a)["recommendations"] if r["tier"] == "next"]
    assert 1 <= len(nexts) <= 4 and nexts[0]["id"] == "rule-out-dvt"
    assert len(tiers) == len(a.recommendations)


def test_a_low_risk_patient_gets_no_at_risk_handout() -> None:
    """The at-risk module tells the family the team thinks the chance of HO is higher: not for
    a low-risk patient (risk-and-prevention.md: the level is low with no cited factor)."""
    low = assess(cond(SCI, 30), sex="female")
    assert low.risk.level == "low" and not low.education
    raised = assess(cond(SCI, 30), sex="male")
    assert {e.stage for e in raised.education} == {"at-risk"}


def test_a_concussion_starts_no_surveillance() -> None:
    """risk-and-prevention.md §1.4 and §2.3: the TBI evidence is from severe injury (GCS 8 or
    less, very severe TBI with post-traumatic amnesia of 28 days or more); no source reports HO
    after concussion. A forearm fracture alone watches that arm."""
    a = assess(cond("S06.0X1A", 20), cond("S52.501A", 20))
    assert {e.kind for e in a.index_events} == {"fracture"}
    assert len(a.surveillance.due) <= 2


def test_an_undated_or_future_death_keeps_the_engine_pure() -> None:
    """The same record and date give the same answer (the clock is an argument)."""
    rec = PatientRecord(patient=Patient("p", "male", deceased=True), conditions=(cond(SCI, 30),))
    assert evaluate(rec, K, AS_OF) == evaluate(rec, K, AS_OF)


def test_a_refuted_diagnosis_counts_for_nothing_inside_the_engine() -> None:
    """FHIR Condition.verificationStatus "refuted": the condition was ruled out. The importer skips
    such entries, and the engine ignores one handed to it directly (e.g. from the database)."""
    refuted = replace(cond("N39.0", 10), refuted=True)
    a = assess(cond(SCI, 30), refuted, sex="female")
    assert "sci-uti" not in {f.id for f in a.risk.factors}
    assert "sci-uti" in {f.id for f in assess(cond(SCI, 30), cond("N39.0", 10)).risk.factors}


def test_a_dvt_excluded_in_a_notes_text_does_not_cancel_the_work_up() -> None:
    """DESIGN.md: "free text never does" settle the DVT question. A duplex conclusion read from a
    report's text ("No DVT in the right leg") is free text: the work-up stays; a DVT found in a
    report does settle it (the patient is treated for a DVT)."""
    read_from_note = replace(dvt_duplex(False, "right", 1), evidence="No DVT in the right leg.")
    a = assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, read_from_note)
    assert recs(a)["rule-out-dvt"]["tier"] == "next"
    found = replace(dvt_duplex(True, "right", 1), evidence="Occlusive DVT, right femoral vein.")
    assert "rule-out-dvt" not in recs(assess(cond(SCI, 40), SWOLLEN_RIGHT_KNEE, found))
