"""A clinician's National Provider Identifier, kept on their account for the referral letters
they sign (and the ServiceRequest's requester). Set by an admin.

POST /admin/users/{id}/npi          form field `npi` (empty clears it) -> the users page
PUT  /api/admin/users/{id}/npi      {"npi": "..." | null}
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from hosentinel.app.deps import CurrentViewer, Db, DbId, Viewer, require
from hosentinel.app.errors import Invalid, NotFound
from hosentinel.directory.npi import valid_npi
from hosentinel.store import models as m
from hosentinel.store.audit import audit

router = APIRouter()


def set_npi(db: Db, viewer: Viewer, user_id: int, npi: str | None) -> m.User:
    require(viewer, "admin")
    user = db.get(m.User, user_id)
    if user is None:
        raise NotFound("No such user.")
    value = "".join((npi or "").split()) or None
    if value is not None and user.role == "family":
        raise Invalid("A family account has no NPI.")
    if value is not None and not valid_npi(value):
        raise Invalid(
            f"{value!r} is not an NPI: an NPI is 10 digits whose last is the check digit "
            "(CMS Luhn formula)."
        )
    if value != user.npi:
        audit(
            db, viewer.user, "admin", f"NPI of {user.username}: {user.npi or '-'} -> {value or '-'}"
        )
        user.npi = value
        db.flush()
    return user


@router.post("/admin/users/{user_id}/npi")
def npi_form(
    db: Db, viewer: CurrentViewer, user_id: DbId, npi: Annotated[str, Form(max_length=40)] = ""
) -> Response:
    user = set_npi(db, viewer, user_id, npi)
    done = urlencode({"done": f"NPI of {user.username} saved."})
    return RedirectResponse(f"/admin/users?{done}#user-{user.id}", status_code=303)


class NpiIn(BaseModel):
    npi: str | None = Field(max_length=40)


class NpiOut(BaseModel):
    username: str
    npi: str | None


@router.put("/api/admin/users/{user_id}/npi", response_model=NpiOut)
def npi_api(db: Db, viewer: CurrentViewer, user_id: DbId, body: NpiIn) -> NpiOut:
    user = set_npi(db, viewer, user_id, body.npi)
    return NpiOut(username=user.username, npi=user.npi)
