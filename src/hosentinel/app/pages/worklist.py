"""The unit worklist: patients ordered by what needs attention, with filters and the unit's mix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from hosentinel.app.deps import CLINICAL_ROLES, NO_UNIT, Config, CurrentViewer, Db, Viewer, require
from hosentinel.app.services import WorklistRow, worklist
from hosentinel.app.templating import render
from hosentinel.store.audit import audit

router = APIRouter()

FILTERS: dict[str, Callable[[WorklistRow], bool]] = {
    "all": lambda _row: True,
    "suspected": lambda row: row.assessment.suspicion.level != "none",
    "overdue": lambda row: row.overdue > 0,
    "high-risk": lambda row: row.assessment.risk.level == "high",
    "unsafe-drugs": lambda row: row.contraindicated_orders > 0,
}


class WorklistItem(BaseModel):
    patient: str
    name: str
    unit: str
    risk_level: str
    phase: str
    suspicion: str
    overdue_exams: int
    due_exams: int
    attention: list[str]
    recommendations: list[str]


def _scope(viewer: Viewer, unit: str | None) -> str:
    """The viewer's unit; asking for another unit lists nobody."""
    scope = viewer.unit_scope()
    return scope if unit in (None, "", scope) else NO_UNIT


def _rows(request: Request, db: Db, config: Config, unit: str | None) -> list[WorklistRow]:
    return worklist(
        db, request.app.state.knowledge, config.current_date(), unit, request.app.state.assessments
    )


def _mix(rows: list[WorklistRow]) -> dict[str, Any]:
    return {
        "risk": Counter(r.assessment.risk.level for r in rows),
        "phase": Counter(r.assessment.surveillance.phase for r in rows),
        "total": len(rows),
    }


PAGE_SIZE = 50


def _matches(row: WorklistRow, query: str) -> bool:
    """Search by name or id (any part, any case)."""
    q = query.strip().lower()
    return not q or q in row.patient.display_name.lower() or q in row.patient.id.lower()


@router.get("/", response_class=HTMLResponse)
def worklist_page(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    show: str = "all",
    unit: str | None = None,
    q: str = "",
    page: int = 1,
) -> Response:
    if viewer.role == "family" and viewer.user.patient_id:
        # `/` is each role's home (DESIGN.md, Pages): a family account's is their patient's view.
        return RedirectResponse(f"/patients/{viewer.user.patient_id}/family", status_code=303)
    require(viewer, *CLINICAL_ROLES)
    rows = _rows(request, db, config, _scope(viewer, unit))
    selected = FILTERS.get(show, FILTERS["all"])
    matching = [r for r in rows if selected(r) and _matches(r, q)]
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = matching[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    audit(db, viewer.user, "read", f"worklist ({len(rows)} patients)")
    context = {
        "user": viewer.user,
        "csrf": viewer.csrf_token,
        "rows": shown,
        "matching": len(matching),
        "q": q,
        "page": page,
        "pages": pages,
        "first": (page - 1) * PAGE_SIZE + 1,
        "show": show,
        "filters": list(FILTERS),
        "mix": _mix(rows),
        "today": config.current_date(),
    }
    template = "_worklist_rows.html" if request.headers.get("hx-request") else "worklist.html"
    return render(request, template, context)


@router.get("/api/worklist", response_model=list[WorklistItem])
def worklist_api(
    request: Request,
    db: Db,
    config: Config,
    viewer: CurrentViewer,
    show: str = "all",
    unit: str | None = None,
) -> list[WorklistItem]:
    require(viewer, *CLINICAL_ROLES)
    rows = [
        r
        for r in _rows(request, db, config, _scope(viewer, unit))
        if FILTERS.get(show, FILTERS["all"])(r)
    ]
    audit(db, viewer.user, "read", f"worklist api ({len(rows)} patients)")
    return [
        WorklistItem(
            patient=r.patient.id,
            name=r.patient.display_name,
            unit=r.patient.unit,
            risk_level=r.assessment.risk.level,
            phase=r.assessment.surveillance.phase,
            suspicion=r.assessment.suspicion.level,
            overdue_exams=r.overdue,
            due_exams=r.due_now,
            attention=r.attention,
            recommendations=r.assessment.recommendation_ids(),
        )
        for r in rows
    ]
