"""Break-glass access: a clinician opens a patient outside their unit, giving a reason. The
grant lasts a few hours, is audited with its reason, and shows in the admin's audit view."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from hosentinel.app.deps import UNIT_ROLES, Config, CurrentViewer, Db, require
from hosentinel.app.errors import Invalid, NotFound
from hosentinel.app.security import now
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()
MIN_REASON = 10


@router.post("/patients/{patient_id}/break-glass")
def break_glass(
    patient_id: str,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    require(viewer, *UNIT_ROLES)
    patient = db.get(m.Patient, patient_id)
    if patient is None:
        raise NotFound("No such patient.")
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON:
        raise Invalid(f"Say why you need this patient's record (at least {MIN_REASON} characters).")
    at = now()
    db.add(
        m.BreakGlass(
            user_id=viewer.user.id,
            patient_id=patient.id,
            reason=reason,
            at=at,
            expires_at=at + timedelta(hours=config.break_glass_hours),
        )
    )
    audit(db, viewer.user, "break-glass", f"break-glass access: {reason}"[:200], patient.id)
    return RedirectResponse(f"/patients/{patient.id}", status_code=303)
