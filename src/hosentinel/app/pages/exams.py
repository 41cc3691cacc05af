"""Exam entry: all four joints, both sides, ROM per motion and the four signs, in one submit.

GET  /patients/{id}/exam         the form, prefilled with the last recorded values
POST /patients/{id}/exam         save (303 to the patient page; HTMX: HX-Redirect), or 422 with
                                 the form re-rendered, every typed value kept (as typed) and an
                                 error at each field that could not be read; nothing saved
POST /api/patients/{id}/exams    the same in JSON; 422 with field errors; returns the new summary

Therapists, physiatrists and nurses. Saving appends Observations with the project's finding
codes and bumps the patient's version, so the cached assessment and the worklist update.

The form and the JSON API are read into the same typed `ExamIn` (exam/model.py) and checked by
the same code. Only what was typed or chosen is recorded: a sign left "not assessed" writes
nothing; "examined, no change" re-records the joint's last values.

Two clinicians examining one patient at once. Saving an exam appends, so nothing already stored
can be overwritten; but the form shows the last values and the change against them, and
"examined, no change" repeats them, so a form opened before someone else's exam was saved would
work from findings that are no longer the latest. The form therefore carries the patient's
record version (hidden field `version`; the JSON body's `version`). When the record has changed
since, nothing is saved: HTTP 409, and the form comes back with what this clinician entered,
beside the newer last values, and who saved in between; saving again then records it. Two saves
based on the same version at the same moment: the patient row's UPDATE only matches that version
(`records.bump_version`), so exactly one commits and the other gets 409. A JSON call without
`version` appends unconditionally (an instrument or interface sending measurements is not
editing a displayed state): concurrent appends queue on the patient row, all are saved and
each moves the version on.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import EXAM_ROLES, Config, CurrentViewer, Db, Viewer, require
from hosentinel.app.errors import Conflict
from hosentinel.app.exam.form import field_names, form_rows, read_form
from hosentinel.app.exam.model import (
    CONFIRM_FIELD,
    DATE_FIELD,
    CheckedExam,
    ExamContext,
    ExamIn,
    JointExamIn,
    check_exam,
    describe_exam,
    exam_observations,
    last_values,
)
from hosentinel.app.pages.patients import (
    PatientSummary,
    clinical_patient,
    current_assessment,
    summary_of,
)
from hosentinel.app.templating import render
from hosentinel.store import models as m
from hosentinel.store.audit import audit
from hosentinel.store.records import add_observations, load_record

__all__ = ["ExamIn", "JointExamIn", "router"]

router = APIRouter()

VERSION_FIELD = "version"
STALE = -1  # a version field that is not a number: it cannot match, the save is refused


def _based_on(raw: object) -> int | None:
    """The record version a form or call was based on; None when it carries none."""
    if raw is None:
        return None
    try:
        return int(str(raw).strip())
    except ValueError:
        return STALE


def conflict_message(db: Session, patient: m.Patient) -> str:
    """Who changed the record last, in words, for the clinician whose save was refused."""
    last = db.scalar(
        select(m.AuditEntry)
        .where(m.AuditEntry.patient_id == patient.id, m.AuditEntry.action == "write")
        .order_by(m.AuditEntry.id.desc())
        .limit(1)
    )
    who = f" by {last.username} at {last.at.strftime('%H:%M')}" if last is not None else ""
    return f"The record of {patient.display_name} was changed{who}"


def _exam_patient(db: Session, viewer: Viewer, patient_id: str) -> m.Patient:
    patient = clinical_patient(db, viewer, patient_id)
    require(viewer, *EXAM_ROLES)
    return patient


def _context(request: Request, db: Session, config: AppConfig, patient: m.Patient) -> ExamContext:
    """What the exam is checked against: today, the birth date, the injury and the window, and
    the last values ("examined, no change" repeats them)."""
    record = load_record(db, patient.id)
    assert record is not None
    a = current_assessment(request, db, config, patient.id)
    s = a.surveillance
    window = (s.window_start, s.window_end) if s.window_start and s.window_end else None
    injury = min((e.date for e in a.index_events), default=None)
    return ExamContext(
        config.current_date(), record.patient.birth_date, injury, window, last_values(record)
    )


def _save(
    db: Session, viewer: Viewer, patient: m.Patient, exam: CheckedExam, based_on: int | None
) -> list[str]:
    observations = exam_observations(exam)
    add_observations(db, patient.id, observations, viewer.user.id, expected_version=based_on)
    audit(db, viewer.user, "write", describe_exam(exam)[:200], patient.id)
    return [o.ref for o in observations]


def _form(
    request: Request,
    viewer: Viewer,
    patient: m.Patient,
    ctx: ExamContext,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    conflict: str | None = None,
) -> Response:
    outside = ctx.window is not None and not (ctx.window[0] <= ctx.today <= ctx.window[1])
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "patient": patient,
        "rows": form_rows(ctx.last, values),
        "values": values,
        "errors": errors,
        "today": ctx.today,
        "window": ctx.window,
        "injury": ctx.injury,
        "ask_confirm": outside or CONFIRM_FIELD in errors or CONFIRM_FIELD in values,
        "date_field": DATE_FIELD,
        "confirm_field": CONFIRM_FIELD,
        "version_field": VERSION_FIELD,
        "version": patient.version,
        "conflict": conflict,
    }
    template = "_exam_form.html" if request.headers.get("hx-request") else "exam.html"
    return render(request, template, context, status_code)


@router.get("/patients/{patient_id}/exam", response_class=HTMLResponse)
def exam_form(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> Response:
    patient = _exam_patient(db, viewer, patient_id)
    ctx = _context(request, db, config, patient)
    audit(db, viewer.user, "read", "exam form (last values)", patient.id)
    return _form(request, viewer, patient, ctx, {DATE_FIELD: ctx.today.isoformat()}, {})


@router.post("/patients/{patient_id}/exam", response_class=HTMLResponse)
async def save_exam_form(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> Response:
    patient = _exam_patient(db, viewer, patient_id)
    form = await request.form()
    values = {name: str(form.get(name) or "") for name in field_names() if name in form}
    based_on = _based_on(form.get(VERSION_FIELD))
    ctx = _context(request, db, config, patient)
    if based_on is not None and based_on != patient.version:
        audit(db, viewer.user, "read", "exam form (not saved: record changed)", patient.id)
        message = (
            conflict_message(db, patient) + " after you opened this form. Nothing was saved."
            " What you entered is kept below, beside the newer last values. Check them and"
            " save again."
        )
        return _form(request, viewer, patient, ctx, values, {}, 409, message)
    exam = check_exam(read_form(values), ctx)
    if not exam.ok:
        audit(db, viewer.user, "read", "exam form (not saved: errors)", patient.id)
        return _form(request, viewer, patient, ctx, values, exam.errors, status_code=422)
    saved = _save(db, viewer, patient, exam, based_on)
    target = f"/patients/{patient.id}?saved={len(saved)}"
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --------------------------------------------------------------------------------------------
# JSON


class ExamSaved(PatientSummary):
    """The patient's new assessment summary, with the references of the saved observations."""

    saved: list[str]


class ExamErrors(BaseModel):
    error: str
    fields: dict[str, str]


@router.post(
    "/api/patients/{patient_id}/exams",
    response_model=ExamSaved,
    status_code=201,
    responses={
        422: {"model": ExamErrors, "description": "Nothing saved; errors by field."},
        409: {"description": "Nothing saved: the record changed since `version`."},
    },
)
def save_exam_api(
    request: Request, patient_id: str, body: ExamIn, db: Db, config: Config, viewer: CurrentViewer
) -> Response | ExamSaved:
    patient = _exam_patient(db, viewer, patient_id)
    if body.version is not None and body.version != patient.version:
        raise Conflict(conflict_message(db, patient) + ". Nothing was saved.")
    ctx = _context(request, db, config, patient)
    exam = check_exam(body, ctx)
    if not exam.ok:
        message = "The exam was not saved; correct the fields."
        payload = ExamErrors(error=message, fields=exam.errors)
        return JSONResponse(payload.model_dump(), status_code=422)
    saved = _save(db, viewer, patient, exam, body.version)
    summary = summary_of(patient, current_assessment(request, db, config, patient.id))
    return ExamSaved(**summary.model_dump(), saved=saved)
