"""Exam entry: all four joints, both sides, ROM per motion and the four signs, in one submit.

GET  /patients/{id}/exam         the form, prefilled with the last recorded values
POST /patients/{id}/exam         save (303 to the patient page; HTMX: HX-Redirect), or 422 with
                                 the form re-rendered, every value kept and errors at the fields
POST /api/patients/{id}/exams    the same in JSON; 422 with field errors; returns the new summary

Therapists, physiatrists and nurses. Saving appends Observations with the project's finding
codes and bumps the patient's version, so the cached assessment and the worklist update.

Two clinicians examining one patient at once. Saving an exam appends, so nothing already stored
can be overwritten; but the form is prefilled with the last values and a joint left as
prefilled is not recorded, so a form opened before someone else's exam was saved would judge
"changed" and "unchanged" against findings that are no longer the latest. The form therefore
carries the patient's record version (hidden field `version`; the JSON body's `version`). When
the record has changed since, nothing is saved: HTTP 409, and the form comes back with what
this clinician entered kept joint by joint, the joints they left alone showing the newer last
values, and who saved in between; saving again then records it. Two saves based on the same
version at the same moment: the patient row's UPDATE only matches that version
(`records.bump_version`), so exactly one commits and the other gets 409. A JSON call without
`version` appends unconditionally (an instrument or interface sending measurements is not
editing a displayed state): concurrent appends queue on the patient row, all are saved and
each moves the version on.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.audit import audit
from hosentinel.app.config import AppConfig
from hosentinel.app.deps import EXAM_ROLES, Config, CurrentViewer, Db, Viewer, require
from hosentinel.app.errors import Conflict
from hosentinel.app.pages.patients import (
    PatientSummary,
    clinical_patient,
    current_assessment,
    summary_of,
)
from hosentinel.app.patient_view import (
    DATE_FIELD,
    EXAM_MOTIONS,
    SIGNS,
    ExamEntry,
    describe_exam,
    exam_field_names,
    exam_observations,
    examined_field,
    form_rows,
    prefill,
    read_exam,
    read_prefill,
    rebase_exam,
    rom_field,
    sign_field,
)
from hosentinel.app.templating import render
from hosentinel.store import models as m
from hosentinel.store.records import add_observations, load_record

router = APIRouter()

PREFILL_FIELD = "prefill"
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
    return (
        f"The record of {patient.display_name} was changed{who} after you opened this form."
        " Nothing was saved. The joints you entered are kept below; the others now show the"
        " latest values. Check them and save again."
    )


def _exam_patient(db: Session, viewer: Viewer, patient_id: str) -> m.Patient:
    patient = clinical_patient(db, viewer, patient_id)
    require(viewer, *EXAM_ROLES)
    return patient


def _save(
    db: Session, viewer: Viewer, patient: m.Patient, entry: ExamEntry, based_on: int | None
) -> list[str]:
    observations = exam_observations(entry)
    add_observations(db, patient.id, observations, viewer.user.id, expected_version=based_on)
    audit(db, viewer.user, "write", describe_exam(entry)[:200], patient.id)
    return [o.ref for o in observations]


def _form(
    request: Request,
    viewer: Viewer,
    patient: m.Patient,
    config: AppConfig,
    values: dict[str, str],
    shown: str,
    last_examined: dict[str, date],
    errors: dict[str, str],
    status_code: int = 200,
    conflict: str | None = None,
) -> Response:
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "patient": patient,
        "rows": form_rows(),
        "values": values,
        "prefill_json": shown,
        "last_examined": last_examined,
        "errors": errors,
        "today": config.current_date(),
        "date_field": DATE_FIELD,
        "prefill_field": PREFILL_FIELD,
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
    record = load_record(db, patient.id)
    assert record is not None
    last = prefill(record)
    audit(db, viewer.user, "read", "exam form (last values)", patient.id)
    values = dict(last.values)
    values[DATE_FIELD] = config.current_date().isoformat()
    return _form(request, viewer, patient, config, values, last.to_json(), last.last_examined, {})


@router.post("/patients/{patient_id}/exam", response_class=HTMLResponse)
async def save_exam_form(
    request: Request, patient_id: str, db: Db, config: Config, viewer: CurrentViewer
) -> Response:
    patient = _exam_patient(db, viewer, patient_id)
    form = await request.form()
    values = {
        name: str(form.get(name) or "")
        for name in (*exam_field_names(), DATE_FIELD)
        if name in form
    }
    raw_shown = form.get(PREFILL_FIELD)
    shown_text = raw_shown if isinstance(raw_shown, str) else None
    shown = read_prefill(shown_text) if shown_text is not None else None
    based_on = _based_on(form.get(VERSION_FIELD))
    if based_on is not None and based_on != patient.version:
        record = load_record(db, patient.id)
        assert record is not None
        latest = prefill(record)
        message = conflict_message(db, patient)
        audit(db, viewer.user, "read", "exam form (not saved: record changed)", patient.id)
        rebased = rebase_exam(values, shown or {}, latest.values)
        return _form(
            request,
            viewer,
            patient,
            config,
            rebased,
            latest.to_json(),
            latest.last_examined,
            {},
            status_code=409,
            conflict=message,
        )
    entry = read_exam(values, config.current_date(), shown)
    if not entry.ok:
        record = load_record(db, patient.id)
        assert record is not None
        audit(db, viewer.user, "read", "exam form (not saved: errors)", patient.id)
        return _form(
            request,
            viewer,
            patient,
            config,
            values,
            shown_text or "",
            prefill(record).last_examined,
            entry.errors,
            status_code=422,
        )
    saved = _save(db, viewer, patient, entry, based_on)
    target = f"/patients/{patient.id}?saved={len(saved)}"
    if request.headers.get("hx-request"):
        return Response(status_code=200, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


# --------------------------------------------------------------------------------------------
# JSON


class JointExamIn(BaseModel):
    """One joint and side. Every sign is recorded (a missing sign is recorded as absent)."""

    joint: Literal["hip", "knee", "elbow", "shoulder"]
    side: Literal["left", "right"]
    rom: dict[str, float | str | None] = Field(
        default_factory=dict,
        description="Degrees per motion, 0-200: hip flexion/abduction, knee flexion, elbow"
        " flexion/extension, shoulder flexion/abduction.",
    )
    pain: bool = False
    swelling: bool = False
    warmth: bool = False
    redness: bool = False


class ExamIn(BaseModel):
    exam_date: str | None = Field(
        default=None, description="YYYY-MM-DD; today when left out. Not in the future."
    )
    joints: list[JointExamIn] = Field(min_length=1)
    version: int | None = Field(
        default=None,
        description="The patient's record version this exam was based on (`version` of GET"
        " /api/patients/{id}); a different current version means someone else changed the"
        " record: 409 and nothing saved. Left out: the exam is appended unconditionally.",
    )


class ExamSaved(PatientSummary):
    """The patient's new assessment summary, with the references of the saved observations."""

    saved: list[str]


class ExamErrors(BaseModel):
    error: str
    fields: dict[str, str]


def _fields_from_json(body: ExamIn, today: date) -> tuple[dict[str, str], dict[str, str]]:
    values: dict[str, str] = {DATE_FIELD: body.exam_date or today.isoformat()}
    errors: dict[str, str] = {}
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(body.joints):
        if (item.joint, item.side) in seen:
            errors[f"joints[{i}]"] = f"{item.side} {item.joint} is listed twice."
        seen.add((item.joint, item.side))
        values[examined_field(item.joint, item.side)] = "yes"
        for motion, degrees in item.rom.items():
            name = rom_field(item.joint, item.side, motion)
            if motion not in EXAM_MOTIONS[item.joint]:
                allowed = ", ".join(EXAM_MOTIONS[item.joint])
                errors[name] = f"{item.joint} has no motion {motion!r} here; use {allowed}."
            elif degrees is not None:
                values[name] = str(degrees)
        for sign in SIGNS:
            values[sign_field(item.joint, item.side, sign)] = "yes" if getattr(item, sign) else ""
    return values, errors


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
        raise Conflict(conflict_message(db, patient).replace(" after you opened this form", ""))
    today = config.current_date()
    values, errors = _fields_from_json(body, today)
    entry = read_exam(values, today)
    errors.update(entry.errors)
    if errors:
        payload = ExamErrors(error="The exam was not saved; correct the fields.", fields=errors)
        return JSONResponse(payload.model_dump(), status_code=422)
    saved = _save(db, viewer, patient, entry, body.version)
    summary = summary_of(patient, current_assessment(request, db, config, patient.id))
    return ExamSaved(**summary.model_dump(), saved=saved)
