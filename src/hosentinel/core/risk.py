"""Step 2: risk level from cited risk factors, never from invented weights.

The level counts distinct cited factors: none is `low`, one is `moderate`, and `high` needs either
`risk_high_min_factors` factors, one factor whose published effect is strong (the lower
confidence bound of its OR/RR/PR at least `risk_strong_effect`, or an HO incidence among patients
with the factor of at least `risk_strong_incidence`), or one factor that the cited source itself
uses to define high risk for the patient's population (the hip arthroplasty trials' criteria).
These numbers are named local settings. A point estimate without a confidence interval is never
strong: its lower bound is unknown (the setting's own definition).
Protective factors are never counted, so adding a factor can only raise the level.
Published scores whose item weights are unconfirmed are listed as `not-computable`.
"""

from __future__ import annotations

from functools import cache

from hosentinel.core.assessment import Basis, ModelResult, Risk, RiskFactorHit, RiskLevel
from hosentinel.core.clauses import Context, Outcome, evaluate_when
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

LEVEL_RULE = "risk-level"
FACTOR_RULE = "risk-factor"
MODEL_RULE = "risk-model"


def applies(factor: s.RiskFactor, populations: set[str]) -> bool:
    return "general" in factor.populations or bool(populations.intersection(factor.populations))


def evaluate_factor(factor: s.RiskFactor, ctx: Context, populations: set[str]) -> Outcome:
    """Does this factor fire for the patient (population first, then its condition)?"""
    if not applies(factor, populations):
        return Outcome(False)
    return evaluate_when(factor.when, ctx)


@cache
def _ordered_factors(knowledge: Knowledge) -> tuple[tuple[s.RiskFactor, str], ...]:
    """Factors with the key of their condition, population-specific ones first, so a general
    factor with the same condition (e.g. pressure ulcer) is not counted twice."""
    ordered = sorted(knowledge.risk_factors, key=lambda f: "general" in f.populations)
    return tuple((f, f.when.model_dump_json()) for f in ordered)


def strong_effect(factor: s.RiskFactor, ratio_threshold: float, incidence_threshold: float) -> bool:
    """A relative effect whose lower bound reaches the ratio threshold, or an absolute incidence
    among patients with the factor that reaches the incidence threshold."""
    for effect in factor.effects:
        if effect.measure == "incidence":
            if effect.value >= incidence_threshold:
                return True
            continue
        if effect.ci is not None and effect.ci[0] >= ratio_threshold:
            return True
    return False


def defines_high_risk(factor: s.RiskFactor, populations: set[str]) -> bool:
    criterion = factor.defines_high_risk
    return criterion is not None and bool(populations.intersection(criterion.populations))


def _describe(effect: s.Effect) -> str:
    ci = f" ({effect.ci[0]}-{effect.ci[1]})" if effect.ci else ""
    return f"{effect.measure} {effect.value}{ci} for {effect.outcome} [{effect.citation}]"


def assess_risk(ctx: Context, populations: set[str]) -> tuple[Risk, tuple[str, ...]]:
    """The risk and the ids of inputs that were missing for some factor (e.g. sex)."""
    knowledge = ctx.knowledge
    threshold = knowledge.setting("risk_strong_effect")
    incidence_threshold = knowledge.setting("risk_strong_incidence")
    hits: list[RiskFactorHit] = []
    seen_conditions: set[str] = set()
    missing: list[str] = []
    for factor, condition_key in _ordered_factors(knowledge):
        if not applies(factor, populations):
            continue
        outcome = evaluate_when(factor.when, ctx)
        missing.extend(outcome.missing)
        if not outcome.holds:
            continue
        if condition_key in seen_conditions:
            continue
        seen_conditions.add(condition_key)
        strong = strong_effect(factor, threshold, incidence_threshold)
        criterion = factor.defines_high_risk if defines_high_risk(factor, populations) else None
        citations = [c.id for c in factor.citations]
        if criterion is not None:
            strong = True
            citations.append(criterion.citation.id)
        hits.append(
            RiskFactorHit(
                id=factor.id,
                title=factor.title,
                strong=strong,
                effects=tuple(_describe(e) for e in factor.effects),
                basis=Basis(
                    rule=f"{FACTOR_RULE}:{factor.id}",
                    entries=(knowledge.risk_factor_entry[factor.id],),
                    citations=tuple(dict.fromkeys(citations)),
                    inputs=outcome.inputs,
                    settings=outcome.settings,
                    note=f"Defines high risk: {criterion.citation.supports}" if criterion else None,
                ),
            )
        )
    min_factors = int(knowledge.setting("risk_high_min_factors"))
    level: RiskLevel = "low"
    if hits:
        level = "high" if len(hits) >= min_factors or any(h.strong for h in hits) else "moderate"
    level_basis = Basis(
        rule=LEVEL_RULE,
        entries=tuple(dict.fromkeys(knowledge.risk_factor_entry[h.id] for h in hits)),
        citations=tuple(dict.fromkeys(c for h in hits for c in h.basis.citations)),
        inputs=tuple(i for h in hits for i in h.basis.inputs),
        settings=("risk_high_min_factors", "risk_strong_effect", "risk_strong_incidence"),
        note=f"{len(hits)} cited factor(s); high at {min_factors} or one strong factor.",
    )
    models = tuple(
        ModelResult(
            id=model.id,
            title=model.title,
            status="not-computable" if model.status == "not-computable" else "computed",
            value=None,
            reason=model.reason,
            basis=Basis(
                rule=MODEL_RULE,
                entries=("risk-models",),
                citations=tuple(c.id for c in model.citations),
                note=model.performance,
            ),
        )
        for model in knowledge.risk_models
        if populations.intersection(model.populations)
    )
    return Risk(level, tuple(hits), models, level_basis), tuple(dict.fromkeys(missing))
