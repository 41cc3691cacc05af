"""SMART Backend Services for system clients (`app/system_clients.py`): the token endpoint and
its discovery document."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import Db
from hosentinel.app.system_clients import TokenError, clients_of, issue_token

router = APIRouter(tags=["auth"])
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _base(request: Request) -> str:
    config: AppConfig = request.app.state.config
    return config.base_url.rstrip("/")


@router.get("/fhir/.well-known/smart-configuration")
def smart_configuration(request: Request) -> JSONResponse:
    base = _base(request)
    return JSONResponse(
        {
            "token_endpoint": f"{base}/auth/token",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES384", "RS384"],
            "scopes_supported": ["system/*.read", "system/*.rs", "system/*.write", "system/*.*"],
            "capabilities": ["client-confidential-asymmetric"],
        }
    )


@router.post("/auth/token")
async def token(request: Request, db: Db) -> JSONResponse:
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        body = issue_token(db, f"{_base(request)}/auth/token", form, clients_of(request.app))
    except TokenError as exc:
        status = 401 if exc.code == "invalid_client" else 400
        description = {"error": exc.code, "error_description": exc.description}
        return JSONResponse(description, status, headers=NO_STORE)
    return JSONResponse(body, headers=NO_STORE)
