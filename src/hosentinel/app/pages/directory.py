"""Find a physician: the clinician directory searched by specialty, name and distance.

GET /directory                              clinicians: any specialty group or NUCC code
GET /patients/{id}/family/physiatrists      the family view: physiatrists near a ZIP code
GET /api/directory/search                   JSON (a family account: physiatrists only)

Every search names what was wrong in plain words: a ZIP code that does not exist, an unknown
specialty, a radius or page out of range (422); no clinician found is a 200 with a message.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from hosentinel.app.deps import CLINICAL_ROLES, CurrentViewer, Db, Viewer, patient_for, require
from hosentinel.app.errors import Forbidden, Invalid, NotFound
from hosentinel.app.family_content import pick_lang
from hosentinel.app.templating import render_page
from hosentinel.directory.geo import ZipError, zip_place
from hosentinel.directory.store import SearchError, SearchQuery, SearchResult, search
from hosentinel.directory.taxonomy import UnknownSpecialty, taxonomy

router = APIRouter()

RADII = (10, 25, 50, 100, 200)
FAMILY_SPECIALTY = "physiatry"


def _number(label: str, value: str, kind: type[int] | type[float]) -> float:
    try:
        return kind(value)
    except ValueError:
        raise Invalid(f"{label} must be a number, not {value!r}.") from None


def parse_query(
    *,
    specialty: str,
    zip_code: str,
    radius: str = "50",
    name: str = "",
    page: str = "1",
    per_page: str = "20",
) -> SearchQuery:
    """The search from its form or query fields; Invalid with a clear message otherwise."""
    if any("\x00" in field for field in (specialty, zip_code, radius, name, page, per_page)):
        # PostgreSQL refuses NUL in a query parameter and SQLite finds nothing: one answer for both.
        raise Invalid("A search field cannot contain a NUL character.")
    if not zip_code.strip():
        raise Invalid("Enter a US ZIP code to search near, e.g. 60611.")
    if not specialty.strip():
        raise Invalid("Choose a specialty.")
    try:
        group, code = taxonomy().resolve(specialty)
        origin = zip_place(zip_code)
        return SearchQuery(
            group=group,
            code=code,
            origin=origin,
            radius_miles=_number("The radius", radius, float),
            name=name.strip() or None,
            page=int(_number("The page", page, int)),
            per_page=int(_number("Results per page", per_page, int)),
        )
    except (UnknownSpecialty, ZipError, SearchError) as exc:
        raise Invalid(str(exc)) from None


def specialty_options() -> list[tuple[str, str, bool]]:
    """(value, label, is_group) for the specialty select: each group, then its codes."""
    options: list[tuple[str, str, bool]] = []
    tax = taxonomy()
    for group in tax.groups.values():
        options.append((group.id, f"{group.name}: all", True))
        for code in group.codes:
            options.append((code, f"— {tax.by_code[code].name} ({code})", False))
    return options


def page_links(path: str, params: dict[str, str], result: SearchResult) -> dict[str, str | None]:
    def link(page: int) -> str:
        return f"{path}?{urlencode({**params, 'page': str(page)})}"

    page = result.query.page
    return {
        "prev": link(page - 1) if page > 1 else None,
        "next": link(page + 1) if page < result.pages else None,
    }


def _page_context(
    request: Request, db: Session, path: str, fixed: dict[str, str]
) -> dict[str, Any]:
    """Search from the query string (when a ZIP code was given), the values kept for the form."""
    args = {
        key: request.query_params.get(key, "")
        for key in ("specialty", "zip", "radius", "name", "page")
    }
    args.update(fixed)
    args["radius"] = args["radius"] or "50"
    context: dict[str, Any] = {"values": args, "result": None, "error": None, "links": {}}
    if "zip" not in request.query_params:
        return context
    try:
        query = parse_query(
            specialty=args["specialty"],
            zip_code=args["zip"],
            radius=args["radius"],
            name=args["name"],
            page=args["page"] or "1",
        )
    except Invalid as exc:
        context["error"] = exc.message
        return context
    result = search(db, query)
    kept = {k: v for k, v in args.items() if v and k != "page" and k not in fixed}
    context["result"] = result
    context["links"] = page_links(path, kept, result)
    return context


def _clinician(viewer: Viewer) -> None:
    if viewer.role == "family":
        raise NotFound("No such page.")
    require(viewer, *CLINICAL_ROLES)


@router.get("/directory", response_class=HTMLResponse)
def directory_page(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    _clinician(viewer)
    context = _page_context(request, db, "/directory", {})
    if not context["values"]["specialty"]:
        context["values"]["specialty"] = "orthopaedic-surgery"
    context.update({"options": specialty_options(), "radii": RADII, "choose": None})
    return render_page(request, viewer, "directory.html", context, 422 if context["error"] else 200)


@router.get("/patients/{patient_id}/family/physiatrists", response_class=HTMLResponse)
def family_physiatrists(
    request: Request, db: Db, viewer: CurrentViewer, patient_id: str
) -> Response:
    """Physiatrists near home, for the family: plain words, no other specialty, in the family
    view's language (`?lang=en|es`, else the browser's)."""
    patient = patient_for(db, viewer, patient_id)
    path = f"/patients/{patient.id}/family/physiatrists"
    context = _page_context(request, db, path, {"specialty": FAMILY_SPECIALTY, "name": ""})
    lang = pick_lang(request.query_params.get("lang"), request.headers.get("accept-language"))
    if context["result"] is not None:
        kept = {k: context["values"][k] for k in ("zip", "radius")} | {"lang": lang}
        context["links"] = page_links(path, kept, context["result"])
    context.update({"patient_id": patient.id, "radii": RADII, "lang": lang})
    status = 422 if context["error"] else 200
    return render_page(request, viewer, "family_physiatrists.html", context, status)


class SpecialtyOut(BaseModel):
    code: str
    name: str
    group: str


class ClinicianOut(BaseModel):
    npi: str
    name: str
    credential: str | None
    address: str
    city: str
    state: str
    zip: str
    phone: str | None
    distance_miles: float
    specialties: list[SpecialtyOut]


class SearchOut(BaseModel):
    specialty: str
    zip: str
    place: str
    radius_miles: float
    name: str | None
    page: int
    per_page: int
    pages: int
    total: int
    items: list[ClinicianOut]
    message: str | None


def search_out(result: SearchResult) -> SearchOut:
    q = result.query
    return SearchOut(
        specialty=q.code.code if q.code else q.group.id,
        zip=q.origin.zip5,
        place=q.origin.label,
        radius_miles=q.radius_miles,
        name=q.name,
        page=q.page,
        per_page=q.per_page,
        pages=result.pages,
        total=result.total,
        items=[
            ClinicianOut(
                npi=h.npi,
                name=h.name,
                credential=h.credential,
                address=h.address,
                city=h.city,
                state=h.state,
                zip=h.zip5,
                phone=h.phone,
                distance_miles=h.distance_miles,
                specialties=[
                    SpecialtyOut(code=s.code, name=s.name, group=s.group) for s in h.specialties
                ],
            )
            for h in result.items
        ],
        message=result.message,
    )


@router.get("/api/directory/search", response_model=SearchOut)
def search_api(
    db: Db,
    viewer: CurrentViewer,
    specialty: str = "",
    zip: str = "",
    radius: str = "50",
    name: str = "",
    page: str = "1",
    per_page: str = "20",
) -> SearchOut:
    """Clinicians of a specialty (group id or NUCC code) within `radius` miles of a US ZIP code,
    nearest first. A family account may search physiatrists only; an admin not at all."""
    require(viewer, *CLINICAL_ROLES, "family")
    query = parse_query(
        specialty=specialty,
        zip_code=zip,
        radius=radius,
        name=name,
        page=page,
        per_page=per_page,
    )
    if viewer.role == "family" and query.group.id != FAMILY_SPECIALTY:
        raise Forbidden("A family account can search for physiatrists only.")
    return search_out(search(db, query))
