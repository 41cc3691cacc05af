"""Step 8: patient and family education for the patient's current stage, at two reading levels."""

from __future__ import annotations

from hosentinel.core.assessment import Basis, EducationItem, Lesion, Surveillance, Suspicion
from hosentinel.core.clauses import Context, fact_input, present

RULE = "education-stage"


def stage_of(
    ctx: Context,
    surveillance: Surveillance,
    suspicion: Suspicion,
    lesions: tuple[Lesion, ...],
    risk_level: str,
) -> tuple[str | None, str]:
    """The stage (or None) and why, from the furthest point the patient has reached."""
    if present(ctx, "ho-excision"):
        return "after-surgery", "HO has been excised"
    if any(lesion.surgical_referral == "now" for lesion in lesions):
        return (
            "before-surgery",
            "a lesion is mature and limits function: surgery is being considered",
        )
    if lesions and all(lesion.maturity in ("mature", "maturing") for lesion in lesions):
        return "maturing", "the HO is settling"
    if lesions:
        return "active", "HO is confirmed and may still be growing"
    if suspicion.level in ("possible", "probable"):
        return "suspected", f"HO is {suspicion.level}"
    # The at-risk material tells the family the team thinks the chance of HO is higher: only
    # for a raised risk, and only while HO can still form.
    if surveillance.phase in ("before-window", "in-window") and risk_level != "low":
        return "at-risk", f"{risk_level} risk, in or before the window in which HO forms"
    return None, "no stage"


def education_for(
    ctx: Context,
    surveillance: Surveillance,
    suspicion: Suspicion,
    lesions: tuple[Lesion, ...],
    risk_level: str,
) -> tuple[EducationItem, ...]:
    stage, why = stage_of(ctx, surveillance, suspicion, lesions, risk_level)
    if stage is None:
        return ()
    inputs = (
        tuple(fact_input(f) for f in present(ctx, "ho-excision"))
        if stage == "after-surgery"
        else ()
    )
    modules = [m for m in ctx.knowledge.education if m.stage == stage]
    entry = f"education.{stage}"
    citations = (
        tuple(c.id for c in ctx.knowledge.entries[entry].citations)
        if entry in ctx.knowledge.entries
        else ()
    )
    return tuple(
        EducationItem(
            id=m.id,
            stage=m.stage,
            level=m.level,
            title=m.title,
            basis=Basis(rule=RULE, entries=(entry,), citations=citations, inputs=inputs, note=why),
        )
        for m in sorted(modules, key=lambda m: m.level)
    )
