"""Refer to a surgeon: from a patient whose assessment recommends surgical referral (`now` or
`when-mature`), find an orthopaedic surgeon near a ZIP code, confirm, and get the letter.

GET  /patients/{id}/referral                   search surgeons near a ZIP code
GET  /patients/{id}/referral/confirm?npi=...   the letter's content, to confirm
POST /patients/{id}/referrals                  record the referral (CSRF, audited) -> its page
GET  /patients/{id}/referrals/{rid}            the referral, with its letter and ServiceRequest
GET  /patients/{id}/referrals/{rid}/letter.pdf the referral letter (PDF)
GET  /fhir/ServiceRequest/{rid}                the referral as a FHIR R4 ServiceRequest
GET  /api/patients/{id}/referrals              the patient's referrals (JSON)

Only a physiatrist refers (the letter is a physician's); other clinical roles may read referrals.
Without a referable lesion the referral is refused with the reason (422).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import CLINICAL_ROLES, Config, CurrentViewer, Db, DbId, Viewer, require
from hosentinel.app.errors import Invalid, NotFound
from hosentinel.app.knowledge_view import KnowledgeView
from hosentinel.app.pages.directory import RADII, page_links, parse_query
from hosentinel.app.pages.fhir_api import outcome
from hosentinel.app.pages.patients import clinical_patient, current_assessment
from hosentinel.app.pdf import html_to_pdf
from hosentinel.app.referral import (
    REFER_ROLES,
    letter_content,
    patient_referrals,
    referable_lesions,
    surgeon_content,
)
from hosentinel.app.security import now
from hosentinel.app.templating import render
from hosentinel.app.unit_settings import unit_settings
from hosentinel.core.assessment import Assessment
from hosentinel.core.output import assessment_json
from hosentinel.directory.geo import ZipError, haversine_miles, zip_place
from hosentinel.directory.store import clinician_specialties, search
from hosentinel.directory.taxonomy import taxonomy
from hosentinel.fhir.outcome import issue
from hosentinel.fhir.referral import service_request
from hosentinel.store import models as m
from hosentinel.store.audit import audit
from hosentinel.store.records import load_record

router = APIRouter()

SURGEONS = "orthopaedic-surgery"
LETTER_HEADER = "HO Sentinel — referral to a surgeon"


def _referable(
    request: Request, db: Session, config: Config, viewer: Viewer, patient_id: str
) -> tuple[m.Patient, Assessment]:
    patient = clinical_patient(db, viewer, patient_id)
    require(viewer, *REFER_ROLES)
    assessment = current_assessment(request, db, config, patient.id)
    if not referable_lesions(assessment):
        raise Invalid(
            "No lesion of this patient has a surgical referral recommendation (now or when "
            "mature), so a referral to a surgeon cannot be made from HO Sentinel."
        )
    return patient, assessment


def _surgeon(db: Session, npi: str) -> tuple[m.Clinician, list[str], dict[str, str]]:
    clinician = db.get(m.Clinician, npi.strip())
    if clinician is None:
        raise NotFound(f"No clinician with NPI {npi.strip()!r} in the directory.")
    specialties = clinician_specialties(db, clinician.npi)
    surgical = [s for s in specialties if s.group == SURGEONS]
    if not surgical:
        raise Invalid(f"NPI {clinician.npi} is not an orthopaedic surgeon in the directory.")
    performer = {"code": surgical[0].code, "display": surgical[0].name}
    return clinician, [f"{s.name} ({s.code})" for s in specialties], performer


def _distance(clinician: m.Clinician, zip_code: str) -> float | None:
    try:
        origin = zip_place(zip_code)
    except ZipError:
        return None
    return round(haversine_miles(origin.lat, origin.lon, clinician.lat, clinician.lon), 1)


def _letter(
    request: Request,
    db: Session,
    viewer: Viewer,
    patient: m.Patient,
    assessment: Assessment,
    npi: str,
    zip_code: str,
) -> dict[str, Any]:
    clinician, specialties, performer = _surgeon(db, npi)
    record = load_record(db, patient.id)
    assert record is not None
    surgeon = surgeon_content(clinician, specialties, _distance(clinician, zip_code))
    surgeon["performer"] = performer
    kb = KnowledgeView(request.app.state.knowledge)
    letter = letter_content(kb, record, assessment, patient, surgeon, viewer.user.display_name)
    # The referring clinician's telephone is the unit's number (unit settings); their NPI is the
    # one on their account, or a line to write it on.
    config: AppConfig = request.app.state.config
    letter["referrer_phone"] = unit_settings(
        patient.unit, config.settings.units, demo=config.demo
    ).phone
    letter["referrer_npi"] = viewer.user.npi
    return letter


def subspecialties() -> list[tuple[str, str]]:
    """(NUCC code, name) of the orthopaedic subspecialties, the group's own code first."""
    tax = taxonomy()
    return [(code, tax.by_code[code].name) for code in tax.groups[SURGEONS].codes]


def default_subspecialty(assessment: Assessment) -> str:
    """The subspecialty the search starts from: the one set for the lesions' joint (all the
    referable lesions agree), else any orthopaedic surgeon."""
    defaults = taxonomy().referral_subspecialty
    chosen = {defaults.get(x.joint or "") for x in referable_lesions(assessment)}
    only = chosen.pop() if len(chosen) == 1 else None
    return only or SURGEONS


@router.get("/patients/{patient_id}/referral", response_class=HTMLResponse)
def referral_search(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> Response:
    patient, assessment = _referable(request, db, config, viewer, patient_id)
    values = {
        "zip": request.query_params.get("zip", ""),
        "radius": request.query_params.get("radius", "") or "50",
        "name": request.query_params.get("name", ""),
        "subspecialty": request.query_params.get("subspecialty", "")
        or default_subspecialty(assessment),
    }
    if values["subspecialty"] not in {SURGEONS, *(c for c, _ in subspecialties())}:
        values["subspecialty"] = SURGEONS
    context: dict[str, Any] = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "patient": patient,
        "lesions": referable_lesions(assessment),
        "values": values,
        "radii": RADII,
        "subspecialties": subspecialties(),
        "result": None,
        "error": None,
        "links": {},
    }
    if "zip" in request.query_params:
        try:
            query = parse_query(
                specialty=values["subspecialty"],
                zip_code=values["zip"],
                radius=values["radius"],
                name=values["name"],
                page=request.query_params.get("page", "") or "1",
            )
        except Invalid as exc:
            context["error"] = exc.message
        else:
            result = search(db, query)
            kept = {k: v for k, v in values.items() if v}
            context["result"] = result
            context["links"] = page_links(f"/patients/{patient.id}/referral", kept, result)
    return render(request, "referral_search.html", context, 422 if context["error"] else 200)


@router.get("/patients/{patient_id}/referral/confirm", response_class=HTMLResponse)
def referral_confirm(
    request: Request,
    patient_id: str,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    npi: str = "",
    zip: str = "",
) -> Response:
    patient, assessment = _referable(request, db, config, viewer, patient_id)
    letter = _letter(request, db, viewer, patient, assessment, npi, zip)
    back = f"/patients/{patient.id}/referral?{urlencode({'zip': zip})}" if zip else None
    return render(
        request,
        "referral_confirm.html",
        {
            "user": viewer.user,
            "csrf": viewer.csrf_token,
            "patient": patient,
            "letter": letter,
            "npi": npi,
            "zip": zip,
            "back": back,
        },
    )


@router.post("/patients/{patient_id}/referrals")
def create_referral(
    request: Request,
    patient_id: str,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    npi: Annotated[str, Form()],
    zip: Annotated[str, Form()] = "",
) -> Response:
    patient, assessment = _referable(request, db, config, viewer, patient_id)
    letter = _letter(request, db, viewer, patient, assessment, npi, zip)
    referral = m.Referral(
        patient_id=patient.id,
        npi=letter["surgeon"]["npi"],
        surgeon_name=letter["surgeon"]["name"],
        surgeon_specialty="; ".join(letter["surgeon"]["specialties"]),
        surgeon_address=letter["surgeon"]["address"],
        surgeon_phone=letter["surgeon"]["phone"],
        lesions=[
            {"joint": x["joint"], "side": x["side"], "surgical_referral": x["surgical_referral"]}
            for x in letter["lesions"]
        ],
        as_of=assessment.as_of,
        knowledge_release=assessment.knowledge_release,
        patient_version=patient.version,
        user_id=viewer.user.id,
        referred_by=viewer.user.display_name,
        letter=letter,
        assessment=assessment_json(assessment),
        created_at=now(),
    )
    db.add(referral)
    db.flush()
    audit(db, viewer.user, "write", f"referral {referral.id} to NPI {referral.npi}", patient.id)
    return RedirectResponse(f"/patients/{patient.id}/referrals/{referral.id}", status_code=303)


def _referral(db: Session, viewer: Viewer, patient_id: str, referral_id: int) -> m.Referral:
    patient = clinical_patient(db, viewer, patient_id)
    referral = db.get(m.Referral, referral_id)
    if referral is None or referral.patient_id != patient.id:
        raise NotFound("No such referral.")
    return referral


@router.get("/patients/{patient_id}/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(
    request: Request, patient_id: str, referral_id: DbId, db: Db, viewer: CurrentViewer
) -> Response:
    referral = _referral(db, viewer, patient_id, referral_id)
    audit(db, viewer.user, "read", f"referral {referral.id}", referral.patient_id)
    return render(
        request,
        "referral.html",
        {
            "user": viewer.user,
            "csrf": viewer.csrf_token,
            "referral": referral,
            "letter": referral.letter,
            "patient_id": referral.patient_id,
        },
    )


def letter_html(request: Request, referral: m.Referral) -> str:
    return str(
        request.app.state.templates.get_template("referral_letter.html").render(
            {
                "letter": referral.letter,
                "header": LETTER_HEADER,
                "referral": referral,
                "created": referral.as_of,
            }
        )
    )


@router.get("/patients/{patient_id}/referrals/{referral_id}/letter.pdf")
def referral_letter_pdf(
    request: Request, patient_id: str, referral_id: DbId, db: Db, viewer: CurrentViewer
) -> Response:
    referral = _referral(db, viewer, patient_id, referral_id)
    pdf = html_to_pdf(letter_html(request, referral))
    audit(db, viewer.user, "read", f"referral {referral.id} letter pdf", referral.patient_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="referral-{referral.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def referral_resource(referral: m.Referral) -> dict[str, Any]:
    return service_request(
        referral_id=referral.id,
        letter=referral.letter,
        assessment=referral.assessment,
        authored=referral.created_at,
        performer_code=referral.letter["surgeon"].get("performer"),
    )


@router.get("/fhir/ServiceRequest/{referral_id}")
def service_request_endpoint(referral_id: DbId, db: Db, viewer: CurrentViewer) -> Response:
    if viewer.role == "family":
        raise NotFound("No such ServiceRequest.")
    require(viewer, *CLINICAL_ROLES)
    referral = db.get(m.Referral, referral_id)
    patient = db.get(m.Patient, referral.patient_id) if referral is not None else None
    if referral is None or patient is None or not viewer.can_see(db, patient):
        return outcome([issue("error", "not-found", f"No ServiceRequest {referral_id}.")], 404)
    audit(db, viewer.user, "read", f"referral {referral.id} ServiceRequest", referral.patient_id)
    return JSONResponse(referral_resource(referral), media_type="application/fhir+json")


class ReferralOut(BaseModel):
    id: int
    npi: str
    surgeon: str
    address: str
    lesions: list[dict[str, Any]]
    as_of: date
    referred_by: str
    created_at: datetime
    letter_pdf: str
    service_request: str


@router.get("/api/patients/{patient_id}/referrals", response_model=list[ReferralOut])
def referrals_api(patient_id: str, db: Db, viewer: CurrentViewer) -> list[ReferralOut]:
    patient = clinical_patient(db, viewer, patient_id)
    audit(db, viewer.user, "read", "referrals api", patient.id)
    return [
        ReferralOut(
            id=r.id,
            npi=r.npi,
            surgeon=r.surgeon_name,
            address=r.surgeon_address,
            lesions=r.lesions,
            as_of=r.as_of,
            referred_by=r.referred_by,
            created_at=r.created_at,
            letter_pdf=f"/patients/{patient.id}/referrals/{r.id}/letter.pdf",
            service_request=f"/fhir/ServiceRequest/{r.id}",
        )
        for r in patient_referrals(db, patient.id)
    ]
