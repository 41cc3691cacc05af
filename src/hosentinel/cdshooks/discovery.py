"""The three CDS services and the discovery document (`GET /cds-services`).

Each service asks for the same prefetch: the engine needs the whole record to be safe (a drug
caution may rest on a condition, a medication, a lab or an allergy). The templates are ones an EHR
can fill: Epic's Observation search needs a category or a code, so observations are asked for by
category (the categories the engine's observations carry: laboratory, vital signs, exam findings,
imaging conclusions). A key the client leaves out is read from `fhirServer`; a key set to null
means "no data"; what cannot be read is named on a card (only the Patient is indispensable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PATIENT_TOKEN = "{{context.patientId}}"

# Prefetch key -> FHIR query template. Only what the CDS Hooks prefetch subset allows: an instance
# read and type searches by patient reference (plus fixed category values).
PREFETCH: dict[str, str] = {
    "patient": f"Patient/{PATIENT_TOKEN}",
    "conditions": f"Condition?patient={PATIENT_TOKEN}",
    "observations-laboratory": f"Observation?patient={PATIENT_TOKEN}&category=laboratory",
    "observations-vital-signs": f"Observation?patient={PATIENT_TOKEN}&category=vital-signs",
    "observations-exam": f"Observation?patient={PATIENT_TOKEN}&category=exam",
    "observations-imaging": f"Observation?patient={PATIENT_TOKEN}&category=imaging",
    "medications": f"MedicationRequest?patient={PATIENT_TOKEN}",
    "medication-statements": f"MedicationStatement?patient={PATIENT_TOKEN}",
    "procedures": f"Procedure?patient={PATIENT_TOKEN}",
    "allergies": f"AllergyIntolerance?patient={PATIENT_TOKEN}",
    "reports": f"DiagnosticReport?patient={PATIENT_TOKEN}",
}
# What each key holds, in words (the card naming data that could not be read).
PREFETCH_WORDS: dict[str, str] = {
    "patient": "the patient",
    "conditions": "conditions",
    "observations-laboratory": "laboratory results",
    "observations-vital-signs": "vital signs",
    "observations-exam": "examination findings",
    "observations-imaging": "imaging results",
    "medications": "medication orders",
    "medication-statements": "medication statements",
    "procedures": "procedures",
    "allergies": "allergies",
    "reports": "diagnostic reports",
}
# Optional keys: used when the client prefetches them, never fetched, never a 412 when missing.
# Clinical notes (`hosentinel.notes`): HO signs are often only in therapy and nursing text.
OPTIONAL_PREFETCH: dict[str, str] = {"notes": f"DocumentReference?patient={PATIENT_TOKEN}"}


@dataclass(frozen=True, slots=True)
class Service:
    id: str
    hook: str
    title: str
    description: str
    usage: str

    def to_json(self) -> dict[str, Any]:
        return {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "prefetch": {**PREFETCH, **OPTIONAL_PREFETCH},
            "usageRequirements": self.usage,
        }


_USAGE = (
    "Reads the patient's conditions, observations (by category), medication requests and "
    "statements, procedures, allergies and diagnostic reports, prefetched or read from "
    "fhirServer (with fhirAuthorization, or an open server the issuer's settings name); data "
    "that cannot be read is named on a card, and only a missing Patient is a 412. Calls carry "
    "a JWT signed with ES384 or RS384 by a trusted issuer."
)

SERVICES: dict[str, Service] = {
    s.id: s
    for s in (
        Service(
            id="ho-sentinel-patient-view",
            hook="patient-view",
            title="HO Sentinel: heterotopic ossification surveillance",
            description="When a chart is opened: the patient's risk of heterotopic ossification "
            "(HO), the joint examinations due, any suspected HO with its findings, and the next "
            "steps, each with its basis.",
            usage=_USAGE,
        ),
        Service(
            id="ho-sentinel-order-select",
            hook="order-select",
            title="HO Sentinel: HO drug and imaging check (order select)",
            description="When an NSAID, bisphosphonate or radiation course is selected for a "
            "patient with a caution against it, a warning; when a radiograph is selected to look "
            "for HO before it can show HO, a suggestion to order a triple-phase bone scan.",
            usage=_USAGE,
        ),
        Service(
            id="ho-sentinel-order-sign",
            hook="order-sign",
            title="HO Sentinel: HO drug and imaging check (order sign)",
            description="Before orders are signed: the same checks as at order select, on every "
            "draft order.",
            usage=_USAGE,
        ),
    )
}


def discovery_document() -> dict[str, Any]:
    return {"services": [s.to_json() for s in SERVICES.values()]}
