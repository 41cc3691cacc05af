"""FHIR OperationOutcome, the one way every HTTP surface (the FHIR API, CDS Hooks) reports a
problem in FHIR terms."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

Severity = Literal["fatal", "error", "warning", "information"]


def issue(severity: Severity | str, code: str, diagnostics: str) -> dict[str, Any]:
    """One `OperationOutcome.issue`: `code` is a FHIR issue type (invalid, not-found, ...)."""
    return {"severity": severity, "code": code, "diagnostics": diagnostics}


def operation_outcome(issues: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "OperationOutcome", "issue": list(issues)}


def error_outcome(code: str, diagnostics: str) -> dict[str, Any]:
    """An OperationOutcome with a single error."""
    return operation_outcome([issue("error", code, diagnostics)])
