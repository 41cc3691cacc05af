"""Sign in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hosentinel.app.deps import Config, CurrentViewer, Db
from hosentinel.app.security import SESSION_COOKIE, authenticate, end_session, start_session
from hosentinel.app.templating import render
from hosentinel.store.audit import audit

router = APIRouter()


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect to another host after sign-in.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "user": None})


@router.post("/login")
def login(
    request: Request,
    db: Db,
    config: Config,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> Response:
    client = request.client.host if request.client else "unknown"
    user = authenticate(db, config, username.strip(), password, client)
    if user is None:
        # Seen by admins in the audit view; the typed name is untrusted: shortened.
        audit(
            db,
            None,
            "login-failed",
            f"failed sign-in as {username.strip()[:60]!r} from {client[:60]}",
            actor=username.strip()[:80] or "anonymous",
        )
        return render(
            request,
            "login.html",
            {
                "next": _safe_next(next),
                "error": "Wrong username or password.",
                "user": None,
                "username": username,
            },
            status_code=401,
        )
    token = start_session(db, config, user)
    audit(db, user, "login", "signed in")
    target = f"/patients/{user.patient_id}/family" if user.role == "family" else _safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=config.cookies_secure(),
        max_age=config.session_hours * 3600,
    )
    return response


@router.get("/logout", response_class=HTMLResponse)
def logout_page(request: Request, viewer: CurrentViewer) -> Response:
    """The sign-out button on a page of its own: error pages link here, as they cannot carry the
    session's CSRF token themselves."""
    return render(request, "logout.html", {"user": viewer.user, "csrf": viewer.csrf_token})


@router.post("/logout")
def logout(request: Request, db: Db, viewer: CurrentViewer) -> Response:
    end_session(db, request.cookies.get(SESSION_COOKIE))
    audit(db, viewer.user, "logout", "signed out")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
