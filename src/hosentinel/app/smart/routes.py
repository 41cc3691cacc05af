"""`GET /smart/launch` and `GET /smart/callback` (contract: "SMART App Launch" in DESIGN.md).

The launch is bound to the browser that started it (a cookie whose hash the pending launch
keeps) and claimed once, in its own transaction, before the code is exchanged. The EHR is asked
for nothing while the request's database transaction is open for writing; the record read from
the EHR is stored as `POST /fhir` stores a Bundle (`read_bundle` + `merge_record`), audited with
the EHR user, and the browser goes on to the patient's page in a session that reaches only them.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

import orjson
from authlib.common.security import generate_token
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import delete

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import Config, Db
from hosentinel.app.security import SESSION_COOKIE, now, start_session
from hosentinel.app.smart import ehr
from hosentinel.app.smart.access import allow_framing
from hosentinel.app.smart.reader import Reader
from hosentinel.app.smart.sessions import (
    digest,
    ehr_user,
    find_launch,
    launch_expired,
    save_launch,
)
from hosentinel.app.smart.settings import SmartClient, normalise_iss
from hosentinel.app.templating import render
from hosentinel.cdshooks.smart_links import landing
from hosentinel.fhir.importer import BundleError, read_bundle
from hosentinel.store import models as m
from hosentinel.store.audit import audit
from hosentinel.store.merge import merge_record

router = APIRouter(tags=["smart"])
LAUNCH_COOKIE = "hosentinel_smart_launch"
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")  # FHIR R4 `id`: also safe in a URL path
MAX_GAPS_SHOWN = 12


def base_url(config: AppConfig) -> str:
    return config.base_url.rstrip("/")


def cookie_attributes(config: AppConfig) -> tuple[bool, Literal["none", "lax"]]:
    """(Secure, SameSite): inside the EHR's frame the cookie is a third-party cookie, which
    browsers send only when SameSite=None, which they accept only with Secure, which needs https.
    On a plain http base URL (development, tests) Lax: top-level launches still work."""
    https = base_url(config).startswith("https://") or config.secure_cookies
    return (True, "none") if https else (False, "lax")


def problem(
    request: Request, status: int, title: str, message: str, client: SmartClient | None = None
) -> Response:
    if client is not None:
        allow_framing(request, client)
    return render(
        request,
        "smart_error.html",
        {"status": status, "title": title, "message": message, "user": None},
        status_code=status,
    )


def _clients(request: Request) -> dict[str, SmartClient]:
    clients: dict[str, SmartClient] = request.app.state.smart_clients
    return clients


@router.get("/smart/launch", include_in_schema=False)
def smart_launch(
    request: Request, db: Db, config: Config, iss: str | None = None, launch: str | None = None
) -> Response:
    """EHR launch (`iss` and `launch`) or standalone launch (`iss` only, or nothing when one EHR
    is configured): off to the EHR's authorization endpoint."""
    clients = _clients(request)
    if not iss and len(clients) == 1:
        iss = next(iter(clients))
    if not iss:
        return problem(
            request,
            400,
            "Which EHR?",
            "The launch did not say which EHR it came from (no iss). Open HO Sentinel from the "
            "EHR again.",
        )
    client = clients.get(normalise_iss(iss))
    if client is None:
        return problem(
            request,
            403,
            "This EHR is not trusted here",
            f"HO Sentinel is not registered with the EHR at {iss}: it is not one of the trusted "
            "EHRs (HOSENTINEL_SMART_CLIENTS), so HO Sentinel refuses to sign in through it. "
            "Ask your administrator to register it.",
        )
    try:
        with ehr.http_client() as http:
            smart_config = ehr.smart_configuration(http, client.iss)
    except ehr.EhrError as exc:
        return problem(request, exc.status, "The EHR could not be reached", exc.message, client)
    auth = ehr.authorize_url(client, smart_config, f"{base_url(config)}/smart/callback", launch)
    browser = generate_token(32)
    save_launch(db, auth.state, browser, client.iss, launch, auth.code_verifier)
    response = RedirectResponse(auth.url, status_code=302)
    secure, samesite = cookie_attributes(config)
    response.set_cookie(
        LAUNCH_COOKIE,
        browser,
        max_age=600,
        path="/smart",
        httponly=True,
        secure=secure,
        samesite=samesite,
    )
    allow_framing(request, client)
    return response


def _claim(request: Request, state: str | None) -> dict[str, Any] | None:
    """The pending launch of this state, removed in its own committed transaction, so a state
    is used once even when two callbacks race."""
    with request.app.state.sessionmaker.begin() as s:
        pending = find_launch(s, state)
        if pending is None:
            return None
        found = {
            "iss": pending.iss,
            "browser_hash": pending.browser_hash,
            "verifier": pending.code_verifier,
            "expired": launch_expired(pending),
        }
        gone = s.execute(
            delete(m.SmartLaunch).where(m.SmartLaunch.state_hash == digest(state or ""))
        )
        return found if gone.rowcount == 1 else None


@router.get("/smart/callback", include_in_schema=False)
def smart_callback(
    request: Request,
    db: Db,
    config: Config,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    error_description: str | None = None,
) -> Response:
    again = "Open HO Sentinel from the EHR again."
    pending = _claim(request, state)
    if pending is None:
        return problem(
            request,
            400,
            "This sign-in is not valid",
            "The EHR's answer does not match a launch HO Sentinel started (its state is unknown "
            f"or was already used). {again}",
        )
    browser = request.cookies.get(LAUNCH_COOKIE)
    client = _clients(request).get(pending["iss"])
    if browser is None or digest(browser) != pending["browser_hash"]:
        return problem(
            request,
            400,
            "This sign-in is not valid",
            f"The EHR's answer reached a different browser from the one that started the launch. "
            f"{again}",
            client,
        )
    if pending["expired"]:
        return problem(
            request,
            400,
            "The launch took too long",
            f"More than 10 minutes passed between the launch and the EHR's answer. {again}",
            client,
        )
    if client is None:
        return problem(
            request, 403, "This EHR is not trusted here", "The EHR is no longer registered here."
        )
    if error:
        detail = f" ({error}{': ' + error_description if error_description else ''})"
        return problem(
            request,
            403,
            "The EHR did not authorize HO Sentinel",
            f"Access was not granted{detail}, so HO Sentinel cannot show this patient. "
            "If this was a mistake, open HO Sentinel from the EHR again and allow access.",
            client,
        )
    if not code:
        return problem(request, 400, "This sign-in is not valid", f"No code came back. {again}")
    redirect_uri = f"{base_url(config)}/smart/callback"
    try:
        with ehr.http_client() as http:
            smart_config = ehr.smart_configuration(http, client.iss)
            token = ehr.exchange_code(
                http, client, smart_config, code, redirect_uri, pending["verifier"]
            )
            patient_id = token.get("patient")
            if not isinstance(patient_id, str) or not FHIR_ID.fullmatch(patient_id):
                raise ehr.EhrError(
                    "The EHR gave access but did not say which patient (no valid patient id in "
                    f"its answer). {again}"
                )
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise ehr.EhrError(
                    "The EHR did not say who you are (no id_token), and HO Sentinel records "
                    "who reads each record."
                )
            claims = ehr.verified_id_token(http, client, smart_config, id_token)
            fetched = Reader(http, client, str(token["access_token"])).read(patient_id)
        record = read_bundle(
            orjson.dumps(fetched.bundle()), request.app.state.knowledge, strict_dates=False
        )
    except ehr.EhrError as exc:
        return problem(
            request, exc.status, "The EHR's record could not be read", exc.message, client
        )
    except BundleError as exc:
        return problem(request, 502, "The EHR's record could not be read", str(exc), client)
    user = ehr_user(db, client, str(claims["fhirUser"]), _name(claims))
    if not user.active:
        return problem(
            request,
            403,
            "Not allowed",
            "Your HO Sentinel account (made for your EHR user) has been deactivated.",
            client,
        )
    written = merge_record(db, record, display_name=fetched.display_name())
    skipped = [w for w in record.stats.warnings if " skipped: " in w]
    gaps = fetched.gaps + (
        [f"{len(skipped)} resource(s) the EHR sent could not be read: " + "; ".join(skipped[:3])]
        if skipped
        else []
    )
    audit(
        db,
        user,
        "write",
        f"SMART launch from {client.iss} by {claims['fhirUser']}: {written} resources stored"
        + (f"; not read: {len(gaps)}" if gaps else ""),
        patient_id,
    )
    session_token = start_session(db, config, user)
    db.flush()  # the web session row first: the SMART session refers to it
    expires_in = ehr.lifetime_s(token)
    db.add(
        m.SmartSession(
            token_hash=digest(session_token),
            iss=client.iss,
            patient_id=patient_id,
            fhir_user=str(claims["fhirUser"])[:300],
            access_token=str(token["access_token"]),
            refresh_token=token.get("refresh_token"),
            expires_at=now() + timedelta(seconds=expires_in),
            gaps=gaps[:MAX_GAPS_SHOWN],
        )
    )
    response = RedirectResponse(landing(patient_id, token.get("appContext")), status_code=303)
    secure, samesite = cookie_attributes(config)
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        httponly=True,
        secure=secure,
        samesite=samesite,
        max_age=config.session_hours * 3600,
    )
    response.delete_cookie(LAUNCH_COOKIE, path="/smart")
    allow_framing(request, client)
    return response


def _name(claims: dict[str, Any]) -> str | None:
    name = claims.get("name")
    return name if isinstance(name, str) and name.strip() else None
