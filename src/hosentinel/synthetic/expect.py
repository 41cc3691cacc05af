"""What a correct engine should conclude about a synthetic case, in the contract's vocabulary.

The vocabulary is the core's own (`core.assessment` Literals), so an expectation cannot use a
word the engine does not; populations and stages are the demo catalog's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from hosentinel.core.assessment import (
    CautionLevel,
    Maturity,
    Phase,
    Referral,
    RiskLevel,
    SuspicionLevel,
)
from hosentinel.core.record import Joint, Side
from hosentinel.knowledge.schema import CAUTION_REASONS, RECOMMENDATION_IDS
from hosentinel.synthetic.builders import Resource

PHASES: tuple[str, ...] = get_args(Phase)
RISK_LEVELS: tuple[str, ...] = get_args(RiskLevel)
SUSPICION_LEVELS: tuple[str, ...] = get_args(SuspicionLevel)
CAUTION_LEVELS: tuple[str, ...] = get_args(CautionLevel)
MATURITY: tuple[str, ...] = get_args(Maturity)
REFERRAL: tuple[str, ...] = get_args(Referral)
# The demo catalog's own words for who a case is about and where in the story it stands.
POPULATIONS = ("sci", "tbi", "stroke", "burn", "fracture", "arthroplasty", "blast", "general")
STAGES = (
    "at-risk",
    "suspected",
    "active",
    "maturing",
    "before-surgery",
    "after-surgery",
    "before-window",
    "not-applicable",
)


def caution(about: str, reason: str, level: str) -> dict[str, str]:
    return {"about": about, "reason": reason, "level": level}


def lesion(joint: Joint, side: Side, maturity: str, referral: str) -> dict[str, str]:
    return {"joint": joint, "side": side, "maturity": maturity, "surgical_referral": referral}


def expect(
    phase: str,
    *,
    risk: str | None = None,
    suspicion: str | None = None,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    cautions: Sequence[dict[str, str]] = (),
    lesions: Sequence[dict[str, str]] = (),
) -> Resource:
    out: Resource = {"phase": phase}
    if risk is not None:
        out["risk_level"] = risk
    if suspicion is not None:
        out["suspicion"] = suspicion
    out["recommendations_include"] = list(include)
    out["recommendations_exclude"] = list(exclude)
    if cautions:
        out["cautions_include"] = list(cautions)
    if lesions:
        out["lesions"] = list(lesions)
    return out


def check_expectation(name: str, expected: Resource) -> None:
    """Reject an expectation that uses a word outside the contract's vocabulary."""

    def bad(what: str, value: object) -> ValueError:
        return ValueError(f"{name}: {what} {value!r} is not in the contract vocabulary")

    if expected["phase"] not in PHASES:
        raise bad("phase", expected["phase"])
    if expected.get("risk_level", "low") not in RISK_LEVELS:
        raise bad("risk level", expected["risk_level"])
    if expected.get("suspicion", "none") not in SUSPICION_LEVELS:
        raise bad("suspicion", expected["suspicion"])
    listed = expected["recommendations_include"] + expected["recommendations_exclude"]
    for rec in listed:
        if rec not in RECOMMENDATION_IDS:
            raise bad("recommendation", rec)
    overlap = set(expected["recommendations_include"]) & set(expected["recommendations_exclude"])
    if overlap:
        raise ValueError(f"{name}: both included and excluded: {sorted(overlap)}")
    for item in expected.get("cautions_include", []):
        if item["about"] not in RECOMMENDATION_IDS:
            raise bad("caution about", item["about"])
        if item["reason"] not in CAUTION_REASONS:
            raise bad("caution reason", item["reason"])
        if item["level"] not in CAUTION_LEVELS:
            raise bad("caution level", item["level"])
    for item in expected.get("lesions", []):
        if item["maturity"] not in MATURITY or item["surgical_referral"] not in REFERRAL:
            raise bad("lesion", item)
