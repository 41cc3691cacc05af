"""Request-scoped dependencies: one transaction per request, the signed-in user, access rules."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.datastructures import State

from hosentinel.app.config import AppConfig
from hosentinel.app.errors import Forbidden, NotAuthenticated, NotFound, PatientNotFound
from hosentinel.app.security import SESSION_COOKIE, csrf_matches, find_session, now
from hosentinel.app.smart.access import gate as smart_gate
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m

# Admins are not clinicians: they manage users, read the audit log and the alert
# statistics, and open no clinical page (worklist, patients, knowledge, directory, FHIR import).
CLINICAL_ROLES = ("physiatrist", "therapist", "nurse", "unit-lead")
EXAM_ROLES = ("physiatrist", "therapist", "nurse")
ALERT_ROLES = ("physiatrist", "nurse", "unit-lead")
# Every integer id in a path: a database integer (an id past 64 bits made SQLite raise, a 500);
# out of range is a 422 naming the parameter.
MAX_DB_INT = 2**63 - 1
DbId = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
# A page number in a query string (the offset it makes must stay a database integer too).
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]

# Roles that see patients through their unit; NO_UNIT matches no patient's unit.
UNIT_ROLES = ("physiatrist", "therapist", "nurse", "unit-lead")
# Longer than patients.unit holds (80), so no patient's unit equals it (PostgreSQL refuses NUL).
NO_UNIT = "(no unit)" + "-" * 80


ADMIN_NOT_CLINICAL = (
    "Administrators manage users and read the audit log and alert statistics; patients' records"
    " and the clinical pages are for clinicians."
)


def break_glass_until(db: Session, user_id: int, patient_id: str) -> datetime | None:
    """When this user's running break-glass access to the patient ends (None: no access)."""
    until = db.scalar(
        select(func.max(m.BreakGlass.expires_at)).where(
            m.BreakGlass.user_id == user_id,
            m.BreakGlass.patient_id == patient_id,
            m.BreakGlass.expires_at > now(),
        )
    )
    if until is not None and until.tzinfo is None:
        until = until.replace(tzinfo=UTC)  # SQLite gives naive datetimes back
    return until


def has_break_glass(db: Session, user_id: int, patient_id: str) -> bool:
    return break_glass_until(db, user_id, patient_id) is not None


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

    def __init__(
        self,
        user: m.User,
        csrf_token: str,
        only_patient: str | None = None,
        state: State | None = None,
    ) -> None:
        self.user = user
        self.csrf_token = csrf_token
        # A session opened from the EHR (SMART launch) reaches only the launched patient.
        self.only_patient = only_patient
        # The request's state: a patient opened under break-glass is noted there for the pages'
        # banner (`_break_glass_banner.html`).
        self.state = state

    @property
    def role(self) -> str:
        return self.user.role

    def can_see(self, db: Session, patient: m.Patient) -> bool:
        """A session launched from the EHR (SMART): the launched patient only. A family member:
        their patient. A clinician or unit lead: their unit's patients, and another's under
        break-glass access. An admin: none (users and the audit log only)."""
        if self.only_patient is not None:
            return patient.id == self.only_patient
        if self.user.role == "family":
            return self.user.patient_id == patient.id
        if self.user.role not in UNIT_ROLES:
            return False
        if self.user.unit is not None and patient.unit == self.user.unit:
            return True
        until = break_glass_until(db, self.user.id, patient.id)
        if until is not None and self.state is not None:
            self.state.break_glass = {"patient_id": patient.id, "until": until}
        return until is not None

    def unit_scope(self) -> str:
        """The unit whose patients this viewer lists (a name no unit has, for none)."""
        if self.user.role in UNIT_ROLES and self.user.unit:
            return self.user.unit
        return NO_UNIT


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


def _bearer_viewer(request: Request, db: Session, token: str) -> Viewer:
    """A system client's request (SMART Backend Services: `system_clients.py`), on /fhir and
    /api only. No cookie is involved, so no CSRF token either; writes need a write scope."""
    from hosentinel.app.system_clients import clients_of, find_bearer, may_write

    path = request.url.path
    if not (path == "/fhir" or path.startswith(("/fhir/", "/api/"))):
        raise NotAuthenticated("Please sign in.")
    found = find_bearer(db, token, clients_of(request.app))
    if found is None:
        raise NotAuthenticated("The bearer token is not valid (unknown or expired).")
    if request.method not in SAFE_METHODS and not may_write(found.scope):
        raise Forbidden("The token's scopes do not allow writing.")
    return Viewer(found.user, "")


def get_viewer(
    request: Request, db: Db, submitted: Annotated[str | None, Depends(submitted_csrf)]
) -> Viewer:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return _bearer_viewer(request, db, token.strip())
    web_session = find_session(db, request.cookies.get(SESSION_COOKIE))
    if web_session is None:
        raise NotAuthenticated("Please sign in.")
    user = db.get(m.User, web_session.user_id)
    if user is None or not user.active:
        raise NotAuthenticated("Please sign in.")
    viewer = Viewer(
        user, web_session.csrf_token, smart_gate(request, db, web_session), request.state
    )
    if request.method not in SAFE_METHODS and not csrf_matches(web_session.csrf_token, submitted):
        raise Forbidden("The form expired or did not come from this site. Reload and try again.")
    return viewer


CurrentViewer = Annotated[Viewer, Depends(get_viewer)]


def require(viewer: Viewer, *roles: str) -> None:
    if viewer.role not in roles:
        if viewer.role == "admin" and "admin" not in roles:
            raise Forbidden(ADMIN_NOT_CLINICAL)
        raise Forbidden("Your role does not allow this.")


def patient_for(db: Session, viewer: Viewer, patient_id: str) -> m.Patient:
    """The patient, if this viewer may see them. A family member asking for another patient gets
    the same 404 as a patient that does not exist, so ids cannot be probed. An admin is refused
    (403) before any patient is looked up: the same answer for every id."""
    if viewer.role == "admin":
        raise Forbidden(ADMIN_NOT_CLINICAL)
    patient = db.get(m.Patient, patient_id)
    if patient is None or not viewer.can_see(db, patient):
        if viewer.role in UNIT_ROLES and viewer.only_patient is None:
            raise PatientNotFound("No such patient.", patient_id, viewer.csrf_token)
        raise NotFound("No such patient.")
    return patient


def knowledge_of(request: Request) -> Knowledge:
    """The app's knowledge base (loaded once by `create_app`)."""
    knowledge: Knowledge = request.app.state.knowledge
    return knowledge


KnowledgeBase = Annotated[Knowledge, Depends(knowledge_of)]
