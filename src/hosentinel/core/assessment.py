"""The assessment the engine returns: plain immutable values, each clinical item with its basis.

Its JSON (the contract of DESIGN.md, `hosentinel assess --format json`) is built from these values
by `hosentinel.core.output`, only when it is serialised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from hosentinel.core.record import Joint, Side
from hosentinel.knowledge.schema.vocabulary import IndexKind, ReadingLevel, Stage

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


@dataclass(frozen=True, slots=True)
class IndexEvent:
    kind: IndexKind
    date: date
    days_since: int
    joints: tuple[Joint, ...]
    side: Side | None
    basis: Basis
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RiskFactorHit:
    id: str
    title: str
    strong: bool
    effects: tuple[str, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class ModelResult:
    id: str
    title: str
    status: Literal["computed", "not-computable"]
    value: float | None
    reason: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class Risk:
    level: RiskLevel
    factors: tuple[RiskFactorHit, ...]
    models: tuple[ModelResult, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class DueJoint:
    joint: Joint
    side: Side
    due: date
    overdue: bool
    last_examined: date | None
    basis: Basis


@dataclass(frozen=True, slots=True)
class Surveillance:
    phase: Phase
    window_start: date | None
    window_end: date | None
    due: tuple[DueJoint, ...]
    basis: Basis


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason a site is suspected (a sign, a ROM loss, fever, a coded diagnosis, a scan)."""

    id: str
    summary: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class DvtAnswered:
    """A swollen leg whose DVT question is already answered (so no `rule-out-dvt` is asked for):
    which record answered it is in the basis."""

    answer: Literal["found", "excluded"]
    summary: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class SiteSuspicion:
    joint: Joint | None
    side: Side | None
    level: SuspicionLevel
    findings: tuple[Finding, ...]
    basis: Basis
    # Set only on a swollen lower limb whose DVT question a record has answered.
    dvt: DvtAnswered | None = None


@dataclass(frozen=True, slots=True)
class Suspicion:
    level: SuspicionLevel
    sites: tuple[SiteSuspicion, ...]


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


@dataclass(frozen=True, slots=True)
class Caution:
    about: str
    level: CautionLevel
    reason: str
    summary: str
    recommended: bool
    basis: Basis


@dataclass(frozen=True, slots=True)
class Lesion:
    joint: Joint | None
    side: Side | None
    maturity: Maturity
    surgical_referral: Referral
    criteria: tuple[tuple[str, bool | None], ...]
    basis: Basis
    classic_rule: str = ""
    newer_evidence: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class EducationItem:
    id: str
    stage: Stage
    level: ReadingLevel
    title: str
    basis: Basis


@dataclass(frozen=True, slots=True)
class MissingInput:
    id: str
    why_it_matters: str


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
