"""The contract of ../shared/DESIGN.md ("Contracts", `hosentinel assess`), written once from the
text for the tests that check the CLI and the API against it (never imported from the code)."""

from __future__ import annotations

# The top-level keys of the assessment JSON, `patient_status` from the additions of 2026-12-05.
ASSESSMENT_TOP_LEVEL: tuple[str, ...] = (
    "patient",
    "as_of",
    "knowledge",
    "index_events",
    "risk",
    "surveillance",
    "suspicion",
    "recommendations",
    "cautions",
    "lesions",
    "education",
    "missing_inputs",
    "patient_status",
)
