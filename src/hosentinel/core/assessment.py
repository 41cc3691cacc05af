"""The assessment the engine returns: plain immutable values, each clinical item with its basis.

`Assessment.to_json()` gives the contract shape of DESIGN.md (`hosentinel assess --format json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

RiskLevel = Literal["low", "moderate", "high"]
Phase = Literal["not-applicable", "before-window", "in-window", "after-window"]
SuspicionLevel = Literal["none", "possible", "probable", "confirmed"]
Priority = Literal["routine", "soon", "urgent"]
CautionLevel = Literal["contraindicated", "caution"]
Maturity = Literal["active", "maturing", "mature", "unknown"]
Tier = Literal["next", "also"]
PatientStatus = Literal["active", "deceased"]
Referral = Literal["not-indicated", "when-mature", "now"]

SUSPICION_ORDER: dict[str, int] = {"none": 0, "possible": 1, "probable": 2, "confirmed": 3}
PRIORITY_ORDER: dict[str, int] = {"routine": 0, "soon": 1, "urgent": 2}


@dataclass(frozen=True, slots=True)
class Input:
    """One piece of the patient's record that a rule used."""

    ref: str
    what: str
    value: str | float | bool | None = None
    date: date | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"ref": self.ref, "what": self.what}
        if self.value is not None:
            out["value"] = self.value
        if self.date is not None:
            out["date"] = self.date.isoformat()
        return out


@dataclass(frozen=True, slots=True)
class Basis:
    """Why an item is there: the rule, the knowledge entries and citations it rests on, the local
    settings it used, and the patient's own inputs."""

    rule: str
    entries: tuple[str, ...] = ()
    citations: tuple[str, ...] = ()
    inputs: tuple[Input, ...] = ()
    settings: tuple[str, ...] = ()
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "entries": list(self.entries),
            "citations": list(self.citations),
            "inputs": [i.to_json() for i in self.inputs],
        }
        if self.settings:
            out["settings"] = list(self.settings)
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True, slots=True)
class IndexEvent:
    kind: str
    date: date
    days_since: int
    joints: tuple[str, ...]
    side: str | None
    basis: Basis
    concepts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "date": self.date.isoformat(),
            "days_since": self.days_since,
            "joints": list(self.joints),
            "basis": self.basis.to_json(),
        }
        if self.side:
            out["side"] = self.side
        return out


@dataclass(frozen=True, slots=True)
class RiskFactorHit:
    id: str
    title: str
    strong: bool
    effects: tuple[str, ...]
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "strong": self.strong,
            "effects": list(self.effects),
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class ModelResult:
    id: str
    title: str
    status: Literal["computed", "not-computable"]
    value: float | None
    reason: str
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "value": self.value,
            "reason": self.reason,
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Risk:
    level: RiskLevel
    factors: tuple[RiskFactorHit, ...]
    models: tuple[ModelResult, ...]
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "factors": [f.to_json() for f in self.factors],
            "models": [m.to_json() for m in self.models],
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class DueJoint:
    joint: str
    side: str
    due: date
    overdue: bool
    last_examined: date | None
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "joint": self.joint,
            "side": self.side,
            "due": self.due.isoformat(),
            "overdue": self.overdue,
            "last_examined": self.last_examined.isoformat() if self.last_examined else None,
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Surveillance:
    phase: Phase
    window_start: date | None
    window_end: date | None
    due: tuple[DueJoint, ...]
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        window = (
            {"start": self.window_start.isoformat(), "end": self.window_end.isoformat()}
            if self.window_start and self.window_end
            else None
        )
        return {
            "phase": self.phase,
            "window": window,
            "due": [d.to_json() for d in self.due],
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a site is suspected (a sign, a ROM loss, fever, a coded diagnosis, a scan)."""

    id: str
    summary: str
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "summary": self.summary, "basis": self.basis.to_json()}


@dataclass(frozen=True, slots=True)
class DvtAnswered:
    """A swollen leg whose DVT question is already answered (so no `rule-out-dvt` is asked for):
    which record answered it is in the basis."""

    answer: Literal["found", "excluded"]
    summary: str
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "summary": self.summary, "basis": self.basis.to_json()}


@dataclass(frozen=True, slots=True)
class SiteSuspicion:
    joint: str | None
    side: str | None
    level: SuspicionLevel
    findings: tuple[Finding, ...]
    basis: Basis
    # Set only on a swollen lower limb whose DVT question a record has answered.
    dvt: DvtAnswered | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "joint": self.joint,
            "side": self.side,
            "level": self.level,
            "findings": [f.to_json() for f in self.findings],
            "basis": self.basis.to_json(),
        }
        if self.dvt is not None:
            out["dvt"] = self.dvt.to_json()
        return out


@dataclass(frozen=True, slots=True)
class Suspicion:
    level: SuspicionLevel
    sites: tuple[SiteSuspicion, ...]

    def to_json(self) -> dict[str, Any]:
        return {"level": self.level, "sites": [s.to_json() for s in self.sites]}


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: str
    category: str
    priority: Priority
    summary: str
    rationale: str
    basis: Basis
    sites: tuple[str, ...] = ()
    evidence: tuple[dict[str, str], ...] = ()
    conflicting_evidence: bool = False
    availability: str | None = None
    # `next`: what the team should do now (at most MAX_NEXT, urgent first); `also`: the rest.
    tier: Tier = "also"
    # For a drug option: the caution reasons that hold for this patient, shown with it.
    cautions: tuple[str, ...] = ()
    # Recommendation ids that must be done first (a swollen leg: the DVT work-up).
    waits_for: tuple[str, ...] = ()
    is_drug: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "priority": self.priority,
            "tier": self.tier,
            "summary": self.summary,
            "rationale": self.rationale,
            "basis": self.basis.to_json(),
        }
        if self.is_drug:
            out["cautions"] = list(self.cautions)
        if self.waits_for:
            out["waits_for"] = list(self.waits_for)
        if self.sites:
            out["sites"] = list(self.sites)
        if self.evidence:
            out["evidence"] = [dict(e) for e in self.evidence]
            out["conflicting_evidence"] = self.conflicting_evidence
        if self.availability:
            out["availability"] = self.availability
        return out


@dataclass(frozen=True, slots=True)
class Caution:
    about: str
    level: CautionLevel
    reason: str
    summary: str
    recommended: bool
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "about": self.about,
            "level": self.level,
            "reason": self.reason,
            "summary": self.summary,
            "recommended": self.recommended,
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class Lesion:
    joint: str | None
    side: str | None
    maturity: Maturity
    surgical_referral: Referral
    criteria: tuple[tuple[str, bool | None], ...]
    basis: Basis
    classic_rule: str = ""
    newer_evidence: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "joint": self.joint,
            "side": self.side,
            "maturity": self.maturity,
            "surgical_referral": self.surgical_referral,
            "criteria": dict(self.criteria),
            "classic_rule": self.classic_rule,
            "newer_evidence": [dict(e) for e in self.newer_evidence],
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class EducationItem:
    id: str
    stage: str
    level: str
    title: str
    basis: Basis

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage,
            "level": self.level,
            "title": self.title,
            "basis": self.basis.to_json(),
        }


@dataclass(frozen=True, slots=True)
class MissingInput:
    id: str
    why_it_matters: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "why_it_matters": self.why_it_matters}


@dataclass(frozen=True, slots=True)
class Assessment:
    patient: str
    as_of: date
    knowledge_release: str
    knowledge_digest: str
    index_events: tuple[IndexEvent, ...]
    risk: Risk
    surveillance: Surveillance
    suspicion: Suspicion
    recommendations: tuple[Recommendation, ...]
    cautions: tuple[Caution, ...]
    lesions: tuple[Lesion, ...]
    education: tuple[EducationItem, ...]
    missing_inputs: tuple[MissingInput, ...]
    import_warnings: tuple[str, ...] = field(default=())
    unknown_codes: int = 0
    patient_status: PatientStatus = "active"

    def recommendation_ids(self) -> list[str]:
        return [r.id for r in self.recommendations]

    def to_json(self) -> dict[str, Any]:
        return {
            "patient": self.patient,
            "patient_status": self.patient_status,
            "as_of": self.as_of.isoformat(),
            "knowledge": {"release": self.knowledge_release, "digest": self.knowledge_digest},
            "index_events": [e.to_json() for e in self.index_events],
            "risk": self.risk.to_json(),
            "surveillance": self.surveillance.to_json(),
            "suspicion": self.suspicion.to_json(),
            "recommendations": [r.to_json() for r in self.recommendations],
            "cautions": [c.to_json() for c in self.cautions],
            "lesions": [lesion.to_json() for lesion in self.lesions],
            "education": [e.to_json() for e in self.education],
            "missing_inputs": [m.to_json() for m in self.missing_inputs],
            "import": {"warnings": list(self.import_warnings), "unknown_codes": self.unknown_codes},
        }


def rules_fired(value: object) -> set[str]:
    """Every `basis.rule` anywhere inside an assessment (or any part of one)."""
    found: set[str] = set()
    if isinstance(value, Basis):
        found.add(value.rule)
        return found
    if isinstance(value, tuple | list):
        for item in value:
            found |= rules_fired(item)
        return found
    slots = getattr(type(value), "__slots__", ())
    for name in slots:
        found |= rules_fired(getattr(value, name))
    return found
