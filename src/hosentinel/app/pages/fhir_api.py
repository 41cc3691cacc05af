"""FHIR in and out: `POST /fhir` stores a Bundle; `$ho-assessment` returns the assessment."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from hosentinel.app.config import AppConfig
from hosentinel.app.deps import Config, CurrentViewer, Db, patient_for, require
from hosentinel.app.services import assess
from hosentinel.fhir.export import assessment_bundle
from hosentinel.fhir.identifiers import bundle_ids
from hosentinel.fhir.importer import BundleError, read_bundle
from hosentinel.fhir.outcome import issue, operation_outcome
from hosentinel.limits import oversized_string, string_limit_message
from hosentinel.store.audit import audit
from hosentinel.store.merge import merge_tracked, protected_refs

router = APIRouter(tags=["fhir"])
FHIR_JSON = "application/fhir+json"
IMPORT_ROLES = ("physiatrist", "nurse")  # admins are not clinicians: no imports
APP_CREATED = "entered in HO Sentinel by a clinician; an import cannot replace it (not stored)"


def outcome(issues: list[dict[str, Any]], status: int) -> JSONResponse:
    return JSONResponse(operation_outcome(issues), status_code=status, media_type=FHIR_JSON)


async def raw_body(request: Request) -> bytes:
    return await request.body()


# The body is read raw (FHIR JSON is parsed and checked by the importer); this describes it in the
# OpenAPI schema, so clients and the API fuzzing tests know what to send.
BUNDLE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            media: {
                "schema": {
                    "type": "object",
                    "required": ["resourceType"],
                    "properties": {
                        "resourceType": {"type": "string", "enum": ["Bundle"]},
                        "type": {"type": "string", "enum": ["transaction", "collection"]},
                        "entry": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "fullUrl": {"type": "string"},
                                    "resource": {"type": "object"},
                                },
                            },
                        },
                    },
                }
            }
            for media in (FHIR_JSON, "application/json")
        },
    }
}


@router.post("/fhir", openapi_extra=BUNDLE_BODY)
def import_bundle(
    request: Request,
    db: Db,
    viewer: CurrentViewer,
    body: Annotated[bytes, Depends(raw_body)],
) -> JSONResponse:
    """Store a transaction or collection Bundle for one patient. Idempotent on resource ids.
    Collection (and other) Bundles: a resource that fails validation is named in the
    OperationOutcome and the rest are kept. A transaction Bundle is all or nothing (FHIR's
    transaction rule): if any resource in it is rejected, nothing is stored and the answer is a
    422 naming each rejected resource."""
    require(viewer, *IMPORT_ROLES)
    too_long = _oversized(body, request.app.state.config)
    if too_long:
        return outcome([issue("error", "too-costly", too_long)], 413)
    try:
        record = read_bundle(body, request.app.state.knowledge, strict_dates=False)
    except BundleError as exc:
        return outcome([issue("error", "invalid", str(exc))], 400)
    rejected = [w for w in record.stats.warnings if " skipped: " in w]
    rejected += [f"{ref} skipped: {APP_CREATED}" for ref in protected_refs(db, record)]
    if rejected and _bundle_type(body) == "transaction":
        issues = [issue("error", "invalid", w) for w in rejected]
        issues.append(
            issue("error", "processing", "transaction Bundle not stored: it is all or nothing")
        )
        return outcome(issues, 422)
    ids = bundle_ids(orjson.loads(body)).given()
    merged = merge_tracked(db, record, actor=viewer.user.username, identifiers=ids)
    written = merged.written
    pid = record.patient.id
    audit(db, viewer.user, "write", f"FHIR import: {written} resources", pid)
    for ref in merged.replaced:
        audit(db, viewer.user, "write", f"FHIR import replaced {ref} (old value kept)"[:200], pid)
    issues = [issue("warning", "processing", w) for w in record.stats.warnings]
    issues += [
        issue("warning", "business-rule", f"{ref}: {APP_CREATED}") for ref in merged.protected
    ]
    issues.append(
        issue("information", "informational", f"stored {written} resources for Patient/{pid}")
    )
    return outcome(issues, 200)


def _oversized(body: bytes, config: AppConfig) -> str | None:
    """A message naming a string over the per-value limit, if the body holds one."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None  # the importer names the problem
    found = oversized_string(parsed, config.max_string_chars, raw=body)
    if found is None:
        return None
    return string_limit_message(found, config.max_string_chars, "HOSENTINEL_MAX_STRING")


def _bundle_type(body: bytes) -> object:
    """Bundle.type of a body that `read_bundle` has already read as a JSON object."""
    parsed = orjson.loads(body)
    return parsed.get("type") if isinstance(parsed, dict) else None


@router.get("/fhir/Patient/{patient_id}/$ho-assessment")
def ho_assessment(
    patient_id: str, request: Request, db: Db, config: Config, viewer: CurrentViewer
) -> JSONResponse:
    """The patient's assessment as FHIR R4: RiskAssessment, CarePlan, DetectedIssue and
    DocumentReference resources in a collection Bundle."""
    if viewer.role == "family":
        return outcome([issue("error", "forbidden", "not available in the family view")], 403)
    patient = patient_for(db, viewer, patient_id)
    knowledge = request.app.state.knowledge
    a = assess(db, knowledge, patient.id, config.current_date(), request.app.state.assessments)
    audit(db, viewer.user, "read", "FHIR $ho-assessment", patient.id)
    return JSONResponse(assessment_bundle(a, knowledge), media_type=FHIR_JSON)
