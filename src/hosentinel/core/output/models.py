"""The assessment JSON of DESIGN.md ("Contracts", `hosentinel assess`), as typed models.

The one definition of the output shape: the CLI prints it, the JSON API returns it and its
OpenAPI schema is generated from it. Field order is key order. Two kinds of optional key, as the
contract has them: a key that is always there and may be null (`ModelOut.value`,
`DueJointOut.last_examined`, `SurveillanceOut.window`, a site's `joint`/`side`), and a key left
out when it has nothing to say (`Absent[...]`: never null when present). Unknown keys are
refused (`extra="forbid"`), and values are not coerced (`strict`), so what the core built is
what is printed, byte for byte.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema

from hosentinel.core.assessment import (
    CautionLevel,
    Maturity,
    PatientStatus,
    Phase,
    Priority,
    Referral,
    RiskLevel,
    SuspicionLevel,
    Tier,
)
from hosentinel.core.record import Joint, Side
from hosentinel.knowledge.schema import (
    CAUTION_REASONS,
    RECOMMENDATION_IDS,
    IndexKind,
    ReadingLevel,
    Stage,
)

T = TypeVar("T")


def _is_none(value: object) -> bool:
    return value is None


def _never_null(schema: dict[str, Any]) -> None:
    """The schema of an `Absent` key: its value type without the null (absent, never null)."""
    options = [s for s in schema.pop("anyOf") if s != {"type": "null"}]
    schema.pop("default", None)
    if len(options) == 1:
        schema.update(options[0])
    else:
        schema["anyOf"] = options


# A key left out of the JSON when its value is None.
Absent = Annotated[T | None, Field(exclude_if=_is_none, json_schema_extra=_never_null)]


def _one_of(words: tuple[str, ...], what: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in words:
            raise ValueError(f"{value!r} is not a {what} of the contract")
        return value

    return check


# The contract's vocabularies (extend, never rename), kept in the knowledge schema.
RecommendationId = Annotated[
    str,
    AfterValidator(_one_of(RECOMMENDATION_IDS, "recommendation id")),
    WithJsonSchema({"type": "string", "enum": list(RECOMMENDATION_IDS)}),
]
CautionReason = Annotated[
    str,
    AfterValidator(_one_of(CAUTION_REASONS, "caution reason")),
    WithJsonSchema({"type": "string", "enum": list(CAUTION_REASONS)}),
]


class _Out(BaseModel):
    model_config = ConfigDict(
        extra="forbid", strict=True, frozen=True, serialize_by_alias=True, validate_by_name=True
    )


class InputOut(_Out):
    ref: str
    what: str
    value: Absent[str | bool | int | float] = None
    date: Absent[dt.date] = None


class BasisOut(_Out):
    rule: str
    entries: list[str]
    citations: list[str]
    inputs: list[InputOut]
    settings: Absent[list[str]] = None
    note: Absent[str] = None


class IndexEventOut(_Out):
    kind: IndexKind
    date: dt.date
    days_since: int
    joints: list[Joint]
    basis: BasisOut
    side: Absent[Side] = None


class RiskFactorOut(_Out):
    id: str
    title: str
    strong: bool
    effects: list[str]
    basis: BasisOut


class RiskModelOut(_Out):
    id: str
    title: str
    status: Literal["computed", "not-computable"]
    value: float | None
    reason: str
    basis: BasisOut


class RiskOut(_Out):
    level: RiskLevel
    factors: list[RiskFactorOut]
    models: list[RiskModelOut]
    basis: BasisOut


class DueJointOut(_Out):
    joint: Joint
    side: Side
    due: dt.date
    overdue: bool
    last_examined: dt.date | None
    basis: BasisOut


class WindowOut(_Out):
    start: dt.date
    end: dt.date


class SurveillanceOut(_Out):
    phase: Phase
    window: WindowOut | None
    due: list[DueJointOut]
    basis: BasisOut


class FindingOut(_Out):
    id: str
    summary: str
    basis: BasisOut


class DvtAnsweredOut(_Out):
    answer: Literal["found", "excluded"]
    summary: str
    basis: BasisOut


class SiteSuspicionOut(_Out):
    joint: Joint | None
    side: Side | None
    level: SuspicionLevel
    findings: list[FindingOut]
    basis: BasisOut
    dvt: Absent[DvtAnsweredOut] = None


class SuspicionOut(_Out):
    level: SuspicionLevel
    sites: list[SiteSuspicionOut]


class EvidenceOut(_Out):
    stance: Literal["supports", "against", "neutral"]
    text: str
    citation: str


class RecommendationItemOut(_Out):
    id: RecommendationId
    category: str
    priority: Priority
    tier: Tier
    summary: str
    rationale: str
    basis: BasisOut
    # Drug options only: the cautions that hold for this patient (possibly none).
    cautions: Absent[list[CautionReason]] = None
    waits_for: Absent[list[RecommendationId]] = None
    sites: Absent[list[str]] = None
    evidence: Absent[list[EvidenceOut]] = None
    conflicting_evidence: Absent[bool] = None
    availability: Absent[str] = None


class CautionItemOut(_Out):
    about: RecommendationId
    level: CautionLevel
    reason: CautionReason
    summary: str
    recommended: bool
    basis: BasisOut


class CriteriaOut(_Out):
    """The three maturity criteria (knowledge entry `maturity`): met, not met, or not known."""

    radiographs_stable: bool | None = Field(alias="radiographs-stable")
    alp_normal: bool | None = Field(alias="alp-normal")
    bone_scan_settled: bool | None = Field(alias="bone-scan-settled")


class LesionItemOut(_Out):
    joint: Joint | None
    side: Side | None
    maturity: Maturity
    surgical_referral: Referral
    criteria: CriteriaOut
    classic_rule: str
    newer_evidence: list[EvidenceOut]
    basis: BasisOut


class EducationOut(_Out):
    id: str
    stage: Stage
    level: ReadingLevel
    title: str
    basis: BasisOut


class MissingInputOut(_Out):
    id: str
    why_it_matters: str


class KnowledgeOut(_Out):
    release: str
    digest: str


class ImportOut(_Out):
    warnings: list[str]
    unknown_codes: int


class AssessmentOut(_Out):
    """One assessment in the contract shape of DESIGN.md (`hosentinel assess` prints it, the API
    returns it)."""

    patient: str
    patient_status: PatientStatus
    as_of: dt.date
    knowledge: KnowledgeOut
    index_events: list[IndexEventOut]
    risk: RiskOut
    surveillance: SurveillanceOut
    suspicion: SuspicionOut
    recommendations: list[RecommendationItemOut]
    cautions: list[CautionItemOut]
    lesions: list[LesionItemOut]
    education: list[EducationOut]
    missing_inputs: list[MissingInputOut]
    import_: ImportOut = Field(alias="import")
