"""Synthetic demo patients for HO Sentinel, written as FHIR R4 bundles plus a catalog.

Every patient here is invented: names, identifiers and histories are made up and tagged as test
data (HTEST). Each case is one small function that lists the patient's resources in plain terms
(`condition(icd10=...)`, `rom(...)`, `lab(...)`) and says what a correct engine should conclude on
the case's own `as_of` date. Those expectations are the clinician's view, reasoned from DESIGN.md
and the clinical notes; they become acceptance tests for the engine.

Run `python -m hosentinel.demo.build_bundles` to rewrite `bundles/*.json` and `catalog.yaml` next
to this file. The output is deterministic: fixed dates, ids derived from the case name, no clock.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml

from hosentinel.knowledge.schema import CAUTION_REASONS, RECOMMENDATION_IDS

Resource = dict[str, Any]
Side = Literal["left", "right"]
Joint = Literal["hip", "knee", "elbow", "shoulder"]

# --- code systems --------------------------------------------------------------------------

ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
MRN_SYSTEM = "https://hosentinel.org/demo/mrn"

SIDE_CODES: dict[Side, tuple[str, str]] = {
    "left": ("7771000", "Left"),
    "right": ("24028007", "Right"),
}
JOINT_CODES: dict[Joint, tuple[str, str]] = {
    "hip": ("24136001", "Hip joint structure"),
    "knee": ("72696002", "Knee region structure"),
    "elbow": ("16953009", "Elbow joint structure"),
    "shoulder": ("16982005", "Shoulder joint structure"),
}
# Findings about a lesion on imaging or about function carry the joint in bodySite as well.
IMAGING_FINDINGS = frozenset(
    {
        "bone-scan-ho",
        "radiograph-ho",
        "ho-activity",
        "ho-growth",
        "ho-radiographic-maturity",
        "function-limited",
    }
)
FINDING_DISPLAYS = {
    "bone-scan-ho": "Triple-phase bone scan: heterotopic ossification",
    "radiograph-ho": "Radiograph: heterotopic ossification",
    "ho-activity": "Heterotopic ossification activity on bone scan",
    "ho-growth": "Heterotopic ossification growth on serial radiographs",
    "ho-radiographic-maturity": "Radiographic maturity of heterotopic ossification",
    "function-limited": "Mobility or self-care limited by the joint",
    "spasticity": "Spasticity",
    "autonomic-dysregulation": "Autonomic dysregulation",
    "prolonged-immobility": "Prolonged immobility",
}
CODED_VALUES = {
    "bone-scan-ho": ("positive", "negative"),
    "radiograph-ho": ("present", "absent"),
    "ho-activity": ("increasing", "decreasing", "quiescent"),
    "ho-growth": ("growing", "stable"),
    "ho-radiographic-maturity": ("immature", "mature"),
}

# --- vocabulary the expectations may use --------------------------------------------------

PHASES = ("not-applicable", "before-window", "in-window", "after-window")
RISK_LEVELS = ("low", "moderate", "high")
SUSPICION_LEVELS = ("none", "possible", "probable", "confirmed")
CAUTION_LEVELS = ("contraindicated", "caution")
MATURITY = ("active", "maturing", "mature", "unknown")
REFERRAL = ("not-indicated", "when-mature", "now")
POPULATIONS = ("sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast", "general")
STAGES = (
    "at-risk",
    "suspected",
    "active",
    "maturing",
    "before-surgery",
    "after-surgery",
    "before-window",
    "not-applicable",
)

CATEGORY_DISPLAYS = {
    "exam": "Exam",
    "imaging": "Imaging",
    "laboratory": "Laboratory",
    "vital-signs": "Vital Signs",
}

# Fixed namespace: resource ids are uuid5(namespace, "<case slug>/<n>"), stable across runs.
ID_NAMESPACE = uuid.UUID("6f1d2c0e-3b7a-5c9e-9a41-0d5e8b2f7c13")

CATALOG_HEADER = """\
# HO Sentinel demo patients. All SYNTHETIC: invented people, tagged HTEST in every bundle.
# Generated by `python -m hosentinel.demo.build_bundles`; edit that module, not this file.
#
# expect: what a correct engine outputs for the patient on the entry's as_of date.
#   phase, risk_level, suspicion: exact values. risk_level and suspicion are left out where the
#     case does not pin them down.
#   recommendations_include / recommendations_exclude: ids that must / must not be recommended.
#   cautions_include: cautions that must be listed (drug options are checked whether or not
#     they are recommended).
#   lesions: lesions that must be reported, matched on joint and side.
"""


# --- small builders ------------------------------------------------------------------------


def after(start: date, days: int) -> date:
    """The date `days` after `start` (day 0 is the index event)."""
    return start + timedelta(days=days)


def stamp(day: date, hour: int = 10) -> str:
    """A FHIR dateTime on that day, in a fixed US Eastern offset as Synthea writes them."""
    return f"{day.isoformat()}T{hour:02d}:00:00-05:00"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display is not None:
        out["display"] = display
    return out


def concept(system: str, code: str, display: str, text: str | None = None) -> Resource:
    return {"coding": [coding(system, code, display)], "text": text or display}


def body_site(side: Side | None = None, joint: Joint | None = None) -> Resource:
    """A bodySite CodeableConcept: the joint (if given) and the side as SNOMED codes."""
    codings = []
    if joint is not None:
        codings.append(coding(SNOMED, *JOINT_CODES[joint]))
    if side is not None:
        codings.append(coding(SNOMED, *SIDE_CODES[side]))
    text = " ".join(part for part in (side, joint) if part)
    return {"coding": codings, "text": text.capitalize()}


def patient(
    given: str, family: str, gender: Literal["male", "female"], born: date, mrn: str
) -> Resource:
    return {
        "resourceType": "Patient",
        "meta": {"tag": [coding(ACT_REASON, "HTEST", "test health data")]},
        "identifier": [
            {
                "type": concept(
                    "http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical Record Number"
                ),
                "system": MRN_SYSTEM,
                "value": mrn,
            }
        ],
        "name": [{"use": "official", "family": family, "given": [given]}],
        "gender": gender,
        "birthDate": born.isoformat(),
    }


def condition(
    display: str,
    onset: date,
    *,
    icd10: str | None = None,
    snomed: str | None = None,
    abatement: date | None = None,
    status: Literal["active", "resolved", "inactive"] = "active",
    category: Literal["problem-list-item", "encounter-diagnosis"] = "problem-list-item",
    side: Side | None = None,
    joint: Joint | None = None,
    recorded: date | None = None,
    note: str | None = None,
    encounter: Resource | None = None,
) -> Resource:
    """A Condition coded in ICD-10-CM and/or SNOMED CT; with neither, it carries text only."""
    codings = []
    if icd10 is not None:
        codings.append(coding(ICD10CM, icd10, display))
    if snomed is not None:
        codings.append(coding(SNOMED, snomed, display))
    resource: Resource = {
        "resourceType": "Condition",
        "clinicalStatus": {"coding": [coding(CONDITION_CLINICAL, status)]},
        "verificationStatus": {"coding": [coding(CONDITION_VERIFICATION, "confirmed")]},
        "category": [
            {
                "coding": [
                    coding(
                        CONDITION_CATEGORY,
                        category,
                        "Problem List Item"
                        if category == "problem-list-item"
                        else "Encounter Diagnosis",
                    )
                ]
            }
        ],
        "code": {"coding": codings, "text": display} if codings else {"text": display},
    }
    if side is not None or joint is not None:
        resource["bodySite"] = [body_site(side, joint)]
    if encounter is not None:
        resource["_link:encounter"] = encounter
    resource["onsetDateTime"] = stamp(onset, 9)
    if abatement is not None:
        resource["abatementDateTime"] = stamp(abatement, 9)
    resource["recordedDate"] = stamp(recorded or onset, 9)
    if note is not None:
        resource["note"] = [{"text": note}]
    return resource


def procedure(
    display: str,
    performed: date,
    *,
    snomed: str | None = None,
    side: Side | None = None,
    joint: Joint | None = None,
    encounter: Resource | None = None,
) -> Resource:
    """A completed Procedure, SNOMED-coded when a code is known, otherwise text only."""
    code = concept(SNOMED, snomed, display) if snomed else {"text": display}
    resource: Resource = {"resourceType": "Procedure", "status": "completed", "code": code}
    if encounter is not None:
        resource["_link:encounter"] = encounter
    resource["performedDateTime"] = stamp(performed, 11)
    if side is not None or joint is not None:
        resource["bodySite"] = [body_site(side, joint)]
    return resource


def _observation(
    category: str, code: Resource, day: date, value: Resource, site: Resource | None = None
) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [coding(OBS_CATEGORY, category, CATEGORY_DISPLAYS[category])]}],
        "code": code,
        "effectiveDateTime": stamp(day, 14),
    }
    resource.update(value)
    if site is not None:
        resource["bodySite"] = site
    return resource


def rom(joint: Joint, motion: str, side: Side, degrees: float, day: date) -> Resource:
    """Range of motion of one joint, in degrees (finding code `<joint>-<motion>-rom`)."""
    code = f"{joint}-{motion}-rom"
    display = f"{joint.capitalize()} {motion} range of motion"
    quantity = {"value": degrees, "unit": "deg", "system": UCUM, "code": "deg"}
    return _observation(
        "exam", concept(FINDING, code, display), day, {"valueQuantity": quantity}, body_site(side)
    )


def sign(
    joint: Joint,
    kind: Literal["pain", "swelling", "warmth", "redness"],
    side: Side,
    day: date,
    present: bool = True,
) -> Resource:
    """A bedside sign at a joint (finding code `<joint>-<kind>`), present or absent."""
    code = f"{joint}-{kind}"
    display = f"{joint.capitalize()} {kind}"
    return _observation(
        "exam", concept(FINDING, code, display), day, {"valueBoolean": present}, body_site(side)
    )


def finding(
    code: str,
    value: bool | str,
    day: date,
    *,
    side: Side | None = None,
    joint: Joint | None = None,
) -> Resource:
    """Any other project finding: a true/false finding or a coded imaging conclusion."""
    display = FINDING_DISPLAYS[code]
    if isinstance(value, bool):
        answer: Resource = {"valueBoolean": value}
    else:
        if value not in CODED_VALUES[code]:
            raise ValueError(f"{code} takes {CODED_VALUES[code]}, not {value!r}")
        answer = {"valueCodeableConcept": concept(FINDING, value, value.capitalize())}
    category = "imaging" if code in IMAGING_FINDINGS and code != "function-limited" else "exam"
    site_joint = joint if code in IMAGING_FINDINGS else None
    site = body_site(side, site_joint) if (side or site_joint) else None
    return _observation(category, concept(FINDING, code, display), day, answer, site)


def lab(
    loinc: str,
    display: str,
    value: float,
    unit: str,
    day: date,
    flag: Literal["H", "L", "N"],
    low: float | None = None,
    high: float | None = None,
    *,
    ucum: str | None = None,
    category: str = "laboratory",
) -> Resource:
    """A LOINC result with the lab's own flag and reference range."""
    flag_display = {"H": "High", "L": "Low", "N": "Normal"}[flag]
    unit_code = ucum or unit
    result = _observation(
        category,
        concept(LOINC, loinc, display),
        day,
        {"valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit_code}},
    )
    result["interpretation"] = [{"coding": [coding(INTERPRETATION, flag, flag_display)]}]
    reference: Resource = {}
    if low is not None:
        reference["low"] = {"value": low, "unit": unit, "system": UCUM, "code": unit_code}
    if high is not None:
        reference["high"] = {"value": high, "unit": unit, "system": UCUM, "code": unit_code}
    if reference:
        result["referenceRange"] = [reference]
    return result


def alp(value: float, day: date, flag: Literal["H", "L", "N"]) -> Resource:
    return lab(
        "6768-6",
        "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma",
        value,
        "U/L",
        day,
        flag,
        40,
        129,
    )


def egfr(value: float, day: date, flag: Literal["H", "L", "N"]) -> Resource:
    return lab(
        "62238-1",
        "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or "
        "Blood by Creatinine-based formula (CKD-EPI)",
        value,
        "mL/min/{1.73_m2}",
        day,
        flag,
        60,
        None,
    )


def temperature(celsius: float, day: date, flag: Literal["H", "L", "N"]) -> Resource:
    return lab(
        "8310-5", "Body temperature", celsius, "Cel", day, flag, 36.1, 37.2, category="vital-signs"
    )


def med(
    rxnorm: str,
    display: str,
    start: date,
    *,
    status: Literal["active", "completed", "stopped", "on-hold"] = "active",
    text: str | None = None,
    dosage: str | None = None,
) -> Resource:
    """A MedicationRequest coded in RxNorm (ingredient or product), with its status."""
    resource: Resource = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": concept(RXNORM, rxnorm, display, text),
        "authoredOn": stamp(start, 12),
    }
    if dosage is not None:
        resource["dosageInstruction"] = [{"text": dosage}]
    return resource


def med_statement(rxnorm: str, display: str, start: date, *, text: str | None = None) -> Resource:
    """A MedicationStatement: a medicine the patient reports taking (e.g. a home medicine)."""
    return {
        "resourceType": "MedicationStatement",
        "status": "active",
        "medicationCodeableConcept": concept(RXNORM, rxnorm, display, text),
        "effectivePeriod": {"start": stamp(start, 12)},
        "dateAsserted": stamp(start, 12),
    }


def allergy(rxnorm: str, display: str, recorded: date, reaction: str) -> Resource:
    return {
        "resourceType": "AllergyIntolerance",
        "clinicalStatus": {"coding": [coding(ALLERGY_CLINICAL, "active")]},
        "verificationStatus": {"coding": [coding(ALLERGY_VERIFICATION, "confirmed")]},
        "type": "allergy",
        "category": ["medication"],
        "criticality": "high",
        "code": concept(RXNORM, rxnorm, display),
        "recordedDate": stamp(recorded, 9),
        "reaction": [{"manifestation": [{"text": reaction}]}],
    }


def encounter(
    start: date, end: date | None, kind: Literal["IMP", "EMER", "AMB"] = "IMP"
) -> Resource:
    """An Encounter as Synthea writes one; conditions and procedures may point to it."""
    names = {"IMP": "inpatient encounter", "EMER": "emergency", "AMB": "ambulatory"}
    period = {"start": stamp(start, 8)}
    if end is not None:
        period["end"] = stamp(end, 16)
    return {
        "resourceType": "Encounter",
        "status": "finished" if end is not None else "in-progress",
        "class": coding(ACT_CODE, kind, names[kind]),
        "period": period,
    }


def imaging_report(title: str, day: date, conclusion: str, results: list[Resource]) -> Resource:
    """A radiology DiagnosticReport whose results are the project findings it concluded."""
    return {
        "resourceType": "DiagnosticReport",
        "status": "final",
        "category": [concept(DIAGNOSTIC_SERVICE, "RAD", "Radiology")],
        "code": {"text": title},
        "effectiveDateTime": stamp(day, 13),
        "issued": f"{day.isoformat()}T17:00:00-05:00",
        "conclusion": conclusion,
        "_link:result": results,
    }


# --- expectations --------------------------------------------------------------------------


def caution(about: str, reason: str, level: str) -> dict[str, str]:
    return {"about": about, "reason": reason, "level": level}


def lesion(joint: Joint, side: Side, maturity: str, referral: str) -> dict[str, str]:
    return {"joint": joint, "side": side, "maturity": maturity, "surgical_referral": referral}


def expect(
    phase: str,
    *,
    risk: str | None = None,
    suspicion: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    cautions: Sequence[dict[str, str]] = (),
    lesions: Sequence[dict[str, str]] = (),
) -> Resource:
    out: Resource = {"phase": phase}
    if risk is not None:
        out["risk_level"] = risk
    if suspicion is not None:
        out["suspicion"] = suspicion
    out["recommendations_include"] = list(include)
    out["recommendations_exclude"] = list(exclude)
    if cautions:
        out["cautions_include"] = list(cautions)
    if lesions:
        out["lesions"] = list(lesions)
    return out


def check_expectation(name: str, expected: Resource) -> None:
    """Reject an expectation that uses a word outside the contract's vocabulary."""

    def bad(what: str, value: object) -> ValueError:
        return ValueError(f"{name}: {what} {value!r} is not in the contract vocabulary")

    if expected["phase"] not in PHASES:
        raise bad("phase", expected["phase"])
    if expected.get("risk_level", "low") not in RISK_LEVELS:
        raise bad("risk level", expected["risk_level"])
    if expected.get("suspicion", "none") not in SUSPICION_LEVELS:
        raise bad("suspicion", expected["suspicion"])
    listed = expected["recommendations_include"] + expected["recommendations_exclude"]
    for rec in listed:
        if rec not in RECOMMENDATION_IDS:
            raise bad("recommendation", rec)
    overlap = set(expected["recommendations_include"]) & set(expected["recommendations_exclude"])
    if overlap:
        raise ValueError(f"{name}: both included and excluded: {sorted(overlap)}")
    for item in expected.get("cautions_include", []):
        if item["about"] not in RECOMMENDATION_IDS:
            raise bad("caution about", item["about"])
        if item["reason"] not in CAUTION_REASONS:
            raise bad("caution reason", item["reason"])
        if item["level"] not in CAUTION_LEVELS:
            raise bad("caution level", item["level"])
    for item in expected.get("lesions", []):
        if item["maturity"] not in MATURITY or item["surgical_referral"] not in REFERRAL:
            raise bad("lesion", item)


# --- cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    number: int
    slug: str
    title: str
    population: str
    stage: str
    as_of: date
    story: str
    patient: Resource
    resources: list[Resource]
    expect: Resource
    # "urn": references are urn:uuid fullUrls (Synthea bundles); "relative": Patient/<id>.
    references: Literal["urn", "relative"] = "urn"
    # Entries written as given, after the resources (e.g. an entry with no resource).
    raw_entries: list[Resource] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.number:02d}-{self.slug}.json"


ENOXAPARIN = ("67108", "enoxaparin", "enoxaparin 40 MG subcutaneous injection, once daily")
NSAID_INDO = "nsaid-indomethacin"


def case_01() -> Case:
    injury = date(2025, 6, 2)
    return Case(
        number=1,
        slug="sci-complete-day-5",
        title="Complete cervical SCI, day 5, before the window",
        population="sci",
        stage="before-window",
        as_of=after(injury, 5),
        story=(
            "A 27-year-old man broke his neck diving into a shallow lake five days ago and has a "
            "complete C5 spinal cord injury. Surveillance for HO has not started yet: the window "
            "opens two weeks after the injury. He is on enoxaparin to prevent clots."
        ),
        patient=patient("Daniel", "Okafor-Reyes", "male", date(1998, 4, 12), "DEMO-0001"),
        resources=[
            condition(
                "Complete lesion at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.115A",
            ),
            procedure("Anterior cervical decompression and fusion C4-C6", after(injury, 1)),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "plain-radiograph", "rule-out-dvt"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )


def case_02() -> Case:
    injury = date(2025, 2, 10)
    return Case(
        number=2,
        slug="sci-complete-day-40-exams-due",
        title="Complete thoracic SCI, day 40, high risk, exams due",
        population="sci",
        stage="at-risk",
        as_of=after(injury, 40),
        story=(
            "A 41-year-old man fell from a roof 40 days ago; his T4 spinal cord injury is "
            "complete. Since then he has had a urinary tract infection and a stage 3 sacral "
            "pressure injury. Nobody has measured his hip or knee range of motion yet, so there "
            "is no baseline."
        ),
        patient=patient("Ruben", "Halvorsen", "male", date(1983, 9, 30), "DEMO-0002"),
        resources=[
            condition(
                "Complete lesion at T2-T6 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.112A",
            ),
            condition(
                "Pressure ulcer of sacral region, stage 3", after(injury, 15), icd10="L89.153"
            ),
            condition(
                "Urinary tract infection, site not specified",
                after(injury, 22),
                icd10="N39.0",
                abatement=after(injury, 30),
                status="resolved",
            ),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )


def case_03() -> Case:
    injury = date(2025, 1, 6)
    exams = []
    for day, right, left in ((25, 100, 100), (40, 105, 105), (60, 75, 105)):
        exams.append(rom("hip", "flexion", "right", right, after(injury, day)))
        exams.append(rom("hip", "flexion", "left", left, after(injury, day)))
    return Case(
        number=3,
        slug="sci-hip-rom-loss-probable",
        title="Complete SCI, day 61, right hip stiff, swollen and warm",
        population="sci",
        stage="suspected",
        as_of=after(injury, 61),
        story=(
            "A 35-year-old woman with a complete T8 spinal cord injury from a car crash two "
            "months ago. Her right hip has lost 30 degrees of flexion since her best measurement, "
            "and today it is swollen and warm; she cannot feel pain there. She has a low-grade "
            "fever."
        ),
        patient=patient("Amara", "Lindqvist", "female", date(1990, 1, 18), "DEMO-0003"),
        resources=[
            condition(
                "Complete lesion at T7-T10 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.113A",
            ),
            condition(
                "Pneumonia, unspecified organism",
                after(injury, 9),
                icd10="J18.9",
                abatement=after(injury, 20),
                status="resolved",
            ),
            *exams,
            rom("knee", "flexion", "right", 130, after(injury, 40)),
            rom("knee", "flexion", "left", 130, after(injury, 40)),
            sign("hip", "swelling", "right", after(injury, 60)),
            sign("hip", "warmth", "right", after(injury, 60)),
            temperature(38.0, after(injury, 60), "H"),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "plain-radiograph"],
            exclude=["repeat-bone-scan"],
        ),
    )


def case_04() -> Case:
    injury = date(2025, 4, 14)
    return Case(
        number=4,
        slug="sci-day-18-swollen-thigh",
        title="Incomplete SCI, day 18, swollen painful right hip",
        population="sci",
        stage="suspected",
        as_of=after(injury, 18),
        story=(
            "A 48-year-old man with an incomplete T9 spinal cord injury from a fall 18 days ago. "
            "Yesterday his right thigh and hip became swollen, warm and painful. A blood clot "
            "must be ruled out first; an X-ray this early can show a fracture but not new bone."
        ),
        patient=patient("Felix", "Amadi-Brandt", "male", date(1976, 7, 5), "DEMO-0004"),
        resources=[
            condition(
                "Other incomplete lesion at T7-T10 level of thoracic spinal cord, initial "
                "encounter",
                injury,
                icd10="S24.153A",
            ),
            sign("hip", "swelling", "right", after(injury, 17)),
            sign("hip", "pain", "right", after(injury, 17)),
            sign("hip", "warmth", "right", after(injury, 17)),
            condition(
                "Localized swelling, mass and lump, right lower limb",
                after(injury, 17),
                icd10="R22.41",
                side="right",
            ),
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "rule-out-fracture"],
            exclude=["plain-radiograph"],
        ),
    )


def case_05() -> Case:
    injury = date(2025, 3, 3)
    scan = finding("bone-scan-ho", "positive", after(injury, 48), side="right", joint="hip")
    activity = finding("ho-activity", "increasing", after(injury, 48), side="right", joint="hip")
    xray = finding("radiograph-ho", "absent", after(injury, 49), side="right", joint="hip")
    return Case(
        number=5,
        slug="sci-confirmed-active-warfarin",
        title="SCI, right hip HO confirmed by bone scan, on warfarin",
        population="sci",
        stage="active",
        as_of=after(injury, 52),
        story=(
            "A 37-year-old man with a complete L1 spinal cord injury. A bone scan on day 48 "
            "showed active new bone at the right hip; the X-ray is still clear, as expected this "
            "early. He takes warfarin for a leg clot and once bled from the gut, which matters "
            "for NSAIDs."
        ),
        patient=patient("Hugo", "Castellanos", "male", date(1987, 11, 23), "DEMO-0005"),
        resources=[
            condition(
                "Complete lesion of L1 level of lumbar spinal cord, initial encounter",
                injury,
                icd10="S34.111A",
            ),
            condition(
                "Gastrointestinal hemorrhage, unspecified",
                date(2022, 8, 15),
                icd10="K92.2",
                abatement=date(2022, 8, 25),
                status="resolved",
            ),
            condition(
                "Acute embolism and thrombosis of right femoral vein",
                after(injury, 28),
                icd10="I82.411",
            ),
            med(
                "11289",
                "warfarin",
                after(injury, 29),
                text="warfarin sodium 5 MG Oral Tablet",
                dosage="5 mg by mouth daily, adjusted to INR",
            ),
            rom("hip", "flexion", "right", 110, after(injury, 30)),
            rom("hip", "flexion", "right", 90, after(injury, 45)),
            sign("hip", "swelling", "right", after(injury, 45)),
            alp(188, after(injury, 47), "H"),
            lab(
                "1988-5",
                "C reactive protein [Mass/volume] in Serum or Plasma",
                24,
                "mg/L",
                after(injury, 47),
                "H",
                0,
                5,
            ),
            scan,
            activity,
            imaging_report(
                "NM three-phase bone scan, pelvis and hips",
                after(injury, 48),
                "Increased flow, blood-pool and delayed uptake in the soft tissue anterior to "
                "the right hip: early heterotopic ossification.",
                [scan, activity],
            ),
            xray,
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            include=["nsaid-indomethacin", "etidronate"],
            # One bisphosphonate at most; the DVT on this side is known and treated.
            exclude=["alendronate", "triple-phase-bone-scan", "repeat-bone-scan", "rule-out-dvt"],
            cautions=[
                caution(NSAID_INDO, "anticoagulant", "caution"),
                caution(NSAID_INDO, "gi-bleed-history", "caution"),
            ],
            lesions=[lesion("hip", "right", "active", "not-indicated")],
        ),
    )


def case_06() -> Case:
    injury = date(2025, 5, 5)
    return Case(
        number=6,
        slug="sci-negative-scan-signs-persist",
        title="Incomplete SCI, negative bone scan, left knee signs persist",
        population="sci",
        stage="suspected",
        as_of=after(injury, 45),
        story=(
            "A 30-year-old man with an incomplete C5 spinal cord injury. His left knee became "
            "stiff, swollen and warm a month after the injury, but a bone scan ten days ago was "
            "negative. The knee is still swollen, warm and now painful, so the scan should be "
            "repeated."
        ),
        patient=patient("Owen", "Mbeki-Hart", "male", date(1995, 2, 14), "DEMO-0006"),
        resources=[
            condition(
                "Other incomplete lesion at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.155A",
            ),
            rom("knee", "flexion", "left", 120, after(injury, 20)),
            rom("knee", "flexion", "right", 130, after(injury, 20)),
            rom("knee", "flexion", "left", 130, after(injury, 27)),
            rom("knee", "flexion", "left", 116, after(injury, 33)),
            sign("knee", "swelling", "left", after(injury, 33)),
            sign("knee", "warmth", "left", after(injury, 33)),
            finding("bone-scan-ho", "negative", after(injury, 35), side="left", joint="knee"),
            rom("knee", "flexion", "left", 112, after(injury, 44)),
            rom("knee", "flexion", "right", 130, after(injury, 44)),
            sign("knee", "swelling", "left", after(injury, 44)),
            sign("knee", "warmth", "left", after(injury, 44)),
            sign("knee", "pain", "left", after(injury, 44)),
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["repeat-bone-scan", "rule-out-dvt", "plain-radiograph"],
        ),
    )


def case_07() -> Case:
    injury = date(2025, 2, 20)
    exams = []
    # Two rounds of exams, the last 8 days ago: the next round is due again.
    for day in (18, 27):
        for side in ("left", "right"):
            exams.append(rom("hip", "flexion", side, 110, after(injury, day)))
            exams.append(rom("shoulder", "abduction", side, 160, after(injury, day)))
        exams.append(rom("elbow", "flexion", "left", 140, after(injury, day)))
    exams.append(rom("elbow", "flexion", "right", 140, after(injury, 18)))
    # 5 degrees less: below the local ROM-loss setting, so not a finding.
    exams.append(rom("elbow", "flexion", "right", 135, after(injury, 27)))
    exams.append(rom("knee", "flexion", "left", 135, after(injury, 27)))
    exams.append(rom("knee", "flexion", "right", 135, after(injury, 27)))
    return Case(
        number=7,
        slug="tbi-coma-autonomic-high-risk",
        title="Severe TBI, 21-day coma, autonomic storms, day 35, exams due",
        population="tbi",
        stage="at-risk",
        as_of=after(injury, 35),
        story=(
            "A 31-year-old man with a severe diffuse brain injury from a motorbike crash was in a "
            "coma for 21 days and had episodes of autonomic dysregulation. His joints are normal "
            "so far (the right elbow is 5 degrees stiffer, within measurement noise), but his "
            "risk is high and his hips, elbows, shoulders and knees are due for their weekly check."
        ),
        patient=patient("Sebastian", "Achterberg", "male", date(1993, 6, 1), "DEMO-0007"),
        resources=[
            condition(
                "Diffuse traumatic brain injury with loss of consciousness greater than 24 hours "
                "without return to pre-existing conscious level with patient surviving, initial "
                "encounter",
                injury,
                icd10="S06.2X6A",
            ),
            condition(
                "Unspecified coma",
                injury,
                icd10="R40.20",
                abatement=after(injury, 21),
                status="resolved",
            ),
            finding("autonomic-dysregulation", True, after(injury, 6)),
            *exams,
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
        ),
    )


def case_08() -> Case:
    injury = date(2024, 9, 2)
    stay = encounter(injury, after(injury, 62))
    return Case(
        number=8,
        slug="tbi-elbow-ho-active-growing",
        title="TBI, left elbow HO still growing, function limited",
        population="tbi",
        stage="active",
        as_of=after(injury, 200),
        story=(
            "A 45-year-old woman, seven months after a traumatic brain injury, with spasticity. "
            "New bone around her left elbow was seen on X-ray at three months and is still "
            "growing; the elbow now limits dressing and eating. Surgery can be considered once "
            "the bone matures."
        ),
        patient=patient("Noor", "Whitacre", "female", date(1979, 10, 9), "DEMO-0008"),
        resources=[
            stay,
            condition(
                "Traumatic brain injury (disorder)",
                injury,
                snomed="127295002",
                category="encounter-diagnosis",
                encounter=stay,
            ),
            finding("spasticity", True, after(injury, 30)),
            rom("elbow", "flexion", "left", 140, after(injury, 40)),
            rom("elbow", "flexion", "left", 120, after(injury, 90)),
            finding("radiograph-ho", "present", after(injury, 95), side="left", joint="elbow"),
            condition(
                "Other ossification of muscle, left upper arm",
                after(injury, 95),
                icd10="M61.522",
                side="left",
                joint="elbow",
            ),
            rom("elbow", "flexion", "left", 95, after(injury, 150)),
            finding("ho-growth", "growing", after(injury, 150), side="left", joint="elbow"),
            alp(165, after(injury, 196), "H"),
            rom("elbow", "flexion", "left", 90, after(injury, 198)),
            finding("ho-growth", "growing", after(injury, 198), side="left", joint="elbow"),
            finding("function-limited", True, after(injury, 198), side="left", joint="elbow"),
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            exclude=["repeat-bone-scan", "rule-out-dvt"],
            lesions=[lesion("elbow", "left", "active", "when-mature")],
        ),
    )


def case_09() -> Case:
    injury = date(2023, 8, 14)
    final_scan = finding("ho-activity", "quiescent", date(2025, 2, 10), side="right", joint="hip")
    return Case(
        number=9,
        slug="tbi-hip-ho-mature-refer",
        title="TBI, mature right hip HO limiting sitting: refer now",
        population="tbi",
        stage="before-surgery",
        as_of=date(2025, 3, 3),
        story=(
            "A 55-year-old man, 18 months after a brain injury with a 25-day coma, has a large "
            "bony mass at his right hip that makes sitting and transfers hard. Serial X-rays are "
            "now stable and mature, alkaline phosphatase is back to normal and the bone scan has "
            "gone quiet: it is time to see a surgeon."
        ),
        patient=patient("Walter", "Nkemelu", "male", date(1969, 3, 27), "DEMO-0009"),
        resources=[
            condition(
                "Traumatic subdural hemorrhage with loss of consciousness greater than 24 hours "
                "without return to pre-existing conscious level with patient surviving, initial "
                "encounter",
                injury,
                icd10="S06.5X6A",
            ),
            condition(
                "Unspecified coma",
                injury,
                icd10="R40.20",
                abatement=after(injury, 25),
                status="resolved",
            ),
            rom("hip", "flexion", "right", 100, after(injury, 37)),
            finding("bone-scan-ho", "positive", after(injury, 67), side="right", joint="hip"),
            finding("ho-activity", "increasing", after(injury, 67), side="right", joint="hip"),
            finding("radiograph-ho", "present", after(injury, 80), side="right", joint="hip"),
            condition(
                "Other ossification of muscle, right thigh",
                after(injury, 80),
                icd10="M61.551",
                side="right",
                joint="hip",
            ),
            finding("ho-growth", "growing", date(2024, 2, 1), side="right", joint="hip"),
            alp(245, date(2024, 2, 1), "H"),
            finding("ho-growth", "stable", date(2024, 8, 5), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity", "immature", date(2024, 8, 5), side="right", joint="hip"
            ),
            finding("ho-activity", "decreasing", date(2024, 8, 5), side="right", joint="hip"),
            alp(150, date(2024, 8, 5), "H"),
            finding("ho-growth", "stable", date(2025, 2, 10), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity", "mature", date(2025, 2, 10), side="right", joint="hip"
            ),
            final_scan,
            imaging_report(
                "NM three-phase bone scan, pelvis and hips",
                date(2025, 2, 10),
                "Heterotopic bone anterior and medial to the right hip with uptake no higher "
                "than normal bone on all three phases: quiescent.",
                [final_scan],
            ),
            alp(98, date(2025, 2, 10), "N"),
            rom("hip", "flexion", "right", 45, date(2025, 2, 10)),
            finding("function-limited", True, date(2025, 2, 10), side="right", joint="hip"),
        ],
        expect=expect(
            "after-window",
            suspicion="confirmed",
            include=["surgical-referral"],
            exclude=["triple-phase-bone-scan", "repeat-bone-scan"],
            lesions=[lesion("hip", "right", "mature", "now")],
        ),
    )


def case_10() -> Case:
    stroke = date(2025, 5, 12)
    exams = []
    for day in (30, 44):
        exams.append(rom("elbow", "flexion", "left", 140, after(stroke, day)))
        exams.append(rom("shoulder", "abduction", "left", 150, after(stroke, day)))
    return Case(
        number=10,
        slug="stroke-haemorrhagic-spasticity",
        title="Haemorrhagic stroke with spasticity, day 45, elbow checks",
        population="stroke",
        stage="at-risk",
        as_of=after(stroke, 45),
        story=(
            "A 52-year-old woman had a bleed in the right side of her brain six weeks ago and now "
            "has a spastic left arm and leg. Her left elbow and shoulder move normally so far. A "
            "bleeding stroke and spasticity both raise the chance of new bone, mostly at the "
            "elbow."
        ),
        patient=patient("Grace", "Thorvaldsen", "female", date(1972, 12, 3), "DEMO-0010"),
        resources=[
            condition(
                "Nontraumatic intracerebral hemorrhage in hemisphere, subcortical",
                stroke,
                icd10="I61.0",
            ),
            condition(
                "Spastic hemiplegia affecting left nondominant side",
                after(stroke, 18),
                icd10="G81.14",
            ),
            finding("spasticity", True, after(stroke, 30)),
            *exams,
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )


def case_11() -> Case:
    stroke = date(2025, 1, 20)
    return Case(
        number=11,
        slug="stroke-ischaemic-low-risk",
        title="Ischaemic stroke, no spasticity, day 100, low risk",
        population="stroke",
        stage="at-risk",
        as_of=after(stroke, 100),
        story=(
            "A 74-year-old woman had a clot-type stroke in the left side of her brain 100 days "
            "ago, from atrial fibrillation; she now takes apixaban at home. She has no spasticity "
            "and her right arm moves fully, so her chance of new bone is low."
        ),
        patient=patient("Margarethe", "Osei", "female", date(1950, 5, 19), "DEMO-0011"),
        resources=[
            condition("Essential (primary) hypertension", date(2012, 3, 1), icd10="I10"),
            condition(
                "Cerebral infarction due to unspecified occlusion or stenosis of left middle "
                "cerebral artery",
                stroke,
                icd10="I63.512",
            ),
            condition("Unspecified atrial fibrillation", stroke, icd10="I48.91"),
            med_statement(
                "1364430", "apixaban", after(stroke, 7), text="apixaban 5 MG Oral Tablet"
            ),
            finding("spasticity", False, after(stroke, 30)),
            rom("elbow", "flexion", "right", 145, after(stroke, 30)),
            rom("shoulder", "abduction", "right", 160, after(stroke, 30)),
            finding("spasticity", False, after(stroke, 95)),
            rom("elbow", "flexion", "right", 145, after(stroke, 95)),
            rom("shoulder", "abduction", "right", 160, after(stroke, 95)),
        ],
        expect=expect(
            "in-window",
            risk="low",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "rule-out-dvt", "surgical-referral"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
    )


def case_12() -> Case:
    burn = date(2025, 7, 1)
    return Case(
        number=12,
        slug="burn-40pct-arm-graft",
        title="Burns 40-49% TBSA, grafted right arm, day 30",
        population="burn",
        stage="at-risk",
        as_of=after(burn, 30),
        story=(
            "A 38-year-old man was burned over about 45% of his body in a house fire 30 days ago, "
            "including deep burns of the right elbow and forearm that needed skin grafts. Large "
            "burns and grafted arm burns are the strongest known risks for new bone at the elbow."
        ),
        patient=patient("Kwame", "Rasmussen", "male", date(1986, 8, 8), "DEMO-0012"),
        resources=[
            condition(
                "Burns involving 40-49% of body surface with 20-29% third degree burns",
                burn,
                icd10="T31.42",
            ),
            condition(
                "Burn of third degree of right elbow, initial encounter",
                burn,
                icd10="T22.321A",
                side="right",
            ),
            condition(
                "Burn of third degree of right forearm, initial encounter",
                burn,
                icd10="T22.311A",
                side="right",
            ),
            condition(
                "Burn of third degree of chest wall, initial encounter", burn, icd10="T21.31XA"
            ),
            procedure(
                "Excision and split-thickness skin autograft, right elbow and forearm",
                after(burn, 6),
                side="right",
            ),
            procedure("Excision and split-thickness skin autograft, chest wall", after(burn, 13)),
            rom("elbow", "flexion", "right", 130, after(burn, 20)),
            rom("elbow", "flexion", "left", 145, after(burn, 20)),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="none",
            include=["serial-joint-exam"],
            exclude=["triple-phase-bone-scan"],
        ),
    )


def case_13() -> Case:
    burn = date(2025, 9, 8)
    visit = encounter(burn, burn, "EMER")
    return Case(
        number=13,
        slug="burn-small-low-risk",
        title="Small hand burn under 10% TBSA, day 20, low risk",
        population="burn",
        stage="at-risk",
        as_of=after(burn, 20),
        story=(
            "A 29-year-old woman scalded the back of her right hand while cooking 20 days ago; "
            "the burn covers well under 10% of her body and healed without grafting. Her chance "
            "of new bone is low. The record is coded the way Synthea writes it."
        ),
        patient=patient("Sofia", "Brennan-Achebe", "female", date(1996, 3, 11), "DEMO-0013"),
        resources=[
            visit,
            condition(
                "Second degree burn",
                burn,
                snomed="403191005",
                category="encounter-diagnosis",
                encounter=visit,
                abatement=after(burn, 18),
                status="resolved",
            ),
            condition(
                "Burns involving less than 10% of body surface",
                burn,
                icd10="T31.0",
                category="encounter-diagnosis",
                encounter=visit,
            ),
            condition(
                "Burn of second degree of back of right hand, initial encounter",
                burn,
                icd10="T23.261A",
                category="encounter-diagnosis",
                encounter=visit,
                side="right",
            ),
        ],
        expect=expect(
            "in-window",
            risk="low",
            suspicion="none",
            exclude=["triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )


def case_14() -> Case:
    injury = date(2025, 8, 18)
    return Case(
        number=14,
        slug="acetabular-orif-day-3",
        title="Right acetabular fracture fixed, day 3: NSAID healing caution",
        population="fracture",
        stage="before-window",
        as_of=after(injury, 3),
        story=(
            "A 34-year-old man broke the back wall of his right hip socket in a car crash and had "
            "it fixed through a posterior approach two days ago. The surveillance window has not "
            "opened. Indomethacin may delay healing of this kind of fracture."
        ),
        patient=patient("Jonas", "Whitfield", "male", date(1990, 10, 30), "DEMO-0014"),
        resources=[
            condition(
                "Displaced fracture of posterior wall of right acetabulum, initial encounter for "
                "closed fracture",
                injury,
                icd10="S32.421A",
                side="right",
            ),
            procedure(
                "Open reduction and internal fixation of right acetabulum (Kocher-Langenbeck "
                "approach)",
                after(injury, 1),
                side="right",
                joint="hip",
            ),
            med(ENOXAPARIN[0], ENOXAPARIN[1], after(injury, 1), text=ENOXAPARIN[2]),
        ],
        expect=expect(
            "before-window",
            suspicion="none",
            exclude=["triple-phase-bone-scan"],
            cautions=[
                caution(NSAID_INDO, "fracture-healing", "caution"),
                caution(NSAID_INDO, "anticoagulant", "caution"),
            ],
        ),
    )


def case_15() -> Case:
    injury = date(2025, 10, 5)
    return Case(
        number=15,
        slug="elbow-fracture-dislocation-day-2",
        title="Right elbow fracture-dislocation fixed, day 2: radiation caution",
        population="fracture",
        stage="before-window",
        as_of=after(injury, 2),
        story=(
            "A 42-year-old man fell off a ladder and dislocated his right elbow, breaking the "
            "radial head and the coronoid (a 'terrible triad'); it was fixed the same day. This "
            "injury pattern carries a high risk of new bone, but radiation right after fixing an "
            "elbow fracture can stop the fracture from healing."
        ),
        patient=patient("Mateo", "Lindgren", "male", date(1983, 4, 4), "DEMO-0015"),
        resources=[
            condition(
                "Posterior dislocation of right ulnohumeral joint, initial encounter",
                injury,
                icd10="S53.124A",
                side="right",
                joint="elbow",
            ),
            condition(
                "Displaced fracture of head of right radius, initial encounter for closed fracture",
                injury,
                icd10="S52.121A",
                side="right",
            ),
            condition(
                "Displaced fracture of coronoid process of right ulna, initial encounter for "
                "closed fracture",
                injury,
                icd10="S52.041A",
                side="right",
            ),
            procedure(
                "Open reduction and internal fixation of right radial head and coronoid, repair "
                "of lateral collateral ligament",
                injury,
                side="right",
                joint="elbow",
            ),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            cautions=[
                caution("radiation-prophylaxis", "fracture-healing", "caution"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )


def case_16() -> Case:
    injury = date(2025, 4, 7)
    return Case(
        number=16,
        slug="femur-shaft-hip-rom-drop",
        title="Femur shaft fracture, day 25, right hip flexion dropping",
        population="fracture",
        stage="suspected",
        as_of=after(injury, 25),
        story=(
            "A 23-year-old man broke his right thigh bone in a motorbike crash and had it nailed. "
            "He spent weeks mostly in bed. His right hip bent to 110 degrees a week ago but only "
            "to 98 today, while his knee keeps improving: possible early new bone, no swelling. "
            "He takes sertraline, and a short course of prednisone for asthma: both matter for "
            "NSAIDs."
        ),
        patient=patient("Elias", "Mwangi", "male", date(2002, 1, 15), "DEMO-0016"),
        resources=[
            condition(
                "Displaced transverse fracture of shaft of right femur, initial encounter for "
                "closed fracture",
                injury,
                icd10="S72.321A",
                side="right",
            ),
            procedure(
                "Intramedullary nailing of right femoral shaft", after(injury, 1), side="right"
            ),
            finding("prolonged-immobility", True, after(injury, 10)),
            rom("hip", "flexion", "right", 90, after(injury, 10)),
            rom("hip", "flexion", "left", 115, after(injury, 10)),
            rom("knee", "flexion", "right", 95, after(injury, 10)),
            rom("hip", "flexion", "right", 110, after(injury, 17)),
            rom("knee", "flexion", "right", 110, after(injury, 17)),
            rom("hip", "flexion", "right", 98, after(injury, 24)),
            rom("knee", "flexion", "right", 120, after(injury, 24)),
            med(
                "8640",
                "prednisone",
                after(injury, 3),
                text="predniSONE 10 MG Oral Tablet",
                dosage="10 mg by mouth daily (asthma flare), tapering",
            ),
            med(
                "36437",
                "sertraline",
                date(2024, 9, 1),
                text="sertraline 50 MG Oral Tablet",
                dosage="50 mg by mouth daily",
            ),
        ],
        expect=expect(
            "in-window",
            risk="high",
            suspicion="possible",
            exclude=["rule-out-dvt", "surgical-referral"],
            cautions=[
                caution(NSAID_INDO, "fracture-healing", "caution"),
                caution(NSAID_INDO, "corticosteroid", "caution"),
                caution(NSAID_INDO, "ssri", "caution"),
            ],
        ),
    )


def case_17() -> Case:
    surgery = date(2025, 11, 3)
    left_tha = date(2019, 4, 15)
    return Case(
        number=17,
        slug="tha-ankylosing-spondylitis-prior-ho",
        title="Right hip replacement, AS and prior HO: prophylaxis options",
        population="arthroplasty",
        stage="at-risk",
        as_of=after(surgery, 1),
        story=(
            "A 62-year-old man with ankylosing spondylitis had his right hip replaced yesterday. "
            "After his left hip replacement in 2019 he grew enough new bone to need it removed. "
            "His risk is high, so radiation or an NSAID to prevent new bone should be offered "
            "now."
        ),
        patient=patient("Bernard", "Okonkwo-Lee", "male", date(1963, 2, 2), "DEMO-0017"),
        resources=[
            condition(
                "Ankylosing spondylitis of unspecified sites in spine",
                date(2001, 6, 1),
                icd10="M45.9",
            ),
            procedure("Total replacement of hip", left_tha, snomed="52734007", side="left"),
            condition("Presence of left artificial hip joint", left_tha, icd10="Z96.642"),
            condition(
                "Other ossification of muscle, left thigh",
                after(left_tha, 86),
                icd10="M61.552",
                side="left",
                joint="hip",
                abatement=date(2021, 5, 3),
                status="resolved",
                note="Brooker III after left total hip arthroplasty; excised May 2021.",
            ),
            procedure("Total replacement of hip", surgery, snomed="52734007", side="right"),
        ],
        expect=expect(
            "before-window",
            risk="high",
            suspicion="none",
            include=["radiation-prophylaxis", NSAID_INDO],
        ),
    )


def case_18() -> Case:
    surgery = date(2025, 10, 20)
    return Case(
        number=18,
        slug="tha-ckd-egfr-28",
        title="Right hip replacement, CKD stage 4 (eGFR 28): renal cautions",
        population="arthroplasty",
        stage="at-risk",
        as_of=after(surgery, 2),
        story=(
            "A 71-year-old woman had her right hip replaced for arthritis two days ago. Her "
            "kidneys work at about a quarter of normal (eGFR 28). Alendronate should not be used "
            "at this level, and NSAIDs need care."
        ),
        patient=patient("Helena", "Vasquez-Orr", "female", date(1954, 7, 21), "DEMO-0018"),
        resources=[
            condition("Chronic kidney disease, stage 4 (severe)", date(2021, 3, 1), icd10="N18.4"),
            condition(
                "Unilateral primary osteoarthritis, right hip", date(2020, 9, 14), icd10="M16.11"
            ),
            egfr(31, date(2025, 9, 15), "L"),
            egfr(28, after(surgery, -1), "L"),
            procedure("Total replacement of hip", surgery, snomed="52734007", side="right"),
        ],
        expect=expect(
            "before-window",
            cautions=[
                caution("alendronate", "renal-impairment", "contraindicated"),
                caution(NSAID_INDO, "renal-impairment", "caution"),
            ],
        ),
    )


def case_19() -> Case:
    injury = date(2025, 6, 10)
    return Case(
        number=19,
        slug="pregnant-24-weeks-tibia-fracture",
        title="Pregnant (24 weeks) with a tibial shaft fracture: no NSAIDs",
        population="fracture",
        stage="at-risk",
        as_of=after(injury, 16),
        story=(
            "A 30-year-old woman, 24 weeks pregnant when she slipped on ice, broke her right shin "
            "bone and had it nailed. NSAIDs such as indomethacin must be avoided from 20 weeks of "
            "pregnancy, and they may also slow fracture healing."
        ),
        patient=patient("Camille", "Adeyemi", "female", date(1994, 9, 9), "DEMO-0019"),
        resources=[
            condition("Pregnant state, incidental", injury, icd10="Z33.1"),
            condition("24 weeks gestation of pregnancy", injury, icd10="Z3A.24"),
            condition(
                "Displaced transverse fracture of shaft of right tibia, initial encounter for "
                "closed fracture",
                injury,
                icd10="S82.221A",
                side="right",
            ),
            procedure(
                "Intramedullary nailing of right tibial shaft", after(injury, 1), side="right"
            ),
            rom("knee", "flexion", "right", 100, after(injury, 14)),
        ],
        expect=expect(
            "in-window",
            suspicion="none",
            cautions=[
                caution(NSAID_INDO, "pregnancy", "contraindicated"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )


def case_20() -> Case:
    cabg = date(2025, 9, 15)
    return Case(
        number=20,
        slug="stroke-after-cabg-heart-failure",
        title="Stroke the day after CABG, heart failure: NSAID cautions",
        population="stroke",
        stage="before-window",
        as_of=after(cabg, 8),
        story=(
            "A 67-year-old man with heart failure had coronary bypass surgery eight days ago and "
            "a clot-type stroke the next day. NSAIDs are contraindicated around bypass surgery "
            "and can worsen heart failure."
        ),
        patient=patient("Desmond", "Farrow", "male", date(1957, 12, 12), "DEMO-0020"),
        resources=[
            condition(
                "Chronic systolic (congestive) heart failure", date(2023, 2, 1), icd10="I50.22"
            ),
            procedure("Coronary artery bypass grafting", cabg, snomed="232717009"),
            condition(
                "Cerebral infarction due to embolism of left middle cerebral artery",
                after(cabg, 1),
                icd10="I63.412",
            ),
            med("1191", "aspirin", after(cabg, 1), text="aspirin 81 MG Oral Tablet"),
        ],
        expect=expect(
            "before-window",
            risk="moderate",
            suspicion="none",
            cautions=[
                caution(NSAID_INDO, "recent-cabg", "contraindicated"),
                caution(NSAID_INDO, "heart-failure", "caution"),
            ],
        ),
    )


def case_21() -> Case:
    injury = date(2025, 3, 17)
    return Case(
        number=21,
        slug="sci-oesophageal-stricture-hypocalcaemia",
        title="Central cord SCI with oesophageal stricture and low calcium",
        population="sci",
        stage="at-risk",
        as_of=after(injury, 30),
        story=(
            "A 70-year-old man fell at home and has a central cord syndrome at C5. He has a known "
            "narrowing of the oesophagus and his blood calcium is low. Alendronate and etidronate "
            "are unsafe with a stricture, and alendronate also needs calcium corrected first."
        ),
        patient=patient("Arthur", "Penhaligon", "male", date(1954, 4, 17), "DEMO-0021"),
        resources=[
            condition("Obstruction of esophagus", date(2019, 5, 10), icd10="K22.2"),
            condition(
                "Central cord syndrome at C5 level of cervical spinal cord, initial encounter",
                injury,
                icd10="S14.125A",
            ),
            condition("Hypocalcemia", after(injury, 24), icd10="E83.51"),
            lab(
                "17861-6",
                "Calcium [Mass/volume] in Serum or Plasma",
                7.6,
                "mg/dL",
                after(injury, 28),
                "L",
                8.6,
                10.3,
            ),
        ],
        expect=expect(
            "in-window",
            cautions=[
                caution("alendronate", "oesophageal-disorder", "contraindicated"),
                caution("etidronate", "oesophageal-disorder", "contraindicated"),
                caution("alendronate", "hypocalcaemia", "contraindicated"),
            ],
        ),
    )


def case_22() -> Case:
    injury = date(2025, 5, 3)
    visit = encounter(injury, injury, "EMER")
    return Case(
        number=22,
        slug="concussion-forearm-fracture-nsaid-allergy",
        title="Concussion and forearm fracture, NSAID allergy and peptic ulcer",
        population="tbi",
        stage="at-risk",
        as_of=after(injury, 28),
        story=(
            "A 45-year-old man knocked himself out and broke his forearm falling from a bike four "
            "weeks ago; the record is coded the way Synthea writes it. He gets hives and lip "
            "swelling from ibuprofen and has a stomach ulcer, so NSAIDs are not an option for "
            "him."
        ),
        patient=patient("Luca", "Ferreira-Haldane", "male", date(1980, 5, 25), "DEMO-0022"),
        resources=[
            visit,
            condition(
                "Concussion with loss of consciousness",
                injury,
                snomed="62564004",
                category="encounter-diagnosis",
                encounter=visit,
                abatement=after(injury, 21),
                status="resolved",
            ),
            condition(
                "Fracture of forearm",
                injury,
                snomed="65966004",
                category="encounter-diagnosis",
                encounter=visit,
            ),
            procedure("Bone immobilization", injury, snomed="274474001", encounter=visit),
            allergy("5640", "ibuprofen", date(2012, 6, 1), "Hives and lip swelling"),
            condition(
                "Chronic gastric ulcer without hemorrhage or perforation",
                date(2024, 11, 2),
                icd10="K25.7",
            ),
        ],
        expect=expect(
            "in-window",
            cautions=[
                caution(NSAID_INDO, "allergy", "contraindicated"),
                caution(NSAID_INDO, "peptic-ulcer", "caution"),
                caution(NSAID_INDO, "fracture-healing", "caution"),
            ],
        ),
    )


def case_23() -> Case:
    injury = date(2023, 3, 14)
    excision = date(2025, 3, 10)
    return Case(
        number=23,
        slug="sci-after-hip-ho-excision",
        title="SCI, 10 days after excision of right hip HO",
        population="sci",
        stage="after-surgery",
        as_of=after(excision, 10),
        story=(
            "A 40-year-old man with a complete T9 spinal cord injury two years ago had new bone "
            "removed from his right hip ten days ago so that he can sit properly again. His hip "
            "now bends to 95 degrees, up from 35 before surgery. He takes indomethacin to help "
            "stop the bone coming back."
        ),
        patient=patient("Viktor", "Ansah-Kowalski", "male", date(1985, 1, 8), "DEMO-0023"),
        resources=[
            condition(
                "Complete lesion at T7-T10 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.113A",
            ),
            condition(
                "Paralytic calcification and ossification of muscle, right thigh",
                after(injury, 70),
                icd10="M61.251",
                side="right",
                joint="hip",
                abatement=excision,
                status="resolved",
            ),
            rom("hip", "flexion", "right", 35, after(excision, -18)),
            procedure(
                "Excision of heterotopic ossification of right hip",
                excision,
                side="right",
                joint="hip",
            ),
            med(
                "5781",
                "indomethacin",
                after(excision, 1),
                text="indomethacin 25 MG Oral Capsule",
                dosage="25 mg by mouth three times daily with food",
            ),
            rom("hip", "flexion", "right", 90, after(excision, 3)),
            rom("hip", "flexion", "right", 95, after(excision, 9)),
        ],
        expect=expect(
            "after-window",
            suspicion="none",
            exclude=["surgical-referral", "triple-phase-bone-scan"],
        ),
    )


def case_24() -> Case:
    injury = date(2025, 2, 3)
    return Case(
        number=24,
        slug="blast-transfemoral-amputation",
        title="Combat blast, left transfemoral amputation, day 40",
        population="blast",
        stage="at-risk",
        as_of=after(injury, 40),
        story=(
            "A 25-year-old soldier stepped on an improvised explosive device on foot patrol 40 "
            "days ago and lost his left leg above the knee. New bone forms in most residual limbs "
            "after blast amputations at this level, so his risk is high."
        ),
        patient=patient("Marcus", "Oyelaran-Steele", "male", date(1999, 7, 30), "DEMO-0024"),
        resources=[
            condition("Blast injury, left lower limb (dismounted IED)", injury),
            condition(
                "Complete traumatic amputation at level between left hip and knee, initial "
                "encounter",
                injury,
                icd10="S78.112A",
                side="left",
            ),
            condition(
                "Military operations involving unspecified explosion and fragments, military "
                "personnel, initial encounter",
                injury,
                icd10="Y37.200A",
            ),
            procedure("Revision of transfemoral amputation, left", after(injury, 6), side="left"),
        ],
        expect=expect("in-window", risk="high", suspicion="none"),
    )


def case_25() -> Case:
    injury = date(2025, 8, 4)
    other_patient = str(uuid.uuid5(ID_NAMESPACE, "messy/someone-else"))
    baseline = rom("hip", "flexion", "right", 110, after(injury, 20))
    baseline["effectiveDateTime"] = after(injury, 20).isoformat()  # date only, as some EHRs send
    left_baseline = rom("hip", "flexion", "left", 110, after(injury, 20))
    left_baseline["effectiveDateTime"] = after(injury, 20).isoformat()
    bogus = sign("hip", "pain", "left", after(injury, 37))
    bogus["status"] = "bogus"
    misfiled = condition(
        "Paralytic calcification and ossification of muscle, right thigh",
        after(injury, 30),
        icd10="M61.251",
        side="right",
        joint="hip",
    )
    misfiled["subject"] = {"reference": f"Patient/{other_patient}"}
    return Case(
        number=25,
        slug="messy-real-world-export",
        title="Messy export: text-only codes, stray and invalid resources",
        population="sci",
        stage="suspected",
        as_of=after(injury, 38),
        story=(
            "A 36-year-old man with complete paraplegia after a motorcycle crash; his right hip "
            "has stiffened and swollen. The export is messy, as real ones are: the injury is in "
            "free text only, warfarin is coded at product level, and the file also holds another "
            "patient's diagnosis, a resource type nobody knows, an observation with an invalid "
            "status and an entry with no resource. He must still be assessed, from his own valid "
            "data only."
        ),
        patient=patient("Rafael", "Quintero-Baptiste", "male", date(1988, 12, 1), "DEMO-0025"),
        resources=[
            condition("Complete paraplegia after T6 spinal cord injury (motorcycle crash)", injury),
            baseline,
            left_baseline,
            med(
                "855332",
                "Warfarin Sodium 5 MG Oral Tablet",
                after(injury, 25),
                dosage="5 mg daily, INR 2-3",
            ),
            misfiled,
            {
                "resourceType": "LegacyNursingNote",
                "text": "Turned every 2 hours overnight; skin intact.",
                "date": stamp(after(injury, 36), 6),
            },
            rom("hip", "flexion", "right", 85, after(injury, 37)),
            rom("hip", "flexion", "left", 110, after(injury, 37)),
            sign("hip", "swelling", "right", after(injury, 37)),
            bogus,
        ],
        expect=expect(
            "in-window",
            suspicion="probable",
            include=["rule-out-dvt", "triple-phase-bone-scan", "plain-radiograph"],
            cautions=[caution(NSAID_INDO, "anticoagulant", "caution")],
        ),
        references="relative",
        raw_entries=[{"fullUrl": f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, 'messy/empty-entry')}"}],
    )


def case_26() -> Case:
    injury = date(2024, 7, 1)
    return Case(
        number=26,
        slug="sci-hip-ho-maturing",
        title="SCI, right hip HO stable on X-ray but not yet mature",
        population="sci",
        stage="maturing",
        as_of=after(injury, 301),
        story=(
            "A 43-year-old woman with a complete T4 spinal cord injury ten months ago has new "
            "bone at her right hip that makes sitting hard. It has stopped growing on X-ray and "
            "the bone scan is less active, but alkaline phosphatase is still high and the bone "
            "looks immature. Surgery should wait until it matures."
        ),
        patient=patient("Yara", "Dominguez-Falk", "female", date(1981, 6, 16), "DEMO-0026"),
        resources=[
            condition(
                "Complete lesion at T2-T6 level of thoracic spinal cord, initial encounter",
                injury,
                icd10="S24.112A",
            ),
            finding("bone-scan-ho", "positive", after(injury, 56), side="right", joint="hip"),
            finding("ho-activity", "increasing", after(injury, 56), side="right", joint="hip"),
            finding("radiograph-ho", "present", after(injury, 63), side="right", joint="hip"),
            condition(
                "Paralytic calcification and ossification of muscle, right thigh",
                after(injury, 63),
                icd10="M61.251",
                side="right",
                joint="hip",
            ),
            alp(290, after(injury, 63), "H"),
            finding("ho-growth", "growing", after(injury, 153), side="right", joint="hip"),
            alp(240, after(injury, 153), "H"),
            finding("ho-growth", "stable", after(injury, 245), side="right", joint="hip"),
            finding("ho-activity", "decreasing", after(injury, 281), side="right", joint="hip"),
            finding("ho-growth", "stable", after(injury, 283), side="right", joint="hip"),
            finding(
                "ho-radiographic-maturity",
                "immature",
                after(injury, 283),
                side="right",
                joint="hip",
            ),
            alp(170, after(injury, 283), "H"),
            finding("function-limited", True, after(injury, 283), side="right", joint="hip"),
        ],
        expect=expect(
            "in-window",
            suspicion="confirmed",
            exclude=["triple-phase-bone-scan", "repeat-bone-scan"],
            lesions=[lesion("hip", "right", "maturing", "when-mature")],
        ),
    )


def case_27() -> Case:
    visit_day = date(2025, 8, 12)
    visit = encounter(visit_day, visit_day, "AMB")
    return Case(
        number=27,
        slug="no-index-event-knee-arthritis",
        title="Clinic patient with knee arthritis, no index event",
        population="general",
        stage="not-applicable",
        as_of=visit_day,
        story=(
            "A 58-year-old woman seen in clinic for knee osteoarthritis and high blood pressure, "
            "coded the way Synthea writes it. She has had no injury, stroke, burn or joint "
            "replacement, so HO surveillance does not apply."
        ),
        patient=patient("Ilse", "Marchetti-Obi", "female", date(1967, 2, 27), "DEMO-0027"),
        resources=[
            visit,
            condition(
                "Essential hypertension (disorder)",
                date(2016, 4, 5),
                snomed="59621000",
                category="encounter-diagnosis",
            ),
            condition(
                "Osteoarthritis of knee",
                date(2022, 10, 18),
                snomed="239873007",
                category="encounter-diagnosis",
            ),
            med("314076", "lisinopril 10 MG Oral Tablet", date(2016, 4, 5)),
            rom("knee", "flexion", "right", 120, visit_day),
            rom("knee", "flexion", "left", 125, visit_day),
        ],
        expect=expect(
            "not-applicable",
            suspicion="none",
            exclude=["serial-joint-exam", "triple-phase-bone-scan", "rule-out-dvt"],
        ),
    )


CASES: tuple[Callable[[], Case], ...] = (
    case_01,
    case_02,
    case_03,
    case_04,
    case_05,
    case_06,
    case_07,
    case_08,
    case_09,
    case_10,
    case_11,
    case_12,
    case_13,
    case_14,
    case_15,
    case_16,
    case_17,
    case_18,
    case_19,
    case_20,
    case_21,
    case_22,
    case_23,
    case_24,
    case_25,
    case_26,
    case_27,
)


# --- assembly ------------------------------------------------------------------------------


def _resource_id(case: Case, n: int) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{case.slug}/{n}"))


def bundle(case: Case) -> Resource:
    """The case as a FHIR R4 collection Bundle: ids assigned, references filled in."""
    patient_id = _resource_id(case, 0)
    ids = {id(res): _resource_id(case, n) for n, res in enumerate(case.resources, start=1)}

    def reference(res: Resource) -> str:
        rid = ids[id(res)]
        return f"urn:uuid:{rid}" if case.references == "urn" else f"{res['resourceType']}/{rid}"

    patient_ref = f"urn:uuid:{patient_id}" if case.references == "urn" else f"Patient/{patient_id}"
    entries = [
        {
            "fullUrl": f"urn:uuid:{patient_id}",
            "resource": {"resourceType": "Patient", "id": patient_id}
            | {k: v for k, v in case.patient.items() if k != "resourceType"},
        }
    ]
    for res in case.resources:
        rid = ids[id(res)]
        out: Resource = {"resourceType": res["resourceType"], "id": rid}
        for key, value in res.items():
            if key == "resourceType":
                continue
            if key.startswith("_link:"):
                target = key.removeprefix("_link:")
                if isinstance(value, list):
                    out[target] = [{"reference": reference(item)} for item in value]
                else:
                    out[target] = {"reference": reference(value)}
            else:
                out[key] = value
        owner = "patient" if res["resourceType"] == "AllergyIntolerance" else "subject"
        out.setdefault(owner, {"reference": patient_ref})
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": out})
    entries.extend(case.raw_entries)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(ID_NAMESPACE, f"{case.slug}/bundle")),
        "type": "collection",
        "timestamp": f"{case.as_of.isoformat()}T07:00:00-05:00",
        "entry": entries,
    }


def catalog_entry(case: Case) -> Resource:
    check_expectation(case.file, case.expect)
    if case.population not in POPULATIONS or case.stage not in STAGES:
        raise ValueError(f"{case.file}: unknown population or stage")
    return {
        "file": case.file,
        "patient": f"Patient/{_resource_id(case, 0)}",
        "title": case.title,
        "population": case.population,
        "stage": case.stage,
        "as_of": case.as_of.isoformat(),
        "story": case.story,
        "expect": case.expect,
    }


def render_bundle(case: Case) -> str:
    return json.dumps(bundle(case), indent=2, ensure_ascii=False) + "\n"


def render_catalog(cases: Sequence[Case]) -> str:
    entries = [catalog_entry(case) for case in cases]
    body = yaml.safe_dump(entries, sort_keys=False, allow_unicode=True, width=100)
    return CATALOG_HEADER + "\n" + body


def build(out_dir: Path) -> list[Path]:
    """Write bundles/<NN>-<slug>.json and catalog.yaml under out_dir; return the files written.

    Bundle files in out_dir/bundles that no case produces any more are removed.
    """
    cases = [make() for make in CASES]
    files = [case.file for case in cases]
    if len(set(files)) != len(files):
        raise ValueError("two cases share a file name")
    bundles = out_dir / "bundles"
    bundles.mkdir(parents=True, exist_ok=True)
    written = []
    for case in cases:
        path = bundles / case.file
        path.write_text(render_bundle(case), encoding="utf-8", newline="\n")
        written.append(path)
    for stale in sorted(bundles.glob("*.json")):
        if stale.name not in files:
            stale.unlink()
    catalog = out_dir / "catalog.yaml"
    catalog.write_text(render_catalog(cases), encoding="utf-8", newline="\n")
    written.append(catalog)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).parent,
        help="directory to write bundles/ and catalog.yaml into (default: next to this module)",
    )
    args = parser.parse_args(argv)
    written = build(args.out)
    sys.stdout.write(f"wrote {len(written) - 1} bundles and a catalog to {args.out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
