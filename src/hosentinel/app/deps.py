"""Request-scoped dependencies: one transaction per request, the signed-in user, access rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hosentinel.app.config import AppConfig
from hosentinel.app.errors import Forbidden, NotAuthenticated, NotFound
from hosentinel.app.security import SESSION_COOKIE, csrf_matches, find_session
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m

CLINICAL_ROLES = ("physiatrist", "therapist", "nurse", "unit-lead", "admin")
EXAM_ROLES = ("physiatrist", "therapist", "nurse")
ALERT_ROLES = ("physiatrist", "nurse", "unit-lead")


def get_db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, before the response is
    sent (scope="function" below; FastAPI's default runs this exit code after the response, which
    would acknowledge writes not yet committed); rolled back on any error. Services never
    commit."""
    factory = request.app.state.sessionmaker
    with factory() as session, session.begin():
        yield session


Db = Annotated[Session, Depends(get_db, scope="function")]


def get_config(request: Request) -> AppConfig:
    config: AppConfig = request.app.state.config
    return config


Config = Annotated[AppConfig, Depends(get_config)]


class Viewer:
    """The signed-in user with their session's CSRF token."""

    def __init__(self, user: m.User, csrf_token: str) -> None:
        self.user = user
        self.csrf_token = csrf_token

    @property
    def role(self) -> str:
        return self.user.role

    def can_see(self, patient_id: str) -> bool:
        if self.user.role == "family":
            return self.user.patient_id == patient_id
        return self.user.role in CLINICAL_ROLES


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


async def submitted_csrf(request: Request) -> str | None:
    """The CSRF token a state-changing request carries: the X-CSRF-Token header (HTMX, API) or
    the form field `csrf_token` (plain forms)."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def get_viewer(
    request: Request, db: Db, submitted: Annotated[str | None, Depends(submitted_csrf)]
) -> Viewer:
    web_session = find_session(db, request.cookies.get(SESSION_COOKIE))
    if web_session is None:
        raise NotAuthenticated("Please sign in.")
    user = db.get(m.User, web_session.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("Please sign in.")
    viewer = Viewer(user, web_session.csrf_token)
    if request.method not in SAFE_METHODS and not csrf_matches(web_session.csrf_token, submitted):
        raise Forbidden("The form expired or did not come from this site. Reload and try again.")
    return viewer


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def require(viewer: Viewer, *roles: str) -> None:
    if viewer.role not in roles:
        raise Forbidden("Your role does not allow this.")


def patient_for(db: Session, viewer: Viewer, patient_id: str) -> m.Patient:
    """The patient, if this viewer may see them. A family member asking for another patient gets
    the same 404 as a patient that does not exist, so ids cannot be probed."""
    patient = db.get(m.Patient, patient_id)
    if patient is None or not viewer.can_see(patient_id):
        raise NotFound("No such patient.")
    return patient


def knowledge_of(request: Request) -> Knowledge:
    """The app's knowledge base (loaded once by `create_app`)."""
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


KnowledgeBase = Annotated[Knowledge, Depends(knowledge_of)]
