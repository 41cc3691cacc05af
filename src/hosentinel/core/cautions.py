"""Drug cautions: every option's cautions that hold for this patient, recommended or not,
because a clinician may order an option anyway. A `contraindicated` caution keeps its option out
of the recommendations (`drug_options`); every recommended option carries the reasons that hold
for it (`attach`), so they are shown with the drug, not in a table further down.
"""

from __future__ import annotations

from dataclasses import replace

from hosentinel.core.assessment import Basis, Caution, Recommendation
from hosentinel.core.clauses import Context, evaluate_when
from hosentinel.knowledge import schema as s


def evaluate_caution(
    ctx: Context, drug: s.DrugOption, rule: s.DrugCaution
) -> tuple[Caution | None, tuple[str, ...]]:
    outcome = evaluate_when(rule.when, ctx)
    if not outcome.holds:
        return None, outcome.missing
    return (
        Caution(
            about=drug.recommendation,
            level=rule.level,
            reason=rule.reason,
            summary=rule.summary,
            recommended=False,
            basis=Basis(
                rule=f"caution:{rule.id}",
                entries=("drugs",),
                citations=tuple(c.id for c in rule.citations),
                inputs=outcome.inputs,
                settings=outcome.settings,
            ),
        ),
        outcome.missing,
    )


def assess_cautions(ctx: Context) -> tuple[tuple[Caution, ...], list[str]]:
    """The cautions that hold, contraindications first, and the inputs some rule missed."""
    found: dict[tuple[str, str], Caution] = {}
    missing: list[str] = []
    for drug in ctx.knowledge.drugs:
        for rule in drug.cautions:
            caution, rule_missing = evaluate_caution(ctx, drug, rule)
            missing.extend(rule_missing)
            if caution is None:
                continue
            key = (caution.about, caution.reason)
            if key not in found or (
                found[key].level == "caution" and caution.level == "contraindicated"
            ):
                found[key] = caution
    ordered = sorted(
        found.values(), key=lambda c: (c.level != "contraindicated", c.about, c.reason)
    )
    return tuple(ordered), missing


def contraindicated(cautions: tuple[Caution, ...]) -> frozenset[str]:
    return frozenset(c.about for c in cautions if c.level == "contraindicated")


def attach(
    recommendations: tuple[Recommendation, ...], cautions: tuple[Caution, ...]
) -> tuple[tuple[Recommendation, ...], tuple[Caution, ...]]:
    """Each drug recommendation with its caution reasons; each caution marked when its option
    is among the recommendations."""
    recommended = {r.id for r in recommendations}
    with_cautions = tuple(
        replace(r, cautions=tuple(c.reason for c in cautions if c.about == r.id))
        if r.is_drug
        else r
        for r in recommendations
    )
    marked = tuple(replace(c, recommended=c.about in recommended) for c in cautions)
    return with_cautions, marked
