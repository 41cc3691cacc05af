"""The patient summary in the JSON API: a patient's levels, due exams and recommendations in a
flat shape (GET /api/patients/{id}; the exam API answers with it too), and the list items."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from hosentinel.app.services import worklist_row
from hosentinel.core.assessment import Assessment
from hosentinel.store import models as m


class PatientListItem(BaseModel):
    id: str
    name: str
    sex: str
    unit: str
    mrn: str | None = None
    bed: str | None = None
    attending: str | None = None
    version: int
    risk_level: str
    suspicion: str
    phase: str


class SiteOut(BaseModel):
    joint: str | None
    side: str | None
    level: str
    findings: list[str]


class DueOut(BaseModel):
    joint: str
    side: str
    due: date
    overdue: bool
    last_examined: date | None


class RecommendationOut(BaseModel):
    id: str
    category: str
    priority: str
    summary: str
    sites: list[str]


class CautionOut(BaseModel):
    about: str
    level: str
    reason: str
    summary: str
    recommended: bool


class LesionOut(BaseModel):
    joint: str | None
    side: str | None
    maturity: str
    surgical_referral: str


class PatientSummary(BaseModel):
    id: str
    name: str
    sex: str
    birth_date: date | None
    unit: str
    mrn: str | None = None
    bed: str | None = None
    attending: str | None = None
    version: int
    as_of: date
    risk_level: str
    risk_factors: list[str]
    phase: str
    window_start: date | None
    window_end: date | None
    suspicion: str
    sites: list[SiteOut]
    due_exams: list[DueOut]
    overdue_exams: int
    attention: list[str]
    recommendations: list[RecommendationOut]
    cautions: list[CautionOut]
    lesions: list[LesionOut]
    missing_inputs: list[str]


def summary_of(patient: m.Patient, a: Assessment) -> PatientSummary:
    row = worklist_row(patient, a)
    return PatientSummary(
        id=patient.id,
        name=patient.display_name,
        sex=patient.sex,
        birth_date=patient.birth_date,
        unit=patient.unit,
        mrn=patient.mrn,
        bed=patient.bed,
        attending=patient.attending,
        version=patient.version,
        as_of=a.as_of,
        risk_level=a.risk.level,
        risk_factors=[f.id for f in a.risk.factors],
        phase=a.surveillance.phase,
        window_start=a.surveillance.window_start,
        window_end=a.surveillance.window_end,
        suspicion=a.suspicion.level,
        sites=[
            SiteOut(joint=s.joint, side=s.side, level=s.level, findings=[f.id for f in s.findings])
            for s in a.suspicion.sites
        ],
        due_exams=[
            DueOut(
                joint=d.joint,
                side=d.side,
                due=d.due,
                overdue=d.overdue,
                last_examined=d.last_examined,
            )
            for d in a.surveillance.due
        ],
        overdue_exams=row.overdue,
        attention=row.attention,
        recommendations=[
            RecommendationOut(
                id=r.id,
                category=r.category,
                priority=r.priority,
                summary=r.summary,
                sites=[*r.sites],
            )
            for r in a.recommendations
        ],
        cautions=[
            CautionOut(
                about=c.about,
                level=c.level,
                reason=c.reason,
                summary=c.summary,
                recommended=c.recommended,
            )
            for c in a.cautions
        ],
        lesions=[
            LesionOut(
                joint=x.joint,
                side=x.side,
                maturity=x.maturity,
                surgical_referral=x.surgical_referral,
            )
            for x in a.lesions
        ],
        missing_inputs=[x.id for x in a.missing_inputs],
    )


class ObservationOut(BaseModel):
    ref: str
    codes: list[dict[str, str | None]]
    text: str | None
    effective: date | None
    value_quantity: float | None
    unit: str | None
    value_bool: bool | None
    value_code: str | None
    interpretation: str | None
    reference_low: float | None
    reference_high: float | None
    joint: str | None
    side: str | None
    entered_by: str | None
