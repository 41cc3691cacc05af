"""Step 7: maturity of each confirmed lesion and whether to refer to a surgeon.

Maturity uses three criteria (knowledge entry `maturity`): serial radiographs stable (or read as
mature), ALP back within the lab's own reference range, and bone-scan activity quiescent. A lesion
is `active` while it grows or its scan activity increases, `mature` when all three criteria are
met, `unknown` with no imaging follow-up at all, and `maturing` otherwise. A lesion first recorded
more than `lesion_age_settling_days` ago (local setting) with no sign of activity is `maturing`
rather than `unknown`: its age counts, though it never makes a lesion mature on its own. An ALP
older than `lab_current_days` does not count. Referral is `now` only
when function is limited and the bone is mature, `when-mature` when function is limited and it is
not; the newer evidence on earlier excision is shown beside the classic rule.
"""

from __future__ import annotations

from hosentinel.core.assessment import Basis, Input, Lesion, Maturity, Referral, SiteSuspicion
from hosentinel.core.clauses import Context, current_labs, fact_input, obs_input
from hosentinel.core.record import Observation

RULE = "lesion-maturity"
_HIGH_FLAGS = frozenset({"H", "HH", "HU", ">", "A", "AA"})
_NORMAL_FLAGS = frozenset({"N"})


def _latest_at(ctx: Context, code: str, joint: str | None, side: str | None) -> Observation | None:
    """Latest finding at the site; an entry without a side or joint counts for any site."""
    found: Observation | None = None
    for obs in ctx.facts.finding(code):
        if obs.site.joint not in (None, joint) or obs.site.side not in (None, side):
            continue
        found = obs
    return found


def _alp_normal(ctx: Context) -> tuple[bool | None, Input | None]:
    labs = current_labs(ctx, "alp")
    if not labs:
        return None, None
    fact = labs[-1]
    obs = fact.observation
    assert obs is not None
    flag = (obs.interpretation or "").upper()
    if flag in _NORMAL_FLAGS:
        return True, fact_input(fact, "latest ALP")
    if flag in _HIGH_FLAGS:
        return False, fact_input(fact, "latest ALP")
    if obs.value_quantity is not None and obs.reference_high is not None:
        return obs.value_quantity <= obs.reference_high, fact_input(fact, "latest ALP")
    return None, fact_input(fact, "latest ALP (no flag or reference range)")


def assess_lesion(ctx: Context, site: SiteSuspicion) -> tuple[Lesion, list[str]]:
    """The lesion at a confirmed site, and the ids of missing inputs that would change it."""
    joint, side = site.joint, site.side
    maturity_spec = ctx.knowledge.maturity
    inputs: list[Input] = list(site.basis.inputs)
    missing: list[str] = []

    growth = _latest_at(ctx, "ho-growth", joint, side)
    radiographic = _latest_at(ctx, "ho-radiographic-maturity", joint, side)
    activity = _latest_at(ctx, "ho-activity", joint, side)
    function = _latest_at(ctx, "function-limited", joint, side)
    for obs, code in (
        (growth, "ho-growth"),
        (radiographic, "ho-radiographic-maturity"),
        (activity, "ho-activity"),
        (function, "function-limited"),
    ):
        if obs is not None:
            inputs.append(obs_input(obs, code))

    growing = growth is not None and growth.value_code == "growing"
    stable: bool | None = None
    if growth is not None or radiographic is not None:
        stable = (growth is None or growth.value_code == "stable") and (
            radiographic is None or radiographic.value_code == "mature"
        )
    settled: bool | None = None if activity is None else activity.value_code == "quiescent"
    increasing = activity is not None and activity.value_code == "increasing"
    alp_normal, alp_input = _alp_normal(ctx)
    if alp_input is not None:
        inputs.append(alp_input)

    age_days, age_input = _lesion_age(ctx, site)
    settling_days = int(ctx.knowledge.setting("lesion_age_settling_days"))
    old_enough = age_days is not None and age_days > settling_days
    settings: tuple[str, ...] = ("lab_current_days",)
    maturity: Maturity
    if growing or increasing:
        maturity = "active"
    elif stable and alp_normal and settled:
        maturity = "mature"
    elif stable is None and settled is None and not old_enough:
        maturity = "unknown"
    else:
        maturity = "maturing"
    if old_enough and age_input is not None:
        inputs.append(age_input)
        settings += ("lesion_age_settling_days",)
    if stable is None:
        missing.append("serial-radiographs")
    if alp_normal is None:
        missing.append("serum-alp")
    if settled is None:
        missing.append("bone-scan-activity")

    referral: Referral = "not-indicated"
    if function is None:
        missing.append("function-status")
    elif function.value_bool:
        referral = "now" if maturity == "mature" else "when-mature"

    citations = [c.id for crit in maturity_spec.criteria for c in crit.citations]
    citations += [c.id for c in maturity_spec.referral_indications]
    citations += [e.citation for e in maturity_spec.newer_evidence]
    lesion = Lesion(
        joint=joint,
        side=side,
        maturity=maturity,
        surgical_referral=referral,
        criteria=(
            ("radiographs-stable", stable),
            ("alp-normal", alp_normal),
            ("bone-scan-settled", settled),
        ),
        classic_rule=maturity_spec.classic_rule,
        newer_evidence=tuple(
            {"stance": e.stance, "text": e.text, "citation": e.citation}
            for e in maturity_spec.newer_evidence
        ),
        basis=Basis(
            rule=RULE,
            entries=(maturity_spec.id,),
            citations=tuple(dict.fromkeys(citations)),
            inputs=tuple(inputs),
            settings=settings,
        ),
    )
    return lesion, missing


def _lesion_age(ctx: Context, site: SiteSuspicion) -> tuple[int | None, Input | None]:
    """Days since the lesion was first recorded (its earliest confirming entry)."""
    dated = [
        (i.date, i)
        for f in site.findings
        if f.id in ("coded-ho", "bone-scan-ho", "radiograph-ho")
        for i in f.basis.inputs
        if i.date is not None
    ]
    if not dated:
        return None, None
    first_day, first = min(dated, key=lambda d: d[0])
    days = (ctx.as_of - first_day).days
    return days, Input(ref=first.ref, what=f"lesion first recorded {days} days ago", date=first_day)
