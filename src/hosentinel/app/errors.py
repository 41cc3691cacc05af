"""Domain errors, mapped to HTTP in one place (`install_handlers`)."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError

from hosentinel.fhir.outcome import error_outcome
from hosentinel.logsafe import clip


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class PatientNotFound(NotFound):
    """No such patient for a clinician: missing, or in another unit (one answer for both, so ids
    cannot be probed). Its page offers break-glass access (`pages/break_glass.py`)."""

    def __init__(self, message: str, patient_id: str, csrf_token: str) -> None:
        super().__init__(message)
        self.patient_id = patient_id
        self.csrf_token = csrf_token


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    status = 422


class NotAuthenticated(DomainError):
    status = 401


class TooManyAttempts(DomainError):
    status = 429


class Conflict(DomainError):
    """The change was based on a version of the record that someone else has changed since:
    nothing was saved (optimistic locking; see `store/models.py`)."""

    status = 409


STALE_MESSAGE = (
    "Someone else changed this record at the same moment; nothing of yours was saved."
    " Reload the page, check their change and save again."
)


# FHIR OperationOutcome issue type of each domain error (http://hl7.org/fhir/issue-type).
FHIR_ISSUE = {401: "login", 403: "forbidden", 404: "not-found", 409: "conflict", 429: "throttled"}


def fhir_error(exc: DomainError) -> Response:
    """A domain error on a FHIR path: an OperationOutcome as application/fhir+json; 401 (never a
    redirect to the login page: FHIR clients are programs) with a Bearer challenge."""
    body = error_outcome(FHIR_ISSUE.get(exc.status, "invalid"), exc.message)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse(
        body, status_code=exc.status, media_type="application/fhir+json", headers=headers
    )


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


log = logging.getLogger("hosentinel.app")
VALUE_NOT_STORABLE = (
    "A value is too long or not valid for storage (for example a code or unit longer than the"
    " field allows, or a NUL character); nothing was saved."
)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        """A value the database refuses (PostgreSQL enforces column lengths and rejects NUL
        characters; SQLite does neither). The request's transaction has already been rolled back
        when this runs (`get_db`), so nothing of it is stored: a 422 naming the problem, never a
        500."""
        log.warning(
            "%s %s: the database refused a value (%s)",
            request.method,
            clip(request.url.path),
            type(exc.orig).__name__,
        )
        if request.url.path.startswith("/fhir"):
            body = error_outcome("too-long", VALUE_NOT_STORABLE)
            return JSONResponse(body, status_code=422, media_type="application/fhir+json")
        return await domain_error(request, Invalid(VALUE_NOT_STORABLE))

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if request.url.path == "/fhir" or request.url.path.startswith("/fhir/"):
            return fhir_error(exc)
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if _wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        templates = request.app.state.templates
        context = {"status": exc.status, "message": exc.message, "user": None}
        if isinstance(exc, PatientNotFound) and request.method == "GET":
            context["break_glass"] = {
                "patient_id": exc.patient_id,
                "csrf": exc.csrf_token,
                "hours": request.app.state.config.break_glass_hours,
            }
        response: Response = templates.TemplateResponse(
            request, "error.html", context, status_code=exc.status
        )
        return response

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, _exc: StaleDataError) -> Response:
        # A version_id_col UPDATE matched no row: a concurrent request committed first. The
        # request's transaction is rolled back by `get_db` as the error passes through it.
        return await domain_error(request, Conflict(STALE_MESSAGE))
