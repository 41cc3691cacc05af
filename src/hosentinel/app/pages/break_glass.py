"""Break-glass access: a clinician opens a patient outside their unit, giving a reason. The
grant lasts a few hours, is audited with its reason, and shows in the admin's audit view."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import or_, select

from hosentinel.app.deps import UNIT_ROLES, Config, CurrentViewer, Db, Viewer, require
from hosentinel.app.errors import Invalid, NotFound
from hosentinel.app.security import now
from hosentinel.app.templating import render_page
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()
MIN_REASON = 10
MIN_SEARCH = 3  # characters of a name: no listing of other units by one letter
SEARCH_LIMIT = 10


def _other_units(db: Db, viewer: Viewer, query: str) -> list[m.Patient]:
    """Patients outside the viewer's unit whose name holds `query`, or whose id is `query`."""
    text = " ".join(query.split())
    # LIKE's wildcards typed as text: "%%%" must not list every other unit's patients.
    literal = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = select(m.Patient).where(
        or_(m.Patient.id == text, m.Patient.display_name.ilike(f"%{literal}%", escape="\\")),
        m.Patient.unit != viewer.unit_scope(),
    )
    return list(db.scalars(found.order_by(m.Patient.display_name).limit(SEARCH_LIMIT)))


@router.get("/break-glass", response_class=HTMLResponse)
def search_other_units(request: Request, db: Db, viewer: CurrentViewer, q: str = "") -> Response:
    """Find a patient of another unit to open by break-glass: names and units only, at most
    SEARCH_LIMIT, each search audited; the record itself needs the reason (the patient's page
    offers the form)."""
    require(viewer, *UNIT_ROLES)
    query = q.strip()[:200]
    too_short = bool(query) and len(query) < MIN_SEARCH
    found = _other_units(db, viewer, query) if query and not too_short else []
    if query and not too_short:
        audit(db, viewer.user, "break-glass", f"search {query!r} ({len(found)} found)"[:200])
    context = {"q": query, "found": found, "too_short": too_short, "min_search": MIN_SEARCH}
    return render_page(request, viewer, "break_glass_search.html", context)


@router.post("/patients/{patient_id}/break-glass")
def break_glass(
    request: Request,
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
        problem = f"Say why you need this patient's record (at least {MIN_REASON} characters)."
        if request.headers.get("content-type", "").startswith("application/json"):
            raise Invalid(problem)
        # The form again, with what was typed and the problem next to it.
        offer: dict[str, object] = {"patient_id": patient.id, "csrf": viewer.csrf_token}
        offer |= {"reason": reason, "hours": config.break_glass_hours, "error": problem}
        context = {"status": 422, "message": problem, "break_glass": offer}
        return render_page(request, viewer, "error.html", context, status_code=422)
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
