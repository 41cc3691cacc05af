"""A referral to a surgeon: what the letter says, taken from the assessment and never added to.

`referable_lesions` are the lesions whose surgical referral is `now` or `when-mature`; only then
can a referral be made. `letter_content` gathers, for those lesions, the site, the maturity
criteria and the patient's own evidence (the lesion's basis inputs), the function limits (the
function-limited finding and the joint's range of motion, first and latest), the cautions of the
assessment, and the basis (rules, knowledge entries, citations, the classic rule and newer
evidence). The result is plain JSON: it is stored with the referral, and the PDF letter and the
FHIR ServiceRequest are both made from it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.knowledge_view import KnowledgeView, fmt_value
from hosentinel.app.timeline_view import exam_parts
from hosentinel.core.assessment import Assessment, Basis, Lesion
from hosentinel.core.record import FINDING, Observation, PatientRecord
from hosentinel.core.site_words import site_heading
from hosentinel.directory.store import display_name
from hosentinel.store import models as m

# Who may refer: the letter is a physician's (other clinical roles read referrals).
REFER_ROLES = ("physiatrist",)
REFERABLE = ("now", "when-mature")
TIMING = {
    "now": "Referral now: the bone is mature and function is limited.",
    "when-mature": "Referral for planning: surgery is considered once the bone has matured.",
}


def referable_lesions(a: Assessment) -> list[Lesion]:
    return [x for x in a.lesions if x.surgical_referral in REFERABLE]


def patient_referrals(db: Session, patient_id: str) -> list[m.Referral]:
    """The patient's referrals, newest first."""
    return list(
        db.scalars(
            select(m.Referral)
            .where(m.Referral.patient_id == patient_id)
            .order_by(m.Referral.created_at.desc(), m.Referral.id.desc())
        )
    )


def _basis(kb: KnowledgeView, basis: Basis) -> dict[str, Any]:
    view = kb.basis(basis)
    return {
        "rule": basis.rule,
        "entries": [{"id": e.id, "title": e.title} for e in view.entries],
        "citations": [{"id": c.id, "title": c.title, "url": c.url} for c in view.citations],
        "settings": [s.id for s in view.settings],
        "note": basis.note,
    }


def _finding(obs: Observation) -> str | None:
    for coding in obs.codings:
        if coding.system == FINDING:
            return coding.code
    return None


def _rom(record: PatientRecord, joint: str | None, side: str | None) -> list[dict[str, Any]]:
    """Range of motion of the lesion's joint and side: first and latest value per motion."""
    by_motion: dict[str, list[Observation]] = defaultdict(list)
    for obs in record.observations:
        code = _finding(obs)
        parts = exam_parts(code) if code else None
        if (
            parts is None
            or obs.cancelled
            or parts[2] != "rom"
            or parts[0] != joint
            or obs.value_quantity is None
            or (side is not None and obs.site.side not in (side, None))
        ):
            continue
        by_motion[parts[1]].append(obs)
    rows = []
    for motion, items in sorted(by_motion.items()):
        items.sort(key=lambda o: o.effective.isoformat() if o.effective else "")
        first, latest = items[0], items[-1]
        rows.append(
            {
                "what": f"{site_heading(joint, side)} {motion}",
                "latest": f"{fmt_value(latest.value_quantity)}°",
                "latest_date": latest.effective.isoformat() if latest.effective else None,
                "first": f"{fmt_value(first.value_quantity)}°" if first is not latest else None,
                "first_date": first.effective.isoformat()
                if first is not latest and first.effective
                else None,
                "ref": latest.ref,
            }
        )
    return rows


def lesion_content(kb: KnowledgeView, record: PatientRecord, lesion: Lesion) -> dict[str, Any]:
    evidence = [
        {
            "what": i.what,
            "value": fmt_value(i.value),
            "date": i.date.isoformat() if i.date else None,
            "ref": i.ref,
        }
        for i in lesion.basis.inputs
    ]
    return {
        "site": site_heading(lesion.joint, lesion.side),
        "joint": lesion.joint,
        "side": lesion.side,
        "maturity": lesion.maturity,
        "surgical_referral": lesion.surgical_referral,
        "timing": TIMING[lesion.surgical_referral],
        # The assessment has no Brooker grade; the letter says so rather than guess one.
        "brooker": None,
        "criteria": [
            {
                "id": cid,
                "title": kb.criterion_title(cid),
                "status": "unknown" if met is None else ("met" if met else "not met"),
            }
            for cid, met in lesion.criteria
        ],
        "evidence": [e for e in evidence if e["what"] != "function-limited"],
        "function_limited": [e for e in evidence if e["what"] == "function-limited"],
        "rom": _rom(record, lesion.joint, lesion.side),
        "classic_rule": lesion.classic_rule,
        "newer_evidence": [
            {
                "stance": e["stance"],
                "text": e["text"],
                "citation": kb.citation(e["citation"]).title,
            }
            for e in lesion.newer_evidence
        ],
        "basis": _basis(kb, lesion.basis),
    }


def surgeon_content(
    clinician: m.Clinician, specialties: list[str], distance: float | None
) -> dict[str, Any]:
    street = ", ".join(x for x in (clinician.address1, clinician.address2) if x)
    return {
        "npi": clinician.npi,
        "name": display_name(clinician.last_name, clinician.first_name, clinician.credential),
        "family": clinician.last_name,
        "given": clinician.first_name,
        "specialties": specialties,
        "address": f"{street}, {clinician.city}, {clinician.state} {clinician.zip5}",
        "line": [x for x in (clinician.address1, clinician.address2) if x],
        "city": clinician.city,
        "state": clinician.state,
        "zip5": clinician.zip5,
        "phone": clinician.phone,
        "distance_miles": distance,
    }


def letter_content(
    kb: KnowledgeView,
    record: PatientRecord,
    a: Assessment,
    patient: m.Patient,
    surgeon: dict[str, Any],
    referred_by: str,
) -> dict[str, Any]:
    lesions = referable_lesions(a)
    recommendation = next((r for r in a.recommendations if r.id == "surgical-referral"), None)
    return {
        "patient": {
            "id": patient.id,
            "name": patient.display_name,
            "sex": patient.sex,
            "birth_date": patient.birth_date.isoformat() if patient.birth_date else None,
            "mrn": patient.mrn,
        },
        "as_of": a.as_of.isoformat(),
        "referred_by": referred_by,
        "surgeon": surgeon,
        "lesions": [lesion_content(kb, record, x) for x in lesions],
        "recommendation": None
        if recommendation is None
        else {
            "summary": recommendation.summary,
            "rationale": recommendation.rationale,
            "priority": recommendation.priority,
            "basis": _basis(kb, recommendation.basis),
        },
        "cautions": [
            {
                "about": kb.drug_title(c.about),
                "level": c.level,
                "reason": c.reason,
                "summary": c.summary,
            }
            for c in a.cautions
        ],
        "knowledge_release": a.knowledge_release,
    }
