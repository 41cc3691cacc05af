"""Step 6: the drug and radiation options, as one decision per option.

An option is recommended only when
- the patient is at a stage its cited evidence covers (`DrugOption.uses`): prophylaxis after
  high-risk hip surgery, early HO (bone scan positive, radiograph not yet showing it), active HO,
  or after excision; and for the patient's population (etidronate after SCI or brain injury,
  alendronate after SCI only, no radiation after excision of neurogenic HO);
- it is within the use's time limit, when the use has one (radiation by post-operative day 4);
- no contraindication holds for this patient (the caution stays listed, the option goes);
- it is the first applicable bisphosphonate (at most one is offered).
Suspected HO alone gets no drug: the bone scan comes first. The rationale shown is the use's,
naming the evidence it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass

from hosentinel.core.assessment import Input, SiteSuspicion
from hosentinel.core.clauses import fact_input, present
from hosentinel.core.plan import Planner
from hosentinel.core.site_words import site_label
from hosentinel.core.suspicion import SiteKey
from hosentinel.core.workup import scans_at
from hosentinel.knowledge import schema as s

HIP_SURGERY_CONCEPTS = ("arthroplasty-hip", "fracture-acetabulum")


@dataclass(frozen=True, slots=True)
class Need:
    """A point on the pathway where a drug option may help: the stage, where, since when."""

    stage: str
    sites: tuple[str, ...]
    site_keys: frozenset[SiteKey]
    inputs: tuple[Input, ...]
    populations: frozenset[str]
    days_since: int | None = None


def _lesion_stage(planner: Planner, site: SiteSuspicion) -> str | None:
    lesion = next(
        (x for x in planner.lesions if (x.joint, x.side) == (site.joint, site.side)), None
    )
    if lesion is None or lesion.maturity in ("mature", "maturing"):
        return None
    key = (site.joint, site.side)
    scan_positive = any(f.id == "bone-scan-ho" for f in site.findings)
    radiograph_shows = any(a == "present" for _, a, _ in scans_at(planner, key, "radiograph-ho"))
    if scan_positive and not radiograph_shows:
        return "early-ho"
    if lesion.maturity == "active" or planner.surveillance.phase == "in-window":
        return "active-ho"
    return None


def needs(planner: Planner) -> list[Need]:
    populations = frozenset(planner.populations)
    found: list[Need] = []
    for site in planner.suspicion.suspicion.sites:
        if site.level != "confirmed":
            continue
        stage = _lesion_stage(planner, site)
        if stage is not None:
            found.append(
                Need(
                    stage,
                    (site_label(site.joint, site.side),),
                    frozenset({(site.joint, site.side)}),
                    site.basis.inputs,
                    populations,
                )
            )
    if planner.risk.level == "high":
        for event in planner.events:
            if not set(HIP_SURGERY_CONCEPTS).intersection(event.concepts):
                continue
            found.append(
                Need(
                    "prophylaxis-hip-surgery",
                    (site_label("hip", event.side),),
                    frozenset({("hip", event.side)}),
                    (*event.basis.inputs, *planner.risk.basis.inputs),
                    frozenset({event.kind}),
                    event.days_since,
                )
            )
    ctx = planner.ctx
    follow_up = int(ctx.knowledge.setting("post_excision_followup_days"))
    for fact in present(ctx, "ho-excision"):
        if fact.start is None or (ctx.as_of - fact.start).days > follow_up:
            continue
        found.append(
            Need(
                "post-excision",
                (site_label(fact.site.joint, fact.site.side),),
                frozenset({(fact.site.joint, fact.site.side)}),
                (fact_input(fact),),
                populations,
                (ctx.as_of - fact.start).days,
            )
        )
    return found


def _applies(planner: Planner, use: s.DrugUse, need: Need) -> bool:
    if use.stage != need.stage:
        return False
    if "general" not in use.populations and not need.populations.intersection(use.populations):
        return False
    if need.populations.intersection(use.not_populations):
        return False
    if use.within_days_setting is not None:
        limit = planner.ctx.knowledge.setting(use.within_days_setting)
        if need.days_since is None or need.days_since > limit:
            return False
    return True


def plan_drugs(planner: Planner, contraindicated: frozenset[str]) -> None:
    found = needs(planner)
    bisphosphonate_chosen = False
    for option in planner.ctx.knowledge.drugs:
        if option.recommendation in contraindicated:
            continue
        if option.bisphosphonate and bisphosphonate_chosen:
            continue
        chosen = False
        for need in found:
            use = next((u for u in option.uses if _applies(planner, u, need)), None)
            if use is None:
                continue
            planner.add(
                option.recommendation,
                use.priority,
                f"drug-{use.stage}",
                need.inputs,
                sites=need.sites,
                settings=(use.within_days_setting,) if use.within_days_setting else (),
                extra_citations=tuple(c.id for c in use.citations),
                entries=("drugs",),
                summary=use.summary,
                rationale=use.rationale,
            )
            chosen = True
        if chosen:
            bisphosphonate_chosen = bisphosphonate_chosen or option.bisphosphonate
            planner.wait_for_dvt(option.recommendation)
