"""Step 5: the work-up, aware of the calendar.

A swollen leg means DVT is ruled out first, and only a coded, confirmed, active DVT on the same
side or a `dvt` finding (duplex result) settles that question: free text never does ("DVT
prophylaxis" on an enoxaparin order is not a DVT). Fever, warmth or redness means infection is
considered. The bone scan confirms early and is repeated when a negative scan is followed by
persisting signs. A radiograph is offered as a test for HO only once it can show it (the `tests`
entry's `informative_from_days`, counted from the start of the current episode); before then only
to rule out a fracture. ALP, CRP and CK are supportive.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from hosentinel.core.assessment import Basis, DvtAnswered, Input, SiteSuspicion
from hosentinel.core.clauses import fact_input, obs_input, present
from hosentinel.core.plan import Planner
from hosentinel.core.record import Observation
from hosentinel.core.site_words import site_label
from hosentinel.core.sites import sides_named
from hosentinel.core.suspicion import SiteKey

LOWER_LIMB_JOINTS = ("hip", "knee")
SWELLING_FINDINGS = ("swelling", "leg-swelling")
DvtAnswer = Literal["found", "excluded", "open"]


def _swelling_start(site: SiteSuspicion) -> date | None:
    days = [
        i.date
        for f in site.findings
        if f.id in SWELLING_FINDINGS
        for i in f.basis.inputs
        if i.date is not None
    ]
    return min(days) if days else None


def _dvt_sides(code: str | None, system: str | None, side: str | None) -> frozenset[str]:
    if code and system == "icd10cm":
        named = sides_named(code)
        if named:
            return frozenset(named)
    return frozenset((side,)) if side else frozenset()


def dvt_answer(planner: Planner, site: SiteSuspicion) -> tuple[DvtAnswer, tuple[Input, ...]]:
    """Is the DVT question settled for this swollen site? A coded, confirmed, active DVT on the
    same side, or a duplex (`dvt` finding) on the same side: found, or excluded on or after the
    day the swelling was recorded."""
    ctx = planner.ctx
    wanted = frozenset((site.side,)) if site.side else frozenset(("left", "right"))
    for fact in present(ctx, "dvt", must_be_active=True):
        coded = fact.kind == "condition" and fact.code is not None
        if not coded or fact.unconfirmed:
            continue
        if wanted <= _dvt_sides(fact.code, fact.system, fact.site.side):
            return "found", (fact_input(fact, "DVT on the problem list"),)
    latest: dict[str, Observation] = {}
    for obs in ctx.facts.finding("dvt"):
        if obs.value_bool is None or obs.site.side is None:
            continue
        if obs.evidence is not None and not obs.value_bool:
            # "DVT excluded" read from a note's text never cancels the urgent work-up: free text
            # never settles it (DESIGN.md). A DVT found in a report does settle it.
            continue
        latest[obs.site.side] = obs  # oldest first: the last one wins
    duplexes = [latest[side] for side in sorted(wanted) if side in latest]
    if len(duplexes) == len(wanted):
        inputs = tuple(obs_input(o, "duplex ultrasound for DVT") for o in duplexes)
        if any(o.value_bool for o in duplexes):
            return "found", inputs
        swelling_start = _swelling_start(site)
        if all(
            o.effective is not None and (swelling_start is None or o.effective >= swelling_start)
            for o in duplexes
        ):
            return "excluded", inputs
    return "open", ()


def _answered(
    planner: Planner,
    site: SiteSuspicion,
    answer: Literal["found", "excluded"],
    swelling: tuple[Input, ...],
    answered_by: tuple[Input, ...],
) -> DvtAnswered:
    """What the page shows instead of `rule-out-dvt`: the answer and the record that gave it."""
    dates = sorted({i.date for i in answered_by if i.date is not None})
    when = f" ({', '.join(d.isoformat() for d in dates)})" if dates else ""
    if answer == "found":
        leg = f"the {site.side} leg" if site.side else "the leg"
        summary = (
            f"DVT found in {leg}{when}: the DVT question for this swelling is answered. DVT and "
            "HO often occur together: it does not rule HO out."
        )
    else:
        summary = (
            f"DVT excluded by duplex ultrasound{when}, on or after the swelling: the DVT "
            "question for this swelling is answered."
        )
    basis = Basis(
        rule="dvt-answered",
        entries=("recommendations", "diagnostic-tests"),
        citations=planner.citations_of("rule-out-dvt"),
        inputs=tuple(dict.fromkeys((*swelling, *answered_by))),
    )
    return DvtAnswered(answer, summary, basis)


def _plan_dvt(planner: Planner, sites: list[SiteSuspicion]) -> None:
    for site in sites:
        swollen = [f for f in site.findings if f.id in SWELLING_FINDINGS]
        lower = site.joint in LOWER_LIMB_JOINTS or any(f.id == "leg-swelling" for f in swollen)
        if not (swollen and lower):
            continue
        answer, answered_by = dvt_answer(planner, site)
        inputs = tuple(i for f in swollen for i in f.basis.inputs)
        if answer != "open":
            planner.dvt_answered[(site.joint, site.side)] = _answered(
                planner, site, answer, inputs, answered_by
            )
            continue
        planner.dvt_pending.add((site.joint, site.side))
        planner.add(
            "rule-out-dvt",
            "urgent",
            "swollen-lower-limb",
            inputs,
            sites=(site_label(site.joint, site.side),),
            entries=("diagnostic-tests",),
        )


def _plan_infection(planner: Planner, sites: list[SiteSuspicion]) -> None:
    for site in sites:
        signs = [f for f in site.findings if f.id in ("fever", "redness", "warmth")]
        if signs:
            inputs = tuple(i for f in signs for i in f.basis.inputs)
            planner.add(
                "rule-out-infection",
                "soon",
                "fever-or-inflamed-joint",
                inputs,
                sites=(site_label(site.joint, site.side),),
                entries=("diagnostic-tests",),
            )


def scans_at(planner: Planner, site: SiteKey, code: str) -> list[tuple[date | None, str, Input]]:
    """Imaging results at a site (an entry without joint or side counts for any site)."""
    joint, side = site
    found = []
    for obs in planner.ctx.facts.finding(code):
        if obs.site.joint in (None, joint) and obs.site.side in (None, side):
            found.append((obs.effective, (obs.value_code or "").lower(), obs_input(obs, code)))
    return found


def _radiograph_timing(planner: Planner) -> tuple[int | None, int, tuple[Input, ...]]:
    days = planner.days_since_episode()
    informative = planner.ctx.knowledge.tests["plain-radiograph"].informative_from_days or 0
    event = planner.episode_event()
    return days, informative, event.basis.inputs if event else ()


def _plan_imaging(planner: Planner, site: SiteSuspicion) -> None:
    key = (site.joint, site.side)
    label = site_label(site.joint, site.side)
    inputs = site.basis.inputs
    scans = scans_at(planner, key, "bone-scan-ho")
    last_finding = planner.suspicion.last_finding_day.get(key)
    if not scans:
        planner.add(
            "triple-phase-bone-scan",
            "soon",
            "suspected-no-scan",
            inputs,
            sites=(label,),
            entries=("diagnostic-tests",),
        )
    else:
        scan_day, answer, scan_input = scans[-1]
        if answer == "negative" and last_finding and (scan_day is None or last_finding > scan_day):
            planner.add(
                "repeat-bone-scan",
                "soon",
                "negative-scan-signs-persist",
                (*inputs, scan_input),
                sites=(label,),
                entries=("diagnostic-tests",),
            )
    days, informative, event_input = _radiograph_timing(planner)
    if days is not None and days < informative:
        planner.add(
            "rule-out-fracture",
            "soon",
            "radiograph-too-early-for-ho",
            (*inputs, *event_input),
            sites=(label,),
            entries=("diagnostic-tests",),
            note=f"Day {days} of the current episode: a radiograph cannot show HO before "
            f"about day {informative}.",
        )
    elif not any(answer == "present" for _, answer, _ in scans_at(planner, key, "radiograph-ho")):
        planner.add(
            "plain-radiograph",
            "routine",
            "radiograph-informative",
            (*inputs, *event_input),
            sites=(label,),
            entries=("diagnostic-tests",),
            note=None if days is None else f"Day {days} of the current episode.",
        )
    if site.joint == "hip":
        planner.add(
            "ultrasound-soft-tissue",
            "routine",
            "suspected-hip",
            inputs,
            sites=(label,),
            entries=("diagnostic-tests",),
        )


def _plan_confirmed_imaging(planner: Planner, site: SiteSuspicion) -> None:
    days, informative, _ = _radiograph_timing(planner)
    radiographs = scans_at(planner, (site.joint, site.side), "radiograph-ho")
    if not radiographs and (days is None or days >= informative):
        planner.add(
            "plain-radiograph",
            "routine",
            "baseline-radiograph-for-maturity",
            site.basis.inputs,
            sites=(site_label(site.joint, site.side),),
            entries=("diagnostic-tests",),
        )


def _plan_labs(planner: Planner, site: SiteSuspicion, *, ck: bool) -> None:
    ctx = planner.ctx
    lookback = int(ctx.knowledge.setting("sign_lookback_days"))
    since = ctx.as_of - timedelta(days=lookback)
    label = site_label(site.joint, site.side)
    tests = [("serum-alp", "alp"), ("serum-crp", "crp")] + ([("serum-ck", "ck")] if ck else [])
    for rec_id, concept in tests:
        recent = [f for f in ctx.facts.of(concept) if f.start and f.start >= since]
        if not recent:
            planner.add(
                rec_id,
                "routine",
                "supportive-lab",
                site.basis.inputs,
                sites=(label,),
                settings=("sign_lookback_days",),
                entries=("diagnostic-tests",),
            )


def plan_workup(planner: Planner) -> None:
    sites = planner.suspicion.suspicion.sites
    suspected = [s for s in sites if s.level in ("possible", "probable")]
    confirmed = [s for s in sites if s.level == "confirmed"]
    _plan_dvt(planner, suspected + confirmed)
    _plan_infection(planner, suspected)
    for site in suspected:
        _plan_imaging(planner, site)
        _plan_labs(planner, site, ck=True)
    for site in confirmed:
        _plan_confirmed_imaging(planner, site)
    if any(lesion.maturity in ("active", "unknown") for lesion in planner.lesions):
        for site in confirmed:
            _plan_labs(planner, site, ck=False)
