"""Domain errors, mapped to HTTP in one place (`install_handlers`)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response


class DomainError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Invalid(DomainError):
    status = 422


class NotAuthenticated(DomainError):
    status = 401


class TooManyAttempts(DomainError):
    status = 429


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "application/json" in request.headers.get(
        "accept", ""
    )


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if isinstance(exc, NotAuthenticated) and not _wants_json(request):
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if _wants_json(request):
            return JSONResponse({"error": exc.message}, status_code=exc.status)
        templates = request.app.state.templates
        response: Response = templates.TemplateResponse(
            request,
            "error.html",
            {"status": exc.status, "message": exc.message, "user": None},
            status_code=exc.status,
        )
        return response
