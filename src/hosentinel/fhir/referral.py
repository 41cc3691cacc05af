"""A referral to a surgeon as a FHIR R4 ServiceRequest.

The surgeon is a contained Practitioner with their NPI (`http://hl7.org/fhir/sid/us-npi`); the
assessment the referral rests on is attached as a contained DocumentReference (its contract JSON)
and named in `supportingInfo` with the patient's own maturity evidence; the lesion's condition is
the `reasonReference`. Everything else comes from the stored letter content (app/referral.py).
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson

from hosentinel.fhir.export import PROJECT, RECOMMENDATION_SYSTEM
from hosentinel.fhir.order_codes import (
    DOCUMENT_CATEGORY,
    UNKNOWN_DOCUMENT_TYPE,
    US_CORE_SERVICEREQUEST,
)
from hosentinel.fhir.systems import SNOMED

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"
PATIENT_REFERRAL = {"system": SNOMED, "code": "3457005", "display": "Patient referral"}
# NLM VSAC value set Referral (2.16.840.1.113883.3.464.1003.101.11.1215), as the knowledge base's
# concept `surgeon-referral-order` cites it (cit-vsac-referral).
SURGEON_REFERRAL = {
    "system": SNOMED,
    "code": "183541002",
    "display": "Referral to surgeon (procedure)",
}


def _lines(letter: dict[str, Any]) -> list[str]:
    notes: list[str] = []
    for lesion in letter["lesions"]:
        site = lesion["site"]
        criteria = "; ".join(f"{c['title']}: {c['status']}" for c in lesion["criteria"])
        notes.append(f"{site}: maturity {lesion['maturity']} ({criteria}). {lesion['timing']}")
        evidence = "; ".join(
            f"{e['what']} {e['value']}" + (f" ({e['date']})" if e["date"] else "")
            for e in lesion["evidence"]
        )
        if evidence:
            notes.append(f"{site} maturity evidence: {evidence}.")
        limits = [f"function limited ({e['date']})" for e in lesion["function_limited"]]
        limits += [
            f"{r['what']} {r['latest']} ({r['latest_date']})"
            + (f", first {r['first']} ({r['first_date']})" if r["first"] else "")
            for r in lesion["rom"]
        ]
        if limits:
            notes.append(f"{site} function: {'; '.join(limits)}.")
        basis = lesion["basis"]
        notes.append(
            f"{site} basis: rule {basis['rule']}; sources "
            + "; ".join(c["title"] for c in basis["citations"])
        )
    for caution in letter["cautions"]:
        notes.append(f"Caution ({caution['level']}), {caution['about']}: {caution['summary']}")
    return notes


def _requester(letter: dict[str, Any]) -> dict[str, Any]:
    """The referring clinician: their name, and their NPI as the Reference's identifier when
    their account has one."""
    requester: dict[str, Any] = {"display": letter["referred_by"]}
    if letter.get("referrer_npi"):
        requester["identifier"] = {"system": NPI_SYSTEM, "value": letter["referrer_npi"]}
    return requester


def service_request(
    *,
    referral_id: int,
    letter: dict[str, Any],
    assessment: dict[str, Any],
    authored: datetime,
    performer_code: dict[str, str] | None,
) -> dict[str, Any]:
    patient = f"Patient/{letter['patient']['id']}"
    surgeon = letter["surgeon"]
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "id": "surgeon",
        "identifier": [{"system": NPI_SYSTEM, "value": surgeon["npi"]}],
        "name": [
            {
                "family": surgeon["family"],
                "given": [g for g in surgeon["given"].split() if g],
                "text": surgeon["name"],
            }
        ],
        "address": [
            {
                "line": surgeon["line"],
                "city": surgeon["city"],
                "state": surgeon["state"],
                "postalCode": surgeon["zip5"],
                "country": "US",
            }
        ],
    }
    if surgeon.get("phone"):
        practitioner["telecom"] = [{"system": "phone", "value": surgeon["phone"], "use": "work"}]
    document = {
        "resourceType": "DocumentReference",
        "id": "assessment",
        "status": "current",
        "type": {"coding": [UNKNOWN_DOCUMENT_TYPE], "text": "HO Sentinel assessment"},
        "category": [{"coding": [DOCUMENT_CATEGORY]}],
        "subject": {"reference": patient},
        "date": f"{letter['as_of']}T00:00:00Z",
        "description": f"HO Sentinel assessment as of {letter['as_of']}, knowledge release "
        f"{letter['knowledge_release']}",
        "content": [
            {
                "attachment": {
                    "contentType": "application/json",
                    "title": "HO Sentinel assessment (contract JSON)",
                    "data": base64.b64encode(orjson.dumps(assessment)).decode(),
                }
            }
        ],
    }
    reasons: dict[str, dict[str, str]] = {}
    evidence: dict[str, dict[str, str]] = {}
    for lesion in letter["lesions"]:
        for item in lesion["evidence"] + lesion["function_limited"]:
            # A finding read from a result contained in a report ("DiagnosticReport/x#r1"): only
            # the report itself may be referenced from here (FHIR: a contained resource is
            # reachable only from inside its container).
            ref = str(item["ref"]).split("#", 1)[0]
            if ref.startswith("Condition/"):
                reasons.setdefault(ref, {"reference": ref})
            elif ref.startswith(("Observation/", "DiagnosticReport/")):
                evidence.setdefault(ref, {"reference": ref})
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral_id),  # as read: GET /fhir/ServiceRequest/{id}
        "meta": {
            "profile": [US_CORE_SERVICEREQUEST],
            "tag": [
                {"system": f"{PROJECT}/knowledge-release", "code": letter["knowledge_release"]}
            ],
        },
        "contained": [practitioner, document],
        "status": "active",
        "intent": "order",
        "category": [{"coding": [PATIENT_REFERRAL], "text": "Referral"}],
        "code": {
            "coding": [
                SURGEON_REFERRAL,
                {
                    "system": RECOMMENDATION_SYSTEM,
                    "code": "surgical-referral",
                    "display": "Surgical referral",
                },
            ],
            "text": (letter["recommendation"] or {}).get("summary")
            or "Referral to a surgeon for heterotopic ossification",
        },
        "subject": {"reference": patient},
        # SQLite hands timestamps back without their zone: they are stored in UTC.
        "authoredOn": (authored if authored.tzinfo else authored.replace(tzinfo=UTC))
        .astimezone(UTC)
        .strftime("%Y-%m-%dT%H:%M:%S+00:00"),
        "requester": _requester(letter),
        "performer": [{"reference": "#surgeon", "display": surgeon["name"]}],
        "reasonCode": [
            {
                "text": f"Heterotopic ossification, {x['site']}: maturity {x['maturity']}, "
                f"surgical referral {x['surgical_referral']}"
            }
            for x in letter["lesions"]
        ],
        "bodySite": [{"text": x["site"]} for x in letter["lesions"]],
        "supportingInfo": [{"reference": "#assessment"}, *evidence.values()],
        "note": [{"text": line} for line in _lines(letter)],
    }
    if performer_code is not None:
        resource["performerType"] = {
            "coding": [{"system": NUCC_SYSTEM, **performer_code}],
            "text": performer_code["display"],
        }
    if reasons:
        resource["reasonReference"] = list(reasons.values())
    return resource
