"""The patient page and the patient JSON API.

GET /patients/{id}                     the page: assessment with its basis, timeline, charts
GET /api/patients                      every patient with their levels
GET /api/patients/{id}                 one patient's summary
GET /api/patients/{id}/assessment      the contract JSON (`hosentinel.core.output`)
GET /api/patients/{id}/observations    the patient's observations

Clinical roles only: a family member gets 404 for every patient here (their view is separate).
The summary's response models live in patient_summary.py; the assessment's is the core's
`AssessmentOut`, the one definition of the contract JSON that `hosentinel assess` prints too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import (
    ALERT_ROLES,
    CLINICAL_ROLES,
    EXAM_ROLES,
    Config,
    CurrentViewer,
    Db,
    Viewer,
    patient_for,
    require,
)
from hosentinel.app.errors import NotFound
from hosentinel.app.knowledge_view import KnowledgeView, coded_label, fmt_value
from hosentinel.app.pages.alerts import alert_context
from hosentinel.app.pages.patient_summary import (
    ObservationOut,
    PatientListItem,
    PatientSummary,
    summary_of,
)
from hosentinel.app.patient_view import alp_chart, rom_chart
from hosentinel.app.plausibility import set_aside
from hosentinel.app.recommendation_view import (
    interruptive,
    other_cautions,
    reason_words,
    recommendation_views,
)
from hosentinel.app.referral import REFER_ROLES, patient_referrals, referable_lesions
from hosentinel.app.services import assess, assess_many
from hosentinel.app.templating import render
from hosentinel.app.timeline_view import timeline
from hosentinel.core.assessment import Assessment
from hosentinel.core.output import AssessmentOut, assessment_out
from hosentinel.store import models as m
from hosentinel.store.audit import audit
from hosentinel.store.records import load_record

router = APIRouter()


def clinical_patient(db: Session, viewer: Viewer, patient_id: str) -> m.Patient:
    """The patient for a clinical page or endpoint. Family members get the same 404 as for a
    patient that does not exist, even for their own patient: their view is the family view."""
    if viewer.role == "family":
        raise NotFound("No such patient.")
    require(viewer, *CLINICAL_ROLES)
    return patient_for(db, viewer, patient_id)


def current_assessment(
    request: Request, db: Session, config: AppConfig, patient_id: str
) -> Assessment:
    return assess(
        db,
        request.app.state.knowledge,
        patient_id,
        config.current_date(),
        request.app.state.assessments,
    )


# --------------------------------------------------------------------------------------------
# The page


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> Response:
    patient = clinical_patient(db, viewer, patient_id)
    assessment = current_assessment(request, db, config, patient.id)
    record = load_record(db, patient.id)
    assert record is not None
    audit(db, viewer.user, "read", "patient page", patient.id)
    plausible, implausible = set_aside(record, request.app.state.knowledge)
    charts = [c for c in (rom_chart(plausible), alp_chart(plausible)) if c is not None]
    referrals = patient_referrals(db, patient.id)
    referral_events = [
        (r.as_of, f"referred to {r.surgeon_name} (NPI {r.npi}) by {r.referred_by}")
        for r in referrals
    ]
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "patient": patient,
        "a": assessment,
        "kb": KnowledgeView(request.app.state.knowledge),
        "timeline": timeline(record, assessment, referral_events),
        "referrals": referrals,
        "can_refer": viewer.role in REFER_ROLES and bool(referable_lesions(assessment)),
        "charts": charts,
        "implausible": implausible,
        "fmt": fmt_value,
        "can_examine": viewer.role in EXAM_ROLES,
        "can_alert": viewer.role in ALERT_ROLES,
        "today": config.current_date(),
        "saved": request.query_params.get("saved"),
        "acknowledged": request.query_params.get("acknowledged"),
        "tiers": recommendation_views(assessment),
        "medications": [x for x in record.medications if x.active],
        "allergies": [x for x in record.allergies if x.active],
        "label_of": coded_label,
        "other_cautions": other_cautions(assessment),
        "reason_words": reason_words,
        "interruptive": interruptive,
    }
    if viewer.role in ALERT_ROLES:
        context.update(alert_context(db, patient.id))
    return render(request, "patient.html", context)


# --------------------------------------------------------------------------------------------
# JSON API routes


@router.get("/api/patients", response_model=list[PatientListItem])
def patients_api(
    request: Request, db: Db, config: Config, viewer: CurrentViewer, unit: str | None = None
) -> list[PatientListItem]:
    if viewer.role == "family":
        raise NotFound("No such resource.")
    require(viewer, *CLINICAL_ROLES)
    query = select(m.Patient).order_by(m.Patient.display_name)
    query = query.where(m.Patient.unit == viewer.unit_scope())
    if unit:
        query = query.where(m.Patient.unit == unit)
    patients = list(db.scalars(query))
    assessments = assess_many(
        db,
        request.app.state.knowledge,
        patients,
        config.current_date(),
        request.app.state.assessments,
    )
    audit(db, viewer.user, "read", f"patient list api ({len(patients)} patients)")
    return [
        PatientListItem(
            id=p.id,
            name=p.display_name,
            sex=p.sex,
            unit=p.unit,
            mrn=p.mrn,
            bed=p.bed,
            attending=p.attending,
            version=p.version,
            risk_level=assessments[p.id].risk.level,
            suspicion=assessments[p.id].suspicion.level,
            phase=assessments[p.id].surveillance.phase,
        )
        for p in patients
    ]


@router.get("/api/patients/{patient_id}", response_model=PatientSummary)
def patient_api(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> PatientSummary:
    patient = clinical_patient(db, viewer, patient_id)
    assessment = current_assessment(request, db, config, patient.id)
    audit(db, viewer.user, "read", "patient summary api", patient.id)
    return summary_of(patient, assessment)


@router.get(
    "/api/patients/{patient_id}/assessment",
    response_model=AssessmentOut,
)
def assessment_api(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> AssessmentOut:
    """The patient's assessment as of today, exactly as `hosentinel assess` prints it."""
    patient = clinical_patient(db, viewer, patient_id)
    assessment = current_assessment(request, db, config, patient.id)
    audit(db, viewer.user, "read", "assessment api", patient.id)
    return assessment_out(assessment)


@router.get("/api/patients/{patient_id}/observations", response_model=list[ObservationOut])
def observations_api(
    patient_id: str, db: Db, viewer: CurrentViewer, code: str | None = None
) -> list[ObservationOut]:
    """The patient's observations, oldest first; `code` keeps one code (e.g. hip-flexion-rom)."""
    patient = clinical_patient(db, viewer, patient_id)
    rows = db.execute(
        select(m.Observation, m.User.username)
        .outerjoin(m.User, m.User.id == m.Observation.entered_by)
        .where(m.Observation.patient_id == patient.id)
        .order_by(m.Observation.effective, m.Observation.id)
    ).all()
    audit(db, viewer.user, "read", "observations api", patient.id)
    out: list[ObservationOut] = []
    for obs, username in rows:
        if code and not any(c.get("code") == code for c in obs.codings):
            continue
        out.append(
            ObservationOut(
                ref=obs.ref,
                codes=[
                    {"system": c.get("system"), "code": c.get("code"), "display": c.get("display")}
                    for c in obs.codings
                ],
                text=obs.text,
                effective=obs.effective,
                value_quantity=obs.value_quantity,
                unit=obs.unit,
                value_bool=obs.value_bool,
                value_code=obs.value_code,
                interpretation=obs.interpretation,
                reference_low=obs.reference_low,
                reference_high=obs.reference_high,
                joint=obs.site_joint,
                side=obs.site_side,
                entered_by=username,
            )
        )
    return out
