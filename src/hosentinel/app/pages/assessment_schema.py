"""The contract JSON of DESIGN.md (`hosentinel assess`), typed for the OpenAPI schema of
GET /api/patients/{id}/assessment. Items are returned exactly as `Assessment.to_json()` builds
them: optional keys are left out, never filled with null."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class InputOut(_Out):
    ref: str
    what: str
    value: str | bool | int | float | None = None
    date: str | None = None


class BasisOut(_Out):
    rule: str
    entries: list[str]
    citations: list[str]
    inputs: list[InputOut]
    settings: list[str] | None = None
    note: str | None = None


class IndexEventOut(_Out):
    kind: str
    date: str
    days_since: int
    joints: list[str]
    side: str | None = None
    basis: BasisOut


class RiskFactorOut(_Out):
    id: str
    title: str
    strong: bool
    effects: list[str]
    basis: BasisOut


class ModelOut(_Out):
    id: str
    title: str
    status: str
    value: float | None
    reason: str
    basis: BasisOut


class RiskOut(_Out):
    level: str
    factors: list[RiskFactorOut]
    models: list[ModelOut]
    basis: BasisOut


class DueJointOut(_Out):
    joint: str
    side: str
    due: str
    overdue: bool
    last_examined: str | None
    basis: BasisOut


class WindowOut(_Out):
    start: str
    end: str


class SurveillanceOut(_Out):
    phase: str
    window: WindowOut | None
    due: list[DueJointOut]
    basis: BasisOut


class FindingOut(_Out):
    id: str
    summary: str
    basis: BasisOut


class SiteSuspicionOut(_Out):
    joint: str | None
    side: str | None
    level: str
    findings: list[FindingOut]
    basis: BasisOut


class SuspicionOut(_Out):
    level: str
    sites: list[SiteSuspicionOut]


class EvidenceOut(_Out):
    stance: str
    text: str
    citation: str


class RecommendationFull(_Out):
    id: str
    category: str
    priority: str
    summary: str
    rationale: str
    basis: BasisOut
    sites: list[str] | None = None
    evidence: list[EvidenceOut] | None = None
    conflicting_evidence: bool | None = None
    availability: str | None = None


class CautionFull(_Out):
    about: str
    level: str
    reason: str
    summary: str
    recommended: bool
    basis: BasisOut


class LesionFull(_Out):
    joint: str | None
    side: str | None
    maturity: str
    surgical_referral: str
    criteria: dict[str, bool | None]
    classic_rule: str
    newer_evidence: list[EvidenceOut]
    basis: BasisOut


class EducationOut(_Out):
    id: str
    stage: str
    level: str
    title: str
    basis: BasisOut


class MissingInputOut(_Out):
    id: str
    why_it_matters: str


class KnowledgeRef(_Out):
    release: str
    digest: str


class ImportOut(_Out):
    warnings: list[str]
    unknown_codes: int


class AssessmentOut(_Out):
    """One assessment in the contract shape of DESIGN.md (`hosentinel assess` prints the same)."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    patient: str
    as_of: str
    knowledge: KnowledgeRef
    index_events: list[IndexEventOut]
    risk: RiskOut
    surveillance: SurveillanceOut
    suspicion: SuspicionOut
    recommendations: list[RecommendationFull]
    cautions: list[CautionFull]
    lesions: list[LesionFull]
    education: list[EducationOut]
    missing_inputs: list[MissingInputOut]
    import_: ImportOut = Field(alias="import")
