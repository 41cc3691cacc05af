"""Step 4: suspicion of HO per joint and side.

Findings at a site: new loss of range of motion against the same joint's own best earlier value
(threshold: local setting `rom_loss_threshold_degrees`), pain, swelling, warmth, redness, and
stiffness or effusion coded on the problem list, all within `sign_lookback_days`. Fever is a
whole-body sign: it adds to a site that already has a finding. A site is
- `confirmed` by a coded HO diagnosis (M61 except M61.4, SNOMED 444748003) or an imaging
  conclusion (positive bone scan, radiograph showing HO) at that site;
- `probable` with ROM loss plus a local sign, or `probable_min_findings` findings (local setting);
- `possible` with any one finding.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from hosentinel.core.assessment import (
    SUSPICION_ORDER,
    Basis,
    Finding,
    Input,
    SiteSuspicion,
    Suspicion,
    SuspicionLevel,
)
from hosentinel.core.clauses import Context, fact_input, obs_input, present
from hosentinel.core.record import FINDING, JOINTS, Joint, Observation, Side

SITE_RULE = "suspicion-site"
LOWER_LIMB_JOINTS = ("hip", "knee")
UPPER_LIMB_JOINTS = ("shoulder", "elbow")
LOCAL_SIGNS = ("pain", "swelling", "warmth", "redness")
SIGN_CITATIONS = ("cit-aapmr-patient-page",)
CONFIRM_CITATIONS = ("cit-aapmr-patient-page", "cit-icd10cm-m61")
SiteKey = tuple[Joint | None, Side | None]

_PROBLEM_LIST_SIGNS = {
    "joint-pain": "pain",
    "joint-stiffness": "stiffness",
    "joint-effusion": "swelling",
}


@dataclass
class _Site:
    findings: dict[str, Finding] = field(default_factory=dict)
    confirmations: list[Finding] = field(default_factory=list)
    last_finding_day: date | None = None

    def add(self, finding: Finding, day: date | None) -> None:
        self.findings.setdefault(finding.id, finding)
        if day and (self.last_finding_day is None or day > self.last_finding_day):
            self.last_finding_day = day


@dataclass(frozen=True, slots=True)
class SuspicionResult:
    suspicion: Suspicion
    last_finding_day: dict[SiteKey, date]
    fever: Finding | None
    findings_by_site: dict[SiteKey, tuple[str, ...]]


def _finding(
    kind: str,
    summary: str,
    inputs: tuple[Input, ...],
    settings: tuple[str, ...] = (),
    citations: tuple[str, ...] = SIGN_CITATIONS,
) -> Finding:
    return Finding(
        id=kind,
        summary=summary,
        basis=Basis(
            rule=f"finding:{kind}",
            entries=("signs",),
            citations=citations,
            inputs=inputs,
            settings=settings,
        ),
    )


def _by_code(
    observations: tuple[Observation, ...],
) -> dict[tuple[str, Side | None], list[Observation]]:
    grouped: dict[tuple[str, Side | None], list[Observation]] = defaultdict(list)
    for obs in observations:
        for coding in obs.codings:
            if coding.system == FINDING:
                grouped[(coding.code, obs.site.side)].append(obs)
    return grouped


def _rom_losses(
    ctx: Context, grouped: dict[tuple[str, Side | None], list[Observation]], since: date
) -> list[tuple[SiteKey, Finding, date | None]]:
    threshold = ctx.knowledge.setting("rom_loss_threshold_degrees")
    found: list[tuple[SiteKey, Finding, date | None]] = []
    for (code, side), series in grouped.items():
        joint = code.split("-", 1)[0]
        if not code.endswith("-rom") or joint not in JOINTS:
            continue
        measured = [o for o in series if o.value_quantity is not None]
        if len(measured) < 2:
            continue
        latest = measured[-1]
        if latest.effective is not None and latest.effective < since:
            continue
        earlier = measured[:-1]
        best = max(earlier, key=lambda o: o.value_quantity or 0.0)
        assert latest.value_quantity is not None and best.value_quantity is not None
        loss = best.value_quantity - latest.value_quantity
        if loss >= threshold:
            motion = code.removeprefix(f"{joint}-").removesuffix("-rom")
            summary = (
                f"{joint} {motion} {latest.value_quantity:g}° down from {best.value_quantity:g}°"
                f" ({loss:g}° loss)"
            )
            inputs = (obs_input(best, "best earlier ROM"), obs_input(latest, "latest ROM"))
            found.append(
                (
                    (joint, side),
                    _finding(
                        "rom-loss",
                        summary,
                        inputs,
                        ("rom_loss_threshold_degrees",),
                        ("cit-aapmr-patient-page", "cit-kedlaya-medscape-sci"),
                    ),
                    latest.effective,
                )
            )
    return found


def _fever(ctx: Context, since: date) -> Finding | None:
    limit = ctx.knowledge.setting("low_grade_fever_celsius")
    for fact in reversed(ctx.facts.of("body-temperature")):
        obs = fact.observation
        if obs is None or obs.value_quantity is None or (obs.effective and obs.effective < since):
            continue
        celsius = obs.value_quantity  # in Cel: `quantities.normalise` converted it
        if celsius >= limit:
            return _finding(
                "fever",
                f"temperature {celsius:.1f} °C",
                (fact_input(fact),),
                ("low_grade_fever_celsius", "sign_lookback_days"),
            )
        break  # the latest reading within the look-back is below the limit
    for fact in present(ctx, "fever", must_be_active=True):
        if fact.kind == "condition" and (fact.start is None or fact.start >= since):
            return _finding(
                "fever", "fever on the problem list", (fact_input(fact),), ("sign_lookback_days",)
            )
    return None


def assess_suspicion(ctx: Context) -> SuspicionResult:
    lookback = int(ctx.knowledge.setting("sign_lookback_days"))
    since = ctx.as_of - timedelta(days=lookback)
    sites: dict[SiteKey, _Site] = defaultdict(_Site)
    grouped = _by_code(ctx.facts.observations)

    for key, finding, day in _rom_losses(ctx, grouped, since):
        sites[key].add(finding, day)
    for (code, side), series in grouped.items():
        joint, _, sign = code.partition("-")
        if joint not in JOINTS or sign not in LOCAL_SIGNS:
            continue
        latest = series[-1]
        if latest.value_bool and (latest.effective is None or latest.effective >= since):
            sites[(joint, side)].add(
                _finding(
                    sign, f"{joint} {sign}", (obs_input(latest, code),), ("sign_lookback_days",)
                ),
                latest.effective,
            )
    for concept, sign in _PROBLEM_LIST_SIGNS.items():
        for fact in present(ctx, concept, must_be_active=True):
            if fact.start is not None and fact.start < since:
                continue
            key = (fact.site.joint, fact.site.side)
            sites[key].add(_finding(sign, f"{fact.label}", (fact_input(fact),)), fact.start)
    _add_confirmations(ctx, sites)
    _add_limb_swelling(ctx, sites, since)

    fever = _fever(ctx, since)
    threshold = int(ctx.knowledge.setting("probable_min_findings"))
    results: list[SiteSuspicion] = []
    for (site_joint, site_side), site in sites.items():
        if fever is not None and site.findings:
            site.findings.setdefault("fever", fever)
        level = _level(site, threshold)
        if level == "none":
            continue
        findings = tuple(site.confirmations) + tuple(site.findings.values())
        results.append(
            SiteSuspicion(
                joint=site_joint,
                side=site_side,
                level=level,
                findings=findings,
                basis=Basis(
                    rule=SITE_RULE,
                    entries=("signs",),
                    citations=tuple(dict.fromkeys(c for f in findings for c in f.basis.citations)),
                    inputs=tuple(i for f in findings for i in f.basis.inputs),
                    settings=("probable_min_findings",),
                ),
            )
        )
    results.sort(key=lambda r: (-SUSPICION_ORDER[r.level], _site_sort(r.joint, r.side)))
    overall: SuspicionLevel = results[0].level if results else "none"
    return SuspicionResult(
        Suspicion(overall, tuple(results)),
        {k: v.last_finding_day for k, v in sites.items() if v.last_finding_day},
        fever,
        {k: tuple(v.findings) for k, v in sites.items()},
    )


def _site_sort(joint: str | None, side: str | None) -> tuple[int, str]:
    return ([*JOINTS].index(joint) if joint in JOINTS else len(JOINTS)), side or ""


def _level(site: _Site, probable_min: int) -> SuspicionLevel:
    if site.confirmations:
        return "confirmed"
    kinds = set(site.findings)
    local = kinds - {"fever"}
    if not local:
        return "none"
    if ("rom-loss" in kinds and kinds.intersection(LOCAL_SIGNS)) or len(kinds) >= probable_min:
        return "probable"
    return "possible"


def _add_limb_swelling(ctx: Context, sites: dict[SiteKey, _Site], since: date) -> None:
    """A swollen limb coded on the problem list joins a joint of that limb on the same side that
    already has findings (one site, not a joint and a "limb" beside it); otherwise it is a site
    of its own, without a joint."""
    lower_limb_refs = {f.ref for f in present(ctx, "lower-limb-swelling", must_be_active=True)}
    for fact in present(ctx, "extremity-swelling", must_be_active=True):
        if fact.kind != "condition" or (fact.start is not None and fact.start < since):
            continue
        lower = fact.ref in lower_limb_refs
        limb = "leg" if lower else "limb"
        finding = _finding(
            "leg-swelling" if lower else "limb-swelling",
            f"{limb} swelling: {fact.label}",
            (fact_input(fact),),
        )
        joints = LOWER_LIMB_JOINTS if lower else UPPER_LIMB_JOINTS
        side = fact.site.side
        targets = [
            key
            for key, site in sites.items()
            if key[0] in joints
            and side is not None
            and key[1] == side
            and (site.findings or site.confirmations)
        ]
        for key in targets or [(None, side)]:
            sites[key].add(finding, fact.start)


def _add_confirmations(ctx: Context, sites: dict[SiteKey, _Site]) -> None:
    """Coded HO and positive imaging at a site confirm it. Anything dated before the current
    episode (`Context.index_date`) is prior HO, a risk factor, not a current lesion."""
    episode = ctx.index_date

    def current(day: date | None) -> bool:
        return episode is None or day is None or day >= episode

    for fact in present(ctx, "ho", must_be_active=True):
        if fact.kind != "condition" or not current(fact.start):
            continue
        key = (fact.site.joint, fact.site.side)
        sites[key].confirmations.append(
            _finding(
                "coded-ho",
                f"HO on the problem list: {fact.label}",
                (fact_input(fact),),
                citations=CONFIRM_CITATIONS,
            )
        )
    for code, answer, label in (
        ("bone-scan-ho", "positive", "bone scan positive for HO"),
        ("radiograph-ho", "present", "radiograph shows HO"),
    ):
        latest_by_site: dict[SiteKey, Observation] = {}
        for obs in ctx.facts.finding(code):
            if current(obs.effective):
                latest_by_site[(obs.site.joint, obs.site.side)] = obs
        for site_key, latest in latest_by_site.items():
            if (latest.value_code or "").lower() == answer:
                sites[site_key].confirmations.append(
                    _finding(
                        code,
                        label,
                        (obs_input(latest, code),),
                        citations=("cit-aapmr-patient-page", "cit-pangilinan-medscape"),
                    )
                )
