"""`evaluate(record, knowledge, as_of) -> Assessment`: the whole pathway for one patient.

Pure: the clock is an argument, nothing is read from or written to the outside world.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date

from hosentinel.core.assessment import (
    Assessment,
    DvtAnswered,
    IndexEvent,
    MissingInput,
    Surveillance,
    Suspicion,
)
from hosentinel.core.cautions import assess_cautions, attach, contraindicated
from hosentinel.core.clauses import Context, present
from hosentinel.core.drug_options import plan_drugs
from hosentinel.core.education import education_for
from hosentinel.core.facts import Facts, build_facts
from hosentinel.core.index_events import FoundEvents, find_index_events
from hosentinel.core.lesions import assess_lesion
from hosentinel.core.management import plan_management
from hosentinel.core.plan import Planner
from hosentinel.core.record import Patient, PatientRecord
from hosentinel.core.risk import assess_risk
from hosentinel.core.surveillance import assess_surveillance, episode_start
from hosentinel.core.suspicion import SiteKey, assess_suspicion
from hosentinel.core.tiers import assign_tiers
from hosentinel.core.workup import plan_workup
from hosentinel.knowledge.loader import Knowledge

# Why each missing input matters: shown to the clinician next to the assessment.
WHY_MISSING: dict[str, str] = {
    "rom-baseline": "No range-of-motion measurement yet for a joint under surveillance: new loss "
    "of motion, the earliest sign, cannot be measured without a baseline.",
    "index-event-date": "An injury or operation has no date: the surveillance window cannot be "
    "placed.",
    "coma-duration": "Coma without an end date or start date: coma over 2 weeks is a risk factor.",
    "burn-tbsa": "Burn without a TBSA band (T31): a burn over 30% of body surface is a strong "
    "risk factor.",
    "egfr": "No current eGFR, creatinine clearance or CKD stage (a result older than the local "
    "setting lab_current_days does not count): renal cautions for NSAIDs and bisphosphonates "
    "cannot be checked.",
    "sex": "Administrative sex unknown: some risk factors depend on it.",
    "gestational-age": "Pregnant, but the weeks of gestation are unknown: NSAIDs are avoided from "
    "20 weeks.",
    "serial-radiographs": "No serial radiograph reading (growing/stable, immature/mature): "
    "maturity cannot be judged.",
    "serum-alp": "No ALP result with a flag or reference range: maturity needs ALP back to normal.",
    "bone-scan-activity": "No bone-scan activity reading (increasing/decreasing/quiescent): "
    "maturity needs the scan to have settled.",
    "function-status": "Not recorded whether the HO limits mobility or self-care: referral to a "
    "surgeon depends on it.",
}


# The knowledge base's concept whose codes give a burn's extent (its TBSA band).
BURN_EXTENT = "burn-extent"


def _populations(events: tuple[IndexEvent, ...]) -> set[str]:
    return {e.kind for e in events}


def _joints_with_rom(facts: Facts) -> set[tuple[str, str]]:
    """(joint, side) pairs with at least one range-of-motion measurement."""
    measured: set[tuple[str, str]] = set()
    for code, series in facts.findings.items():
        if code.endswith("-rom"):
            joint = code.split("-", 1)[0]
            measured.update((joint, o.site.side) for o in series if o.site.side)
    return measured


def _rom_baseline_missing(surveillance: Surveillance, facts: Facts) -> bool:
    measured = _joints_with_rom(facts)
    return any((d.joint, d.side) not in measured for d in surveillance.due)


def context_for(
    record: PatientRecord, knowledge: Knowledge, as_of: date
) -> tuple[Context, FoundEvents]:
    """The rule-evaluation context for a record, and its index events."""
    facts = build_facts(record, knowledge, as_of)
    found = find_index_events(knowledge, facts, as_of)
    ctx = Context(
        knowledge=knowledge,
        facts=facts,
        sex=record.patient.sex,
        as_of=as_of,
        index_date=episode_start(knowledge, found.events, found.upcoming, as_of),
    )
    return ctx, found


def is_deceased(patient: Patient, as_of: date) -> bool:
    """Dead on the as-of date: a death without a date counts whenever the record is read."""
    if patient.deceased_on is not None:
        return patient.deceased_on <= as_of
    return patient.deceased


def evaluate(record: PatientRecord, knowledge: Knowledge, as_of: date) -> Assessment:
    ctx, found = context_for(record, knowledge, as_of)
    facts = ctx.facts
    events = found.events
    populations = _populations(events)
    missing: list[str] = []
    if found.undated:
        missing.append("index-event-date")

    risk, risk_missing = assess_risk(ctx, populations)
    missing.extend(risk_missing)
    if "burn" in populations and not facts.of(BURN_EXTENT):
        missing.append("burn-tbsa")

    surveillance = assess_surveillance(knowledge, facts, events, found.upcoming, as_of)
    if surveillance.phase == "in-window" and _rom_baseline_missing(surveillance, facts):
        missing.append("rom-baseline")

    suspicion = assess_suspicion(ctx)
    lesions = []
    for site in suspicion.suspicion.sites:
        if site.level == "confirmed":
            lesion, lesion_missing = assess_lesion(ctx, site)
            lesions.append(lesion)
            missing.extend(lesion_missing)

    cautions, caution_missing = assess_cautions(ctx)
    planner = Planner(ctx, events, risk, surveillance, suspicion, tuple(lesions), populations)
    plan_workup(planner)
    plan_management(planner)
    plan_drugs(planner, contraindicated(cautions))
    recommendations, cautions = attach(assign_tiers(planner.recommendations()), cautions)
    if any(r.is_drug for r in recommendations):
        missing.extend(m for m in caution_missing if m in ("egfr", "gestational-age"))
    elif present(ctx, "pregnancy", must_be_active=True):
        missing.extend(m for m in caution_missing if m == "gestational-age")

    education = education_for(ctx, surveillance, suspicion.suspicion, tuple(lesions), risk.level)
    deceased = is_deceased(record.patient, as_of)
    if deceased:
        # No actions for a patient who has died: no recommendations, exams, education, cautions.
        recommendations, cautions, education, missing = (), (), (), []
        surveillance = replace(surveillance, due=())
    return Assessment(
        patient=f"Patient/{record.patient.id}",
        as_of=as_of,
        knowledge_release=knowledge.release,
        knowledge_digest=knowledge.digest,
        index_events=events,
        risk=risk,
        surveillance=surveillance,
        suspicion=_with_dvt_answers(suspicion.suspicion, planner.dvt_answered),
        recommendations=recommendations,
        cautions=cautions,
        lesions=tuple(lesions),
        education=education,
        missing_inputs=tuple(
            MissingInput(m, WHY_MISSING[m]) for m in dict.fromkeys(missing) if m in WHY_MISSING
        ),
        import_warnings=record.stats.warnings + facts.warnings,
        unknown_codes=record.stats.unknown_codes,
        patient_status="deceased" if deceased else "active",
    )


def _with_dvt_answers(suspicion: Suspicion, answered: Mapping[SiteKey, DvtAnswered]) -> Suspicion:
    """The suspected sites, each swollen leg whose DVT question a record answered showing it."""
    if not answered:
        return suspicion
    sites = tuple(
        replace(site, dvt=answered.get((site.joint, site.side))) for site in suspicion.sites
    )
    return replace(suspicion, sites=sites)
