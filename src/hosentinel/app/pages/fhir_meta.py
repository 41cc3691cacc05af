"""`GET /fhir/metadata`: the FHIR R4 CapabilityStatement of the service's FHIR endpoint (what a
client may do here: import a Bundle, read a referral's ServiceRequest, run `$ho-assessment` on a
Patient). Open, as FHIR servers' capability statements are: it holds no patient data."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from hosentinel.app.config import AppConfig

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
OPERATION = "https://hosentinel.org/fhir/OperationDefinition/ho-assessment"


def package_version() -> str:
    try:
        return version("hosentinel")
    except PackageNotFoundError:
        return "unknown"


def capability_statement(base_url: str, release: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-05",
        "publisher": "HO Sentinel",
        "kind": "instance",
        "software": {
            "name": "HO Sentinel",
            "version": f"{package_version()} (knowledge {release})",
        },
        "implementation": {
            "description": "HO Sentinel FHIR endpoint",
            "url": f"{base_url}/fhir",
        },
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Sign in to the app (session cookie); other requests get 401 "
                "with an OperationOutcome.",
                "resource": [
                    {"type": "ServiceRequest", "interaction": [{"code": "read"}]},
                    {
                        "type": "Patient",
                        "operation": [{"name": "ho-assessment", "definition": OPERATION}],
                    },
                ],
                "interaction": [
                    {
                        "code": "transaction",
                        "documentation": "POST /fhir: a transaction (all or nothing) or "
                        "collection Bundle of one patient's record.",
                    }
                ],
            }
        ],
    }


@router.get("/fhir/metadata")
def metadata(request: Request) -> JSONResponse:
    config: AppConfig = request.app.state.config
    body = capability_statement(config.base_url.rstrip("/"), request.app.state.knowledge.release)
    return JSONResponse(body, media_type=FHIR_JSON)
