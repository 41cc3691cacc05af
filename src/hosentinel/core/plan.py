"""Steps 5 and 6: the work-up (aware of the calendar) and management, with drug cautions.

Work-up: a swollen leg means DVT is ruled out first; fever or redness/warmth means infection is
considered; the bone scan confirms early and is repeated when a negative scan is followed by
persisting signs; a radiograph is offered as a test for HO only once it can show it (the `tests`
entry's `informative_from_days`, about 3 weeks after the index event), before then only to rule out
a fracture; ALP, CRP and CK are supportive. Management: therapy, then the drug options; every
drug option in the knowledge base is checked against the patient's cautions whether or not it is
recommended, because a clinician may order it anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from hosentinel.core.assessment import (
    PRIORITY_ORDER,
    Basis,
    Caution,
    IndexEvent,
    Input,
    Lesion,
    Priority,
    Recommendation,
    Risk,
    SiteSuspicion,
    Surveillance,
)
from hosentinel.core.clauses import Context, evaluate_when, fact_input, obs_input, present
from hosentinel.core.suspicion import SiteKey, SuspicionResult
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

LOWER_LIMB_JOINTS = ("hip", "knee")
NEUROGENIC = frozenset({"sci", "tbi"})


def site_label(joint: str | None, side: str | None) -> str:
    return " ".join(p for p in (side, joint or "limb") if p)


@dataclass(frozen=True, slots=True)
class _Static:
    """The parts of a recommendation that come from the knowledge base alone."""

    category: str
    summary: str
    rationale: str
    citations: tuple[str, ...]
    evidence: tuple[dict[str, str], ...]
    conflicting_evidence: bool
    availability: str | None


@cache
def _static_part(knowledge: Knowledge, rec_id: str) -> _Static:
    spec = knowledge.recommendations[rec_id]
    drug = next((d for d in knowledge.drugs if d.recommendation == rec_id), None)
    return _Static(
        category=spec.category,
        summary=spec.summary,
        rationale=spec.rationale,
        citations=tuple(dict.fromkeys(c.id for c in spec.citations)),
        evidence=tuple(
            {"stance": e.stance, "text": e.text, "citation": e.citation}
            for e in (drug.evidence if drug else [])
        ),
        conflicting_evidence=drug.conflicting_evidence if drug else False,
        availability=drug.availability if drug else None,
    )


@dataclass
class Planner:
    ctx: Context
    events: tuple[IndexEvent, ...]
    risk: Risk
    surveillance: Surveillance
    suspicion: SuspicionResult
    lesions: tuple[Lesion, ...]
    populations: set[str]
    out: dict[str, Recommendation] = field(default_factory=dict)

    # -- helpers ------------------------------------------------------------------------

    def add(
        self,
        rec_id: str,
        priority: Priority,
        rule: str,
        inputs: tuple[Input, ...] = (),
        *,
        sites: tuple[str, ...] = (),
        settings: tuple[str, ...] = (),
        extra_citations: tuple[str, ...] = (),
        entries: tuple[str, ...] = (),
        note: str | None = None,
    ) -> None:
        static = _static_part(self.ctx.knowledge, rec_id)
        rule_id = f"recommend:{rule}"
        existing = self.out.get(rec_id)
        if existing is not None:
            # Merge: one recommendation per id, its basis led by the higher-priority reason.
            old = existing.basis
            if PRIORITY_ORDER[existing.priority] >= PRIORITY_ORDER[priority]:
                priority, rule_id, note = existing.priority, old.rule, old.note or note
            sites = tuple(dict.fromkeys(existing.sites + sites))
            inputs = old.inputs + inputs
            settings = old.settings + settings
            entries = old.entries[1:] + entries
            extra_citations = old.citations + extra_citations
        self.out[rec_id] = Recommendation(
            id=rec_id,
            category=static.category,
            priority=priority,
            summary=static.summary,
            rationale=static.rationale,
            sites=sites,
            basis=Basis(
                rule=rule_id,
                entries=tuple(dict.fromkeys(("recommendations", *entries))),
                citations=tuple(dict.fromkeys(static.citations + extra_citations)),
                inputs=tuple(dict.fromkeys(inputs)),
                settings=tuple(dict.fromkeys(settings)),
                note=note,
            ),
            evidence=static.evidence,
            conflicting_evidence=static.conflicting_evidence,
            availability=static.availability,
        )

    def days_since_index(self) -> int | None:
        return self.events[-1].days_since if self.events else None

    # -- work-up ------------------------------------------------------------------------

    def plan(self) -> tuple[Recommendation, ...]:
        self._surveillance()
        suspected = [
            s for s in self.suspicion.suspicion.sites if s.level in ("possible", "probable")
        ]
        confirmed = [s for s in self.suspicion.suspicion.sites if s.level == "confirmed"]
        self._dvt(suspected + confirmed)
        self._infection(suspected)
        for site in suspected:
            self._imaging(site)
            self._labs(site, ck=True)
        for site in confirmed:
            self._confirmed_imaging(site)
        if any(lesion.maturity in ("active", "unknown") for lesion in self.lesions):
            for site in confirmed:
                self._labs(site, ck=False)
        self._therapy(suspected, confirmed)
        self._medications(suspected, confirmed)
        self._surgery()
        self._after_excision()
        return tuple(sorted(self.out.values(), key=_rec_order))

    def _surveillance(self) -> None:
        # Serial examination is a standing recommendation through the window; it is `soon`
        # when a joint is overdue, and the note gives the next due date.
        sv = self.surveillance
        if sv.phase != "in-window" or not sv.due:
            return
        overdue = [d for d in sv.due if d.overdue]
        next_due = min(d.due for d in sv.due)
        inputs = tuple(i for d in sv.due for i in d.basis.inputs)
        self.add(
            "serial-joint-exam",
            "soon" if overdue else "routine",
            "joints-due",
            inputs,
            sites=tuple(site_label(d.joint, d.side) for d in (overdue or sv.due)),
            settings=("exam_interval_days",),
            entries=("index-events",),
            note=f"{len(overdue)} joint(s) overdue"
            if overdue
            else f"Next due {next_due.isoformat()}.",
        )

    def _dvt(self, sites: list[SiteSuspicion]) -> None:
        if present(self.ctx, "dvt", must_be_active=True):
            return  # a DVT already diagnosed is being treated; nothing to rule out
        for site in sites:
            swollen = [f for f in site.findings if f.id in ("swelling", "leg-swelling")]
            lower = site.joint in LOWER_LIMB_JOINTS or any(f.id == "leg-swelling" for f in swollen)
            if swollen and lower:
                inputs = tuple(i for f in swollen for i in f.basis.inputs)
                self.add(
                    "rule-out-dvt",
                    "urgent",
                    "swollen-lower-limb",
                    inputs,
                    sites=(site_label(site.joint, site.side),),
                    entries=("diagnostic-tests",),
                )

    def _infection(self, sites: list[SiteSuspicion]) -> None:
        for site in sites:
            signs = [f for f in site.findings if f.id in ("fever", "redness", "warmth")]
            if signs:
                inputs = tuple(i for f in signs for i in f.basis.inputs)
                self.add(
                    "rule-out-infection",
                    "soon",
                    "fever-or-inflamed-joint",
                    inputs,
                    sites=(site_label(site.joint, site.side),),
                    entries=("diagnostic-tests",),
                )

    def _scan_at(self, site: SiteSuspicion, code: str) -> list[tuple[date | None, str, Input]]:
        found = []
        for obs in self.ctx.facts.finding(code):
            if obs.site.joint in (None, site.joint) and obs.site.side in (None, site.side):
                found.append((obs.effective, (obs.value_code or "").lower(), obs_input(obs, code)))
        return found

    def _imaging(self, site: SiteSuspicion) -> None:
        label = site_label(site.joint, site.side)
        inputs = site.basis.inputs
        scans = self._scan_at(site, "bone-scan-ho")
        last_finding = self.suspicion.last_finding_day.get((site.joint, site.side))
        if not scans:
            self.add(
                "triple-phase-bone-scan",
                "soon",
                "suspected-no-scan",
                inputs,
                sites=(label,),
                entries=("diagnostic-tests",),
            )
        else:
            scan_day, answer, scan_input = scans[-1]
            if (
                answer == "negative"
                and last_finding
                and (scan_day is None or last_finding > scan_day)
            ):
                self.add(
                    "repeat-bone-scan",
                    "soon",
                    "negative-scan-signs-persist",
                    (*inputs, scan_input),
                    sites=(label,),
                    entries=("diagnostic-tests",),
                )
        days = self.days_since_index()
        informative = self.ctx.knowledge.tests["plain-radiograph"].informative_from_days or 0
        event_input = self.events[-1].basis.inputs if self.events else ()
        if days is not None and days < informative:
            self.add(
                "rule-out-fracture",
                "soon",
                "radiograph-too-early-for-ho",
                (*inputs, *event_input),
                sites=(label,),
                entries=("diagnostic-tests",),
                note=f"Day {days} after the index event: a radiograph cannot show HO before "
                f"about day {informative}.",
            )
        elif not any(answer == "present" for _, answer, _ in self._scan_at(site, "radiograph-ho")):
            self.add(
                "plain-radiograph",
                "routine",
                "radiograph-informative",
                (*inputs, *event_input),
                sites=(label,),
                entries=("diagnostic-tests",),
                note=None if days is None else f"Day {days} after the index event.",
            )
        if site.joint == "hip":
            self.add(
                "ultrasound-soft-tissue",
                "routine",
                "suspected-hip",
                inputs,
                sites=(label,),
                entries=("diagnostic-tests",),
            )

    def _confirmed_imaging(self, site: SiteSuspicion) -> None:
        days = self.days_since_index()
        informative = self.ctx.knowledge.tests["plain-radiograph"].informative_from_days or 0
        radiographs = self._scan_at(site, "radiograph-ho")
        if not radiographs and (days is None or days >= informative):
            self.add(
                "plain-radiograph",
                "routine",
                "baseline-radiograph-for-maturity",
                site.basis.inputs,
                sites=(site_label(site.joint, site.side),),
                entries=("diagnostic-tests",),
            )

    def _labs(self, site: SiteSuspicion, *, ck: bool) -> None:
        lookback = int(self.ctx.knowledge.setting("sign_lookback_days"))
        since = self.ctx.as_of - timedelta(days=lookback)
        label = site_label(site.joint, site.side)
        tests = [("serum-alp", "alp"), ("serum-crp", "crp")] + ([("serum-ck", "ck")] if ck else [])
        for rec_id, concept in tests:
            recent = [f for f in self.ctx.facts.of(concept) if f.start and f.start >= since]
            if not recent:
                self.add(
                    rec_id,
                    "routine",
                    "supportive-lab",
                    site.basis.inputs,
                    sites=(label,),
                    settings=("sign_lookback_days",),
                    entries=("diagnostic-tests",),
                )

    # -- management ---------------------------------------------------------------------

    def _therapy(self, suspected: list[SiteSuspicion], confirmed: list[SiteSuspicion]) -> None:
        active_sites = [s for s in suspected if s.level == "probable"] + confirmed
        for site in active_sites:
            self.add(
                "rom-therapy",
                "routine",
                "suspected-or-confirmed",
                site.basis.inputs,
                sites=(site_label(site.joint, site.side),),
            )
        for site in suspected + confirmed:
            pain = [f for f in site.findings if f.id == "pain"]
            if pain:
                self.add(
                    "pain-management",
                    "routine",
                    "joint-pain",
                    pain[0].basis.inputs,
                    sites=(site_label(site.joint, site.side),),
                )
        spastic = present(self.ctx, "spasticity")
        if spastic and (self.surveillance.phase == "in-window" or active_sites):
            inputs = tuple(
                fact_input(f)
                if f.observation and f.observation.evidence
                else Input(ref=f.ref, what=f.label, date=f.start)
                for f in spastic
            )
            self.add("spasticity-management", "routine", "spasticity", inputs)

    def _medications(self, suspected: list[SiteSuspicion], confirmed: list[SiteSuspicion]) -> None:
        immature = {
            (lesion.joint, lesion.side) for lesion in self.lesions if lesion.maturity != "mature"
        }
        treat = [s for s in suspected if s.level == "probable"]
        treat += [s for s in confirmed if (s.joint, s.side) in immature]
        if treat:
            inputs = tuple(i for site in treat for i in site.basis.inputs)
            labels = tuple(site_label(s.joint, s.side) for s in treat)
            self.add(
                "nsaid-indomethacin",
                "soon",
                "early-or-active-ho",
                inputs,
                sites=labels,
                entries=("drugs",),
            )
            if self.populations.intersection(NEUROGENIC):
                self.add(
                    "etidronate",
                    "routine",
                    "neurogenic-early-ho",
                    inputs,
                    sites=labels,
                    entries=("drugs",),
                )
                self.add(
                    "alendronate",
                    "routine",
                    "bisphosphonate-alternative",
                    inputs,
                    sites=labels,
                    entries=("drugs",),
                    note="Shown with its conflicting evidence; it is not a preferred option.",
                )
        self._prophylaxis()

    def _prophylaxis(self) -> None:
        if self.risk.level != "high" or not self.events:
            return
        knowledge = self.ctx.knowledge
        nsaid_days = int(knowledge.setting("nsaid_prophylaxis_window_days"))
        radiation_days = int(knowledge.setting("radiation_window_days"))
        risk_inputs = self.risk.basis.inputs
        for event in self.events:
            hip_surgery = "arthroplasty-hip" in event.concepts
            acetabular = "fracture-acetabulum" in event.concepts
            if not (hip_surgery or acetabular):
                continue
            if event.days_since <= nsaid_days:
                self.add(
                    "nsaid-indomethacin",
                    "soon",
                    "prophylaxis-high-risk-hip",
                    (*event.basis.inputs, *risk_inputs),
                    sites=("hip",),
                    settings=("nsaid_prophylaxis_window_days",),
                    entries=("drugs",),
                )
            if hip_surgery and event.days_since <= radiation_days:
                self.add(
                    "radiation-prophylaxis",
                    "urgent",
                    "prophylaxis-high-risk-arthroplasty",
                    (*event.basis.inputs, *risk_inputs),
                    sites=("hip",),
                    settings=("radiation_window_days",),
                    entries=("drugs",),
                )

    def _surgery(self) -> None:
        for lesion in self.lesions:
            label = site_label(lesion.joint, lesion.side)
            if lesion.surgical_referral == "now":
                self.add(
                    "surgical-referral",
                    "soon",
                    "function-limited-mature",
                    lesion.basis.inputs,
                    sites=(label,),
                    entries=("maturity",),
                )
                self.add(
                    "ct-for-surgical-planning",
                    "routine",
                    "referral-now",
                    lesion.basis.inputs,
                    sites=(label,),
                    entries=("maturity",),
                )
            elif lesion.surgical_referral == "when-mature":
                self.add(
                    "surgical-referral",
                    "routine",
                    "function-limited-not-mature",
                    lesion.basis.inputs,
                    sites=(label,),
                    entries=("maturity",),
                    note="Refer to plan surgery once the bone is mature; newer evidence on "
                    "earlier excision is shown with the lesion.",
                )

    def _after_excision(self) -> None:
        """After HO excision: watch the joint for recurrence, keep it moving, and offer
        prophylaxis early (radiation shown with the evidence against it in neurogenic HO)."""
        knowledge = self.ctx.knowledge
        follow_up = int(knowledge.setting("post_excision_followup_days"))
        nsaid_days = int(knowledge.setting("nsaid_prophylaxis_window_days"))
        radiation_days = int(knowledge.setting("radiation_window_days"))
        for fact in present(self.ctx, "ho-excision"):
            if fact.start is None:
                continue
            days = (self.ctx.as_of - fact.start).days
            if days > follow_up:
                continue
            label = site_label(fact.site.joint, fact.site.side)
            inputs = (fact_input(fact),)
            settings = ("post_excision_followup_days",)
            self.add(
                "serial-joint-exam",
                "routine",
                "after-excision",
                inputs,
                sites=(label,),
                settings=settings,
            )
            self.add(
                "rom-therapy",
                "routine",
                "after-excision",
                inputs,
                sites=(label,),
                settings=settings,
            )
            if days <= nsaid_days:
                self.add(
                    "nsaid-indomethacin",
                    "soon",
                    "post-excision-prophylaxis",
                    inputs,
                    sites=(label,),
                    settings=("nsaid_prophylaxis_window_days",),
                    entries=("drugs",),
                )
            if days <= radiation_days:
                self.add(
                    "radiation-prophylaxis",
                    "soon",
                    "post-excision-prophylaxis",
                    inputs,
                    sites=(label,),
                    settings=("radiation_window_days",),
                    entries=("drugs",),
                    note="After neurogenic hip HO excision, radiation did not reduce "
                    "recurrence (see evidence).",
                )


_VOCABULARY_ORDER = {rec_id: n for n, rec_id in enumerate(s.RECOMMENDATION_IDS)}


def _rec_order(rec: Recommendation) -> tuple[int, int]:
    return -PRIORITY_ORDER[rec.priority], _VOCABULARY_ORDER[rec.id]


def assess_cautions(ctx: Context, recommended: set[str]) -> tuple[tuple[Caution, ...], list[str]]:
    """Every drug option's cautions that hold for this patient, recommended or not."""
    found: dict[tuple[str, str], Caution] = {}
    missing: list[str] = []
    for drug in ctx.knowledge.drugs:
        for rule in drug.cautions:
            caution, rule_missing = evaluate_caution(ctx, drug, rule, recommended)
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


def evaluate_caution(
    ctx: Context, drug: s.DrugOption, rule: s.DrugCaution, recommended: set[str]
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
            recommended=drug.recommendation in recommended,
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


__all__ = ["Planner", "SiteKey", "assess_cautions", "evaluate_caution", "site_label"]
