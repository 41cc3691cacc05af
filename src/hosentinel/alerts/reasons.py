"""Coded reasons for overriding an alert: the CDS Hooks override-reason codes.

Source: ../shared/standards/cds-standards-and-anchors.md §1.5 names the example value set of the
CDS Hooks 3.0 ballot as the default list for `overrideReasons`. The codes and displays below are
the 12 codes of HL7 `ValueSet-non-adherence-reason-clinical` (HL7/cds-hooks, main branch,
input/vocabulary/ValueSet-non-adherence-reason-clinical.json), with the display texts of its code
system `http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes`
(input/vocabulary/CodeSystem-non-adherence-reason-codes.json; concepts first defined in AHRQ
CDSiC "Approaches to Standardizing Override Reasons for Patient-Centered Clinical Decision
Support", AHRQ Publication No. 25-0073, June 2025). The value set is trial-use (FMM 1) in a ballot
version: re-check it when CDS Hooks 3.0 is published.
"""

from __future__ import annotations

from dataclasses import dataclass

SYSTEM = "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
VALUE_SET = "http://terminology.hl7.org/ValueSet/non-adherence-reason-clinical"


@dataclass(frozen=True, slots=True)
class OverrideReason:
    code: str
    display: str

    def coding(self) -> dict[str, str]:
        """The reason as a FHIR Coding (CDS Hooks `overrideReasons` items need `display`)."""
        return {"system": SYSTEM, "code": self.code, "display": self.display}


OVERRIDE_REASONS: tuple[OverrideReason, ...] = (
    OverrideReason("cds-not-applicable", "PC CDS does not apply to patient"),
    OverrideReason("cds-suboptimal-context", "PC CDS delivered in suboptimal context"),
    OverrideReason(
        "recipient-disagrees-evidence",
        "Recipient disagrees with recommendation because of issues with the evidence",
    ),
    OverrideReason(
        "recipient-concerns-outcomes", "Recipient has concerns regarding potential health outcomes"
    ),
    OverrideReason(
        "does-not-align-preferences",
        "Recommendation does not align with patient preferences or values",
    ),
    OverrideReason("not-convenient-feasible", "Recommendation is not convenient or feasible"),
    OverrideReason("action-completed", "Recommended action was already completed"),
    OverrideReason(
        "patient-contraindication", "Patient has contraindication to recommended action"
    ),
    OverrideReason("patient-refuses", "Patient refuses/declines (no context given)"),
    OverrideReason(
        "too-costly-uncovered", "Recommended action is too costly or not covered by insurance"
    ),
    OverrideReason("service-not-available", "Treatment or service is not practically available"),
    OverrideReason(
        "recipient-does-not-understand",
        "Recipient does not understand the recommended action or know how to perform the "
        "recommended action",
    ),
)

BY_CODE: dict[str, OverrideReason] = {reason.code: reason for reason in OVERRIDE_REASONS}


def reason_display(code: str | None) -> str:
    """The display of a code; an unknown code (e.g. from an EHR) is shown as it is."""
    if code is None:
        return ""
    reason = BY_CODE.get(code)
    return reason.display if reason else code


# What the clinician reads: the same reasons in plain words. The HL7 code and display stay
# underneath (the option's value, its title, and every coding sent to an EHR).
PLAIN: dict[str, str] = {
    "cds-not-applicable": "Does not apply to this patient",
    "cds-suboptimal-context": "Shown at the wrong time or place",
    "recipient-disagrees-evidence": "I disagree with the evidence behind it",
    "recipient-concerns-outcomes": "I am concerned about possible harm",
    "does-not-align-preferences": "Not in line with the patient's wishes",
    "not-convenient-feasible": "Not practical now",
    "action-completed": "Already done",
    "patient-contraindication": "The patient has a reason not to (contraindication)",
    "patient-refuses": "The patient declines",
    "too-costly-uncovered": "Too costly or not covered",
    "service-not-available": "Not available here",
    "recipient-does-not-understand": "I am not sure what to do",
}
assert set(PLAIN) == set(BY_CODE)


def plain_reason(code: str | None) -> str:
    """The reason in plain words; an unknown code (from an EHR) as it is."""
    if code is None:
        return ""
    return PLAIN.get(code, reason_display(code))
