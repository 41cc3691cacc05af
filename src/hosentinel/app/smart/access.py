"""What a SMART session may reach: the launched patient's pages and API, and the pages about no
patient at all (knowledge, sign-out); everything else answers 403, `/` leads to the patient.
Also ends the session with the access token (or refreshes it when the EHR gave a refresh token),
and lets the issuer's origins frame the answer (`headers.py` reads `FRAME_STATE`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from hosentinel.app.errors import DomainError, Forbidden
from hosentinel.app.headers import FRAME_STATE
from hosentinel.app.security import now
from hosentinel.app.smart import ehr
from hosentinel.app.smart.sessions import aware, smart_session_for
from hosentinel.app.smart.settings import SmartClient
from hosentinel.store import models as m

SMART_STATE = "hosentinel_smart"
OPEN_PATHS = ("/logout", "/knowledge", "/api/knowledge", "/api/alerts/override-reasons")
OUTSIDE = (
    "This session was opened from the EHR for one patient: it reaches only that patient. "
    "Open another patient from the EHR."
)


class SessionEnded(DomainError):
    status = 401


def allow_framing(request: Request, client: SmartClient) -> None:
    setattr(request.state, FRAME_STATE, " ".join(client.frame_ancestors))


def _refresh_or_end(db: Session, smart: m.SmartSession, client: SmartClient | None) -> None:
    if smart.refresh_token and client is not None:
        try:
            with ehr.http_client() as http:
                config = ehr.smart_configuration(http, client.iss)
                token = ehr.refresh(http, client, config, smart.refresh_token)
        except ehr.EhrError:
            token = None
        if token is not None:
            smart.access_token = str(token["access_token"])
            smart.refresh_token = str(token.get("refresh_token") or smart.refresh_token)
            smart.expires_at = now() + timedelta(seconds=ehr.lifetime_s(token))
            return
    db.delete(smart)
    web = db.get(m.WebSession, smart.token_hash)
    if web is not None:
        db.delete(web)
    raise SessionEnded(
        "Your session from the EHR has ended (the EHR's access expired). "
        "Open HO Sentinel from the EHR again."
    )


def gate(request: Request, db: Session, web_session: m.WebSession) -> str | None:
    """None for an ordinary session; for a SMART session the one patient id it reaches, after
    checking that this request stays with that patient and that the EHR's access still holds.
    The path is checked first: a refused request refreshes nothing (its transaction is rolled
    back, and a rotated refresh token would be lost with it)."""
    smart = smart_session_for(db, web_session)
    if smart is None:
        return None
    clients: dict[str, SmartClient] = request.app.state.smart_clients
    client = clients.get(smart.iss)
    if client is not None:
        allow_framing(request, client)  # its error pages too are shown inside the EHR
    path = request.url.path
    asked: Any = request.path_params.get("patient_id")
    if asked is not None and asked != smart.patient_id:
        raise Forbidden(OUTSIDE)
    if asked is None and path == "/" and request.method == "GET":
        raise HTTPException(303, headers={"Location": f"/patients/{smart.patient_id}"})
    if asked is None and not any(path == p or path.startswith(p + "/") for p in OPEN_PATHS):
        raise Forbidden(OUTSIDE)
    if client is None or aware(smart.expires_at) <= now():
        # An issuer no longer trusted ends its sessions; an expired token is refreshed or ends.
        _refresh_or_end(db, smart, client)
    setattr(request.state, SMART_STATE, {"iss": smart.iss, "gaps": list(smart.gaps or [])})
    return smart.patient_id
