"""The patient-view card: one `info` card (risk, due exams, suspicion, next steps; the basis in
`detail`), or none when nothing about HO applies to the patient. Pure: no web, no storage."""

from __future__ import annotations

from typing import Any

from hosentinel.alerts.keys import service_key
from hosentinel.cdshooks.card_frame import (
    OVERRIDES_SUMMARY,
    IssuedCard,
    new_uuid,
    overrides,
    patient_link,
    source,
)
from hosentinel.cdshooks.card_words import (
    CAUTION_WORDS,
    PRIORITY_WORDS,
    day,
    fit_summary,
    footer,
    inputs,
    kind,
    md,
    option_title,
    sources,
    to_do,
)
from hosentinel.cdshooks.smart_links import focus, smart_link
from hosentinel.core.assessment import Assessment, Recommendation
from hosentinel.core.site_words import site_heading
from hosentinel.knowledge.loader import Knowledge

MAX_RECOMMENDATIONS = 6


def applies(a: Assessment) -> bool:
    """Whether HO is a concern for this patient at all (else patient-view returns no card)."""
    return bool(
        a.suspicion.level != "none"
        or a.lesions
        or a.recommendations
        or any(d.due <= a.as_of for d in a.surveillance.due)
        or (a.index_events and a.risk.level != "low")
    )


def _suspected_sites(a: Assessment) -> list[str]:
    top = [s for s in a.suspicion.sites if s.level == a.suspicion.level]
    return [site_heading(s.joint, s.side) for s in top]


def patient_view_summary(a: Assessment, knowledge: Knowledge) -> str:
    parts: list[str] = []
    if a.suspicion.level != "none":
        sites = _suspected_sites(a)
        where = f" at {', '.join(sites[:2])}" + (" and more" if len(sites) > 2 else "")
        parts.append(f"HO {a.suspicion.level}{where}")
    parts.append(f"HO risk {a.risk.level}")
    due_now = [d for d in a.surveillance.due if d.due <= a.as_of]
    overdue = sum(1 for d in due_now if d.overdue)
    if due_now:
        n = len(due_now)
        parts.append(
            f"{n} joint exam{'s' if n > 1 else ''} due"
            + (f" ({overdue} overdue)" if overdue else "")
        )
    elif a.surveillance.phase == "before-window" and a.surveillance.window_start:
        parts.append(f"joint exams from {day(a.surveillance.window_start)}")
    urgent = [r for r in a.recommendations if r.priority == "urgent"]
    if urgent:
        parts.append("urgent: " + ", ".join(to_do(knowledge, r.id) for r in urgent))
    contraindicated = sorted({c.about for c in a.cautions if c.level == "contraindicated"})
    if contraindicated:
        parts.append("avoid " + ", ".join(to_do(knowledge, o) for o in contraindicated))
    return fit_summary(parts)


def _drug_cautions(a: Assessment, knowledge: Knowledge, r: Recommendation) -> list[str]:
    """A suggested drug's own cautions for this patient, nested under its line (DESIGN.md: each
    drug recommendation lists the caution reasons that apply to it, so they are shown with it),
    as the app's patient page shows them."""
    own = [c for c in a.cautions if c.about == r.id and c.reason in r.cautions]
    if not own:
        return ["   - No cautions found for this patient with this drug."]
    return [
        f"   - **{CAUTION_WORDS[c.level]}** ({md(c.reason)}): {md(c.summary)} "
        f"Patient data: {inputs(c.basis)}." + sources(knowledge, c.basis.citations)
        for c in sorted(own, key=lambda c: c.level != "contraindicated")
    ]


def patient_view_detail(a: Assessment, knowledge: Knowledge) -> str:
    lines: list[str] = []
    phase = a.surveillance.phase
    window = (
        f" ({day(a.surveillance.window_start)} to {day(a.surveillance.window_end)})"
        if a.surveillance.window_start and a.surveillance.window_end
        else ""
    )
    events = "; ".join(
        f"{kind(knowledge, e.kind)} on {day(e.date)} (day {e.days_since})" for e in a.index_events
    )
    lines.append(f"**HO risk: {a.risk.level}.** Surveillance: {phase}{window}.")
    if events:
        lines.append(f"Index event: {events}.")
    if a.risk.factors:
        lines += ["", "**Risk factors**"]
        for f in a.risk.factors:
            strong = " (strong)" if f.strong else ""
            lines.append(
                f"- {md(f.title)}{strong}: {inputs(f.basis)}."
                + sources(knowledge, f.basis.citations)
            )
    not_computable = [m.title for m in a.risk.models if m.status == "not-computable"]
    if not_computable:
        lines.append(
            "- Published scores not computed (item weights not confirmed): "
            + "; ".join(md(t) for t in not_computable)
            + "."
        )
    due = sorted(a.surveillance.due, key=lambda d: d.due)
    if due:
        lines += ["", "**Joint examinations**"]
        for d in due:
            state = "overdue" if d.overdue else ("due" if d.due <= a.as_of else "next")
            last = f"; last examined {day(d.last_examined)}" if d.last_examined else ""
            lines.append(
                f"- {site_heading(d.joint, d.side).capitalize()}: {state} {day(d.due)}{last}."
            )
    if a.suspicion.level != "none":
        lines += ["", f"**Suspected HO: {a.suspicion.level}**"]
        for s in a.suspicion.sites:
            findings = "; ".join(md(f.summary) for f in s.findings) or "no findings listed"
            lines.append(f"- {site_heading(s.joint, s.side).capitalize()} ({s.level}): {findings}.")
    if a.recommendations:
        lines += ["", "**Next steps**"]
        # What the team should do now (`next`) leads; the rest follows in the engine's order.
        ordered = sorted(a.recommendations, key=lambda r: r.tier != "next")
        for i, r in enumerate(ordered[:MAX_RECOMMENDATIONS], start=1):
            sites = f" ({', '.join(md(s) for s in r.sites)})" if r.sites else ""
            lines.append(
                f"{i}. **{PRIORITY_WORDS[r.priority]}**{sites}: {md(r.summary)}"
                + sources(knowledge, r.basis.citations)
            )
            if r.is_drug:
                lines += _drug_cautions(a, knowledge, r)
        more = len(a.recommendations) - MAX_RECOMMENDATIONS
        if more > 0:
            lines.append(f"\n{more} more in HO Sentinel.")
    contraindicated = [c for c in a.cautions if c.level == "contraindicated"]
    if contraindicated:
        lines += ["", "**Drugs to avoid for this patient**"]
        for c in contraindicated:
            lines.append(f"- {option_title(knowledge, c.about)}: {md(c.summary)}")
    if a.missing_inputs:
        lines += [
            "",
            "**Missing inputs**: " + "; ".join(md(m.why_it_matters) for m in a.missing_inputs),
        ]
    lines += ["", footer(a)]
    return "\n".join(lines)


def patient_view_content(
    a: Assessment, knowledge: Knowledge, patient_id: str, base_url: str
) -> dict[str, Any] | None:
    """The patient-view card without its uuid, or None when HO does not apply. The same for
    every call about the same data, so the API keeps it with the memoised assessment."""
    if not applies(a):
        return None
    return {
        "summary": patient_view_summary(a, knowledge),
        "detail": patient_view_detail(a, knowledge),
        "indicator": "info",
        "source": source(base_url, "ho-surveillance", "Heterotopic ossification surveillance"),
        "overrideReasons": overrides(OVERRIDES_SUMMARY),
        "links": [patient_link(base_url, patient_id), smart_link(base_url, focus(a))],
    }


def patient_view_issue(content: dict[str, Any] | None) -> list[IssuedCard]:
    """The patient-view cards of one call: the content under a fresh uuid."""
    if content is None:
        return []
    card_id = new_uuid()
    return [IssuedCard(card_id, service_key("patient-view"), {"uuid": card_id, **content})]


def patient_view_cards(
    a: Assessment, knowledge: Knowledge, patient_id: str, base_url: str
) -> list[IssuedCard]:
    return patient_view_issue(patient_view_content(a, knowledge, patient_id, base_url))
