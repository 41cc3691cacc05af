"""The small FHIR language the synthetic patients are written in: `condition(icd10=...)`,
`rom(...)`, `lab(...)`, each returning one FHIR R4 resource as a dict (ids and references are
filled in when a case becomes a Bundle, `case.bundle`).

Every patient written with it is invented and tagged as test data (HTEST).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from hosentinel.core.record import Joint, Side
from hosentinel.fhir.systems import (
    ACT_CODE,
    ACT_REASON,
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    CONDITION_CATEGORY,
    CONDITION_CLINICAL,
    CONDITION_VERIFICATION,
    DIAGNOSTIC_SERVICE,
    FINDING,
    ICD10CM,
    IDENTIFIER_TYPE,
    INTERPRETATION,
    LOINC,
    OBS_CATEGORY,
    RXNORM,
    SNOMED,
    UCUM,
)

Resource = dict[str, Any]

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


CATEGORY_DISPLAYS = {
    "exam": "Exam",
    "imaging": "Imaging",
    "laboratory": "Laboratory",
    "vital-signs": "Vital Signs",
}


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
                "type": concept(IDENTIFIER_TYPE, "MR", "Medical Record Number"),
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
