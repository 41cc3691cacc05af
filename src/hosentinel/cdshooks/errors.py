"""Errors of the CDS Hooks service, each with its HTTP status. `api.py` maps them to responses
in one place: 401 is bare (no body, no detail); the others carry a FHIR OperationOutcome, which
CDS Hooks 3.0 recommends for non-2xx answers and 2.0 allows."""

from __future__ import annotations

from typing import Any

from hosentinel.fhir.outcome import error_outcome


class CdsError(Exception):
    status = 400
    code = "invalid"  # FHIR issue type

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def outcome(self) -> dict[str, Any]:
        return error_outcome(self.code, self.message)


class Unauthorized(CdsError):
    """Any failure of the caller's JWT. The reason is logged (never the token) and never sent."""

    status = 401
    code = "security"


class BadRequest(CdsError):
    status = 400
    code = "invalid"


class UnknownService(CdsError):
    status = 404
    code = "not-found"


class PreconditionFailed(CdsError):
    """Required data was neither prefetched nor fetchable from the client's FHIR server."""

    status = 412
    code = "processing"


class PayloadTooLarge(CdsError):
    status = 413
    code = "too-costly"
