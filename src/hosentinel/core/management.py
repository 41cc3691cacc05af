"""Step 6 (without drugs) and step 7: surveillance examinations, therapy, surgery.

Serial examination stands through the window; therapy keeps a probable or confirmed joint moving
(after the DVT work-up when the leg is swollen); pain and spasticity are managed; a lesion that
limits function is referred, now when mature, otherwise once it matures; after excision the
joint is examined for recurrence and kept moving.
"""

from __future__ import annotations

from hosentinel.core.assessment import Input
from hosentinel.core.clauses import fact_input, present
from hosentinel.core.plan import Planner
from hosentinel.core.site_words import site_label


def _plan_surveillance(planner: Planner) -> None:
    # `soon` when a joint is overdue; the note gives the next due date.
    sv = planner.surveillance
    if sv.phase != "in-window" or not sv.due:
        return
    overdue = [d for d in sv.due if d.overdue]
    next_due = min(d.due for d in sv.due)
    inputs = tuple(i for d in sv.due for i in d.basis.inputs)
    planner.add(
        "serial-joint-exam",
        "soon" if overdue else "routine",
        "joints-due",
        inputs,
        sites=tuple(site_label(d.joint, d.side) for d in (overdue or sv.due)),
        settings=("exam_interval_days",),
        entries=("index-events",),
        note=f"{len(overdue)} joint(s) overdue" if overdue else f"Next due {next_due.isoformat()}.",
    )


def _plan_therapy(planner: Planner) -> None:
    sites = planner.suspicion.suspicion.sites
    active_sites = [s for s in sites if s.level in ("probable", "confirmed")]
    for site in active_sites:
        planner.add(
            "rom-therapy",
            "routine",
            "suspected-or-confirmed",
            site.basis.inputs,
            sites=(site_label(site.joint, site.side),),
        )
    planner.wait_for_dvt("rom-therapy", {(s.joint, s.side) for s in active_sites})
    for site in sites:
        if site.level == "none":
            continue
        pain = [f for f in site.findings if f.id == "pain"]
        if pain:
            planner.add(
                "pain-management",
                "routine",
                "joint-pain",
                pain[0].basis.inputs,
                sites=(site_label(site.joint, site.side),),
            )
    spastic = present(planner.ctx, "spasticity")
    if spastic and (planner.surveillance.phase == "in-window" or active_sites):
        inputs = tuple(
            fact_input(f)
            if f.observation and f.observation.evidence
            else Input(ref=f.ref, what=f.label, date=f.start)
            for f in spastic
        )
        planner.add("spasticity-management", "routine", "spasticity", inputs)


def _plan_surgery(planner: Planner) -> None:
    for lesion in planner.lesions:
        label = site_label(lesion.joint, lesion.side)
        if lesion.surgical_referral == "now":
            planner.add(
                "surgical-referral",
                "soon",
                "function-limited-mature",
                lesion.basis.inputs,
                sites=(label,),
                entries=("maturity",),
            )
            planner.add(
                "ct-for-surgical-planning",
                "routine",
                "referral-now",
                lesion.basis.inputs,
                sites=(label,),
                entries=("maturity",),
            )
        elif lesion.surgical_referral == "when-mature":
            planner.add(
                "surgical-referral",
                "routine",
                "function-limited-not-mature",
                lesion.basis.inputs,
                sites=(label,),
                entries=("maturity",),
                note="Refer to plan surgery once the bone is mature; newer evidence on "
                "earlier excision is shown with the lesion.",
            )


def _plan_after_excision(planner: Planner) -> None:
    """After HO excision: watch the joint for recurrence and keep it moving."""
    ctx = planner.ctx
    follow_up = int(ctx.knowledge.setting("post_excision_followup_days"))
    for fact in present(ctx, "ho-excision"):
        if fact.start is None or (ctx.as_of - fact.start).days > follow_up:
            continue
        label = site_label(fact.site.joint, fact.site.side)
        inputs = (fact_input(fact),)
        settings = ("post_excision_followup_days",)
        for rec_id in ("serial-joint-exam", "rom-therapy"):
            planner.add(
                rec_id, "routine", "after-excision", inputs, sites=(label,), settings=settings
            )


def plan_management(planner: Planner) -> None:
    _plan_surveillance(planner)
    _plan_therapy(planner)
    _plan_surgery(planner)
    _plan_after_excision(planner)
