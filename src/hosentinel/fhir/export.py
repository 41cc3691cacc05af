"""An assessment as FHIR R4 resources, for writing back to the EHR.

- RiskAssessment: the risk level, each factor as a note, `basis` referencing the exact inputs.
- CarePlan: surveillance (due joint examinations with their dates) and every recommendation.
- DetectedIssue: one per drug caution (contraindicated -> severity high).
- DocumentReference: one per education module, the text as an attachment.
Everything goes in one `collection` Bundle. Resources reference the patient's own resources by
the references the importer kept (e.g. "Condition/abc"), so the basis stays traceable.
"""

from __future__ import annotations

import base64
import html
import uuid
from typing import Any

from hosentinel.core.assessment import Assessment, Basis, Input, RiskFactorHit
from hosentinel.fhir.order_codes import (
    DOCUMENT_CATEGORY,
    EDUCATION_DOCUMENT_TYPE,
    US_CORE_DOCUMENTREFERENCE,
    recommendation_coding,
)
from hosentinel.fhir.systems import ACT_CODE
from hosentinel.knowledge.loader import Knowledge

PROJECT = "https://hosentinel.org/fhir"
RECOMMENDATION_SYSTEM = f"{PROJECT}/CodeSystem/recommendation"
CAUTION_SYSTEM = f"{PROJECT}/CodeSystem/caution-reason"
RULE_SYSTEM = f"{PROJECT}/CodeSystem/rule"
RISK_PROBABILITY = "http://terminology.hl7.org/CodeSystem/risk-probability"
# US Core (STU 6.1) CarePlan profile and its required category: the assessment and plan of
# treatment.
US_CORE_CAREPLAN = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"
CAREPLAN_CATEGORY = "http://hl7.org/fhir/us/core/CodeSystem/careplan-category"
XHTML = "http://www.w3.org/1999/xhtml"
# A stable namespace, so exporting the same assessment twice gives the same resource ids.
_NAMESPACE = uuid.UUID("0b4c2d9e-5a57-4c1e-9d3c-6f1f2a8e7c11")
_REFERENCE_TYPES = frozenset(
    {
        "Condition",
        "Procedure",
        "Observation",
        "MedicationRequest",
        "MedicationStatement",
        "AllergyIntolerance",
        "DiagnosticReport",
        "Patient",
    }
)


def _id(assessment: Assessment, *parts: str) -> str:
    return str(
        uuid.uuid5(_NAMESPACE, "|".join([assessment.patient, assessment.as_of.isoformat(), *parts]))
    )


def _reference(value: str) -> dict[str, str] | None:
    """A FHIR reference for an input's ref, when it is one (not e.g. "Patient" for sex)."""
    head = value.split("/", 1)[0]
    if (head in _REFERENCE_TYPES and "/" in value) or value.startswith("urn:uuid:"):
        return {"reference": value}
    return None


def _references(inputs: tuple[Input, ...]) -> list[dict[str, str]]:
    seen: dict[str, dict[str, str]] = {}
    for item in inputs:
        ref = _reference(item.ref)
        if ref is not None:
            seen.setdefault(ref["reference"], ref)
    return list(seen.values())


def _basis_text(basis: Basis) -> str:
    parts = [f"rule {basis.rule}"]
    if basis.citations:
        parts.append("sources " + ", ".join(basis.citations))
    if basis.settings:
        parts.append("local settings " + ", ".join(basis.settings))
    if basis.note:
        parts.append(basis.note)
    return "; ".join(parts)


def _meta(knowledge: Knowledge) -> dict[str, Any]:
    return {
        "tag": [
            {
                "system": f"{PROJECT}/knowledge-release",
                "code": knowledge.release,
                "display": knowledge.digest,
            }
        ]
    }


def _profiled(knowledge: Knowledge, profile: str) -> dict[str, Any]:
    return {**_meta(knowledge), "profile": [profile]}


def _factor_line(factor: RiskFactorHit) -> str:
    strong = " (strong)" if factor.strong else ""
    return f"{factor.title}{strong}: {'; '.join(factor.effects) or 'cited factor'}"


def risk_assessment(a: Assessment, knowledge: Knowledge) -> dict[str, Any]:
    inputs = tuple(i for f in a.risk.factors for i in f.basis.inputs)
    inputs += tuple(i for e in a.index_events for i in e.basis.inputs)
    resource: dict[str, Any] = {
        "resourceType": "RiskAssessment",
        "id": _id(a, "risk"),
        "meta": _meta(knowledge),
        "status": "final",
        "subject": {"reference": a.patient},
        "occurrenceDateTime": a.as_of.isoformat(),
        "method": {"text": f"HO Sentinel rules, knowledge release {knowledge.release}"},
        "prediction": [
            {
                "outcome": {"text": "Heterotopic ossification"},
                "qualitativeRisk": {
                    "coding": [{"system": RISK_PROBABILITY, "code": a.risk.level}],
                    "text": a.risk.level,
                },
                "rationale": _basis_text(a.risk.basis),
            }
        ],
    }
    basis = _references(inputs)
    if basis:
        resource["basis"] = basis
    notes = [{"text": f"{_factor_line(f)} — {_basis_text(f.basis)}"} for f in a.risk.factors]
    notes += [{"text": f"{m.title}: {m.status} ({m.reason})"} for m in a.risk.models]
    if notes:
        resource["note"] = notes
    return resource


def care_plan(a: Assessment, knowledge: Knowledge) -> dict[str, Any]:
    activities: list[dict[str, Any]] = []
    for due in a.surveillance.due:
        activities.append(
            {
                "detail": {
                    "code": {
                        "coding": [{"system": RECOMMENDATION_SYSTEM, "code": "serial-joint-exam"}],
                        "text": f"Examine the {due.side} {due.joint}",
                    },
                    "status": "not-started",
                    "scheduledString": f"due {due.due.isoformat()}"
                    + (" (overdue)" if due.overdue else ""),
                    "description": _basis_text(due.basis),
                }
            }
        )
    for rec in a.recommendations:
        # What is ordered in a standard code where one is cited (LOINC, SNOMED CT), then ours.
        standard = recommendation_coding(knowledge, rec.id)
        detail: dict[str, Any] = {
            "code": {
                "coding": [
                    *([standard] if standard else []),
                    {"system": RECOMMENDATION_SYSTEM, "code": rec.id},
                ],
                "text": rec.summary,
            },
            "status": "not-started",
            "description": f"{rec.priority}: {rec.rationale} ({_basis_text(rec.basis)})",
        }
        refs = _references(rec.basis.inputs)
        if refs:
            detail["reasonReference"] = refs
        activities.append({"detail": detail})
    description = (
        f"Phase {a.surveillance.phase}; suspicion {a.suspicion.level}; risk {a.risk.level}."
    )
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": _id(a, "careplan"),
        "meta": {**_meta(knowledge), "profile": [US_CORE_CAREPLAN]},
        # US Core: a narrative summary, and the assess-plan category.
        "text": {
            "status": "generated",
            "div": f'<div xmlns="{XHTML}">{html.escape(description)}</div>',
        },
        "status": "active",
        "intent": "proposal",
        "category": [
            {
                "coding": [
                    {
                        "system": CAREPLAN_CATEGORY,
                        "code": "assess-plan",
                        "display": "Assessment and Plan of Treatment",
                    }
                ]
            }
        ],
        "title": "Heterotopic ossification surveillance and management",
        "description": description,
        "subject": {"reference": a.patient},
        "created": a.as_of.isoformat(),
    }
    if a.surveillance.window_start and a.surveillance.window_end:
        resource["period"] = {
            "start": a.surveillance.window_start.isoformat(),
            "end": a.surveillance.window_end.isoformat(),
        }
    if activities:
        resource["activity"] = activities
    return resource


def detected_issues(a: Assessment, knowledge: Knowledge) -> list[dict[str, Any]]:
    issues = []
    for caution in a.cautions:
        issue: dict[str, Any] = {
            "resourceType": "DetectedIssue",
            "id": _id(a, "caution", caution.about, caution.reason),
            "meta": _meta(knowledge),
            "status": "final",
            "code": {
                "coding": [
                    {"system": ACT_CODE, "code": "DRG", "display": "Drug Interaction Alert"}
                    if caution.reason == "anticoagulant"
                    else {"system": CAUTION_SYSTEM, "code": caution.reason}
                ],
                "text": f"{caution.about}: {caution.reason}",
            },
            "severity": "high" if caution.level == "contraindicated" else "moderate",
            "patient": {"reference": a.patient},
            "identifiedDateTime": a.as_of.isoformat(),
            "detail": f"{caution.level}: {caution.summary} ({_basis_text(caution.basis)})",
        }
        refs = _references(caution.basis.inputs)
        if refs:
            # The record entries the caution rests on (the anticoagulant, the ulcer, ...) are
            # what it implicates, and its evidence.
            issue["implicated"] = refs
            issue["evidence"] = [{"detail": refs}]
        issues.append(issue)
    return issues


def document_references(a: Assessment, knowledge: Knowledge) -> list[dict[str, Any]]:
    modules = {m.id: m for m in knowledge.education}
    documents = []
    for item in a.education:
        module = modules[item.id]
        documents.append(
            {
                "resourceType": "DocumentReference",
                "id": _id(a, "education", item.id),
                "meta": _profiled(knowledge, US_CORE_DOCUMENTREFERENCE),
                "status": "current",
                "type": {"coding": [EDUCATION_DOCUMENT_TYPE], "text": "Patient education"},
                "category": [{"coding": [DOCUMENT_CATEGORY]}],
                "subject": {"reference": a.patient},
                "date": f"{a.as_of.isoformat()}T00:00:00Z",
                "description": f"{item.title} ({item.level}; stage {item.stage})",
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain; charset=utf-8",
                            "language": "en",
                            "title": item.title,
                            "data": base64.b64encode(module.body.encode()).decode(),
                        }
                    }
                ],
            }
        )
    return documents


def assessment_bundle(a: Assessment, knowledge: Knowledge) -> dict[str, Any]:
    """The assessment as a FHIR R4 `collection` Bundle."""
    resources = [risk_assessment(a, knowledge), care_plan(a, knowledge)]
    resources += detected_issues(a, knowledge) + document_references(a, knowledge)
    return {
        "resourceType": "Bundle",
        "id": _id(a, "bundle"),
        "type": "collection",
        "timestamp": f"{a.as_of.isoformat()}T00:00:00Z",
        "entry": [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources],
    }
