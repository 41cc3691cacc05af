"""Cards from an assessment (CDS Hooks 2.0 card format). Pure: no web, no storage.

- patient-view: one `info` card (risk, due exams, suspicion; the basis in `detail`), or none when
  nothing about HO applies to the patient.
- order-select / order-sign: a `warning` card per draft order of an NSAID, alendronate,
  etidronate or radiation course that the assessment cautions against; an `info` card suggesting
  a triple-phase bone scan when a radiograph is ordered to look for HO before it can show HO.

Every card has a fresh uuid (feedback refers to it), a summary under 140 characters, and omits
optional fields rather than sending null or empty values. `overrideReasons` come from the CDS
Hooks non-adherence reason codes (the clinically relevant value set of the 3.0 ballot, shared
with the app's own override form: `hosentinel.alerts.reasons`).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hosentinel.alerts.keys import caution_key, recommendation_key, service_key
from hosentinel.alerts.reasons import BY_CODE
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.cdshooks.smart_links import focus, smart_link
from hosentinel.core.assessment import Assessment, Basis, Caution, Input
from hosentinel.knowledge.loader import Knowledge

SUMMARY_LIMIT = 140  # characters; the summary must be shorter
SOURCE_LABEL = "HO Sentinel"
TOPIC_SYSTEM = "https://hosentinel.org/fhir/CodeSystem/cds-topic"
OVERRIDES_SUMMARY = (
    "cds-not-applicable",
    "action-completed",
    "cds-suboptimal-context",
    "recipient-disagrees-evidence",
)
OVERRIDES_DRUG = (
    "cds-not-applicable",
    "recipient-concerns-outcomes",
    "recipient-disagrees-evidence",
    "does-not-align-preferences",
    "cds-suboptimal-context",
)
OVERRIDES_IMAGING = (
    "cds-not-applicable",
    "service-not-available",
    "patient-contraindication",
    "recipient-disagrees-evidence",
    "too-costly-uncovered",
)

# Short words for each recommendation id (DESIGN.md vocabulary), for summaries.
SHORT: dict[str, str] = {
    "serial-joint-exam": "examine the due joints",
    "rule-out-dvt": "rule out DVT first",
    "rule-out-infection": "consider infection",
    "rule-out-fracture": "rule out a fracture",
    "triple-phase-bone-scan": "triple-phase bone scan",
    "repeat-bone-scan": "repeat the bone scan",
    "plain-radiograph": "radiograph",
    "ultrasound-soft-tissue": "soft-tissue ultrasound",
    "ct-for-surgical-planning": "CT for surgical planning",
    "serum-alp": "serum ALP",
    "serum-crp": "serum CRP",
    "serum-ck": "serum CK",
    "rom-therapy": "range-of-motion therapy",
    "spasticity-management": "treat spasticity",
    "pain-management": "treat pain",
    "nsaid-indomethacin": "NSAID prophylaxis",
    "etidronate": "etidronate",
    "alendronate": "alendronate",
    "radiation-prophylaxis": "radiation prophylaxis",
    "surgical-referral": "surgical referral",
}
KIND_WORDS = {
    "sci": "spinal cord injury",
    "tbi": "traumatic brain injury",
    "stroke": "stroke",
    "burn": "burn",
    "fracture": "fracture",
    "arthroplasty": "joint replacement",
    "blast": "blast injury",
}
OPTION_WORDS = {
    "nsaid-indomethacin": "an NSAID",
    "alendronate": "a bisphosphonate",
    "etidronate": "a bisphosphonate",
    "radiation-prophylaxis": "a radiation course",
}
PRIORITY_WORDS = {"urgent": "Urgent", "soon": "Soon", "routine": "Routine"}
CAUTION_WORDS = {"contraindicated": "Contraindicated", "caution": "Caution"}
MAX_RECOMMENDATIONS = 6
MAX_INPUTS = 3


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """A card and what feedback about it means: the alert it stands for (`alert_states.alert_key`
    form: `cds:patient-view`, `caution:<option>:<reason>`,
    `rec:<id>`, as the app's alerts use) and its suggestions' uuids."""

    uuid: str
    alert_key: str
    body: dict[str, Any]
    suggestions: tuple[str, ...] = field(default=())


def _uuid() -> str:
    return str(uuid.uuid4())


# --- text helpers ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md(text: object) -> str:
    """Plain text made safe for Markdown: special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:") + "…"


def fit_summary(parts: Sequence[str], limit: int = SUMMARY_LIMIT) -> str:
    """Parts joined with "; " into one sentence under `limit` characters; parts that do not fit
    are dropped from the end (the first is kept, shortened if need be)."""
    kept: list[str] = []
    for part in parts:
        candidate = "; ".join([*kept, part]) + "."
        if len(candidate) < limit:
            kept.append(part)
    if not kept:
        return short(parts[0] if parts else SOURCE_LABEL, limit - 2) + "."
    sentence = "; ".join(kept) + "."
    return sentence[0].upper() + sentence[1:]


def _site(joint: str | None, side: str | None) -> str:
    if joint is None:
        return f"{side} side, joint not stated" if side else "site not stated"
    return f"{side} {joint}" if side else joint


def _day(value: date) -> str:
    return value.isoformat()


def _kind(kind: str) -> str:
    return md(KIND_WORDS.get(kind, kind))


def _input(item: Input) -> str:
    text = md(item.what)
    if item.value is not None and str(item.value) not in item.what:
        text += f" = {md(item.value)}"
    if item.date is not None:
        text += f" ({_day(item.date)})"
    return text


def _inputs(basis: Basis) -> str:
    shown = [_input(i) for i in basis.inputs[:MAX_INPUTS]]
    more = len(basis.inputs) - MAX_INPUTS
    if more > 0:
        shown.append(f"+{more} more")
    return "; ".join(shown)


def _citation(knowledge: Knowledge, cid: str) -> str:
    c = knowledge.citations.get(cid)
    if c is None:
        return md(cid)
    title = md(short(c.title, 90))
    url = c.url or (f"https://doi.org/{c.doi}" if c.doi else None)
    return f"[{title}]({url.replace(')', '%29').replace(' ', '%20')})" if url else title


def _sources(knowledge: Knowledge, citations: Iterable[str], limit: int = 2) -> str:
    ids = list(dict.fromkeys(citations))
    if not ids:
        return ""
    shown = [_citation(knowledge, cid) for cid in ids[:limit]]
    more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
    return " Sources: " + "; ".join(shown) + more + "."


def _footer(a: Assessment) -> str:
    return (
        f"_HO Sentinel knowledge {md(a.knowledge_release)} "
        f"({md(a.knowledge_digest[:19])}…), assessed as of {_day(a.as_of)}. Decision support, "
        "not a diagnosis: check the basis against the chart._"
    )


def _overrides(codes: Iterable[str]) -> list[dict[str, str]]:
    return [BY_CODE[code].coding() for code in codes]


def _source(base_url: str, topic: str, display: str) -> dict[str, Any]:
    return {
        "label": SOURCE_LABEL,
        "url": f"{base_url}/",
        "topic": {"system": TOPIC_SYSTEM, "code": topic, "display": display},
    }


def _patient_link(base_url: str, patient_id: str) -> dict[str, str]:
    return {
        "label": "Open the patient in HO Sentinel",
        "url": f"{base_url}/patients/{patient_id}",
        "type": "absolute",
    }


# --- patient-view ---------------------------------------------------------------------------


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
    return [_site(s.joint, s.side) for s in top]


def patient_view_summary(a: Assessment) -> str:
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
        parts.append(f"joint exams from {_day(a.surveillance.window_start)}")
    urgent = [r for r in a.recommendations if r.priority == "urgent"]
    if urgent:
        parts.append("urgent: " + ", ".join(SHORT.get(r.id, r.id) for r in urgent))
    contraindicated = sorted({c.about for c in a.cautions if c.level == "contraindicated"})
    if contraindicated:
        parts.append("avoid " + ", ".join(SHORT.get(o, o) for o in contraindicated))
    return fit_summary(parts)


def patient_view_detail(a: Assessment, knowledge: Knowledge) -> str:
    lines: list[str] = []
    phase = a.surveillance.phase
    window = (
        f" ({_day(a.surveillance.window_start)} to {_day(a.surveillance.window_end)})"
        if a.surveillance.window_start and a.surveillance.window_end
        else ""
    )
    events = "; ".join(
        f"{_kind(e.kind)} on {_day(e.date)} (day {e.days_since})" for e in a.index_events
    )
    lines.append(f"**HO risk: {a.risk.level}.** Surveillance: {phase}{window}.")
    if events:
        lines.append(f"Index event: {events}.")
    if a.risk.factors:
        lines += ["", "**Risk factors**"]
        for f in a.risk.factors:
            strong = " (strong)" if f.strong else ""
            lines.append(
                f"- {md(f.title)}{strong}: {_inputs(f.basis)}."
                + _sources(knowledge, f.basis.citations)
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
            last = f"; last examined {_day(d.last_examined)}" if d.last_examined else ""
            lines.append(f"- {_site(d.joint, d.side).capitalize()}: {state} {_day(d.due)}{last}.")
    if a.suspicion.level != "none":
        lines += ["", f"**Suspected HO: {a.suspicion.level}**"]
        for s in a.suspicion.sites:
            findings = "; ".join(md(f.summary) for f in s.findings) or "no findings listed"
            lines.append(f"- {_site(s.joint, s.side).capitalize()} ({s.level}): {findings}.")
    if a.recommendations:
        lines += ["", "**Next steps**"]
        # What the team should do now (`next`) leads; the rest follows in the engine's order.
        ordered = sorted(a.recommendations, key=lambda r: r.tier != "next")
        for i, r in enumerate(ordered[:MAX_RECOMMENDATIONS], start=1):
            sites = f" ({', '.join(md(s) for s in r.sites)})" if r.sites else ""
            lines.append(
                f"{i}. **{PRIORITY_WORDS[r.priority]}**{sites}: {md(r.summary)}"
                + _sources(knowledge, r.basis.citations)
            )
        more = len(a.recommendations) - MAX_RECOMMENDATIONS
        if more > 0:
            lines.append(f"\n{more} more in HO Sentinel.")
    contraindicated = [c for c in a.cautions if c.level == "contraindicated"]
    if contraindicated:
        lines += ["", "**Drugs to avoid for this patient**"]
        for c in contraindicated:
            lines.append(f"- {_option_title(knowledge, c.about)}: {md(c.summary)}")
    if a.missing_inputs:
        lines += [
            "",
            "**Missing inputs**: " + "; ".join(md(m.why_it_matters) for m in a.missing_inputs),
        ]
    lines += ["", _footer(a)]
    return "\n".join(lines)


def patient_view_content(
    a: Assessment, knowledge: Knowledge, patient_id: str, base_url: str
) -> dict[str, Any] | None:
    """The patient-view card without its uuid, or None when HO does not apply. The same for
    every call about the same data, so the API keeps it with the memoised assessment."""
    if not applies(a):
        return None
    return {
        "summary": patient_view_summary(a),
        "detail": patient_view_detail(a, knowledge),
        "indicator": "info",
        "source": _source(base_url, "ho-surveillance", "Heterotopic ossification surveillance"),
        "overrideReasons": _overrides(OVERRIDES_SUMMARY),
        "links": [_patient_link(base_url, patient_id), smart_link(base_url, focus(a))],
    }


def patient_view_issue(content: dict[str, Any] | None) -> list[IssuedCard]:
    """The patient-view cards of one call: the content under a fresh uuid."""
    if content is None:
        return []
    card_id = _uuid()
    return [IssuedCard(card_id, service_key("patient-view"), {"uuid": card_id, **content})]


def patient_view_cards(
    a: Assessment, knowledge: Knowledge, patient_id: str, base_url: str
) -> list[IssuedCard]:
    return patient_view_issue(patient_view_content(a, knowledge, patient_id, base_url))


# --- order-select / order-sign ----------------------------------------------------------------


def _option_title(knowledge: Knowledge, option: str) -> str:
    for drug in knowledge.drugs:
        if drug.id == option:
            return md(drug.title)
    return md(option)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _first_clause(text: str) -> str:
    return _lower_first(re.split(r"[;.]\s", text.strip(), maxsplit=1)[0].rstrip("."))


def _drug_card(
    a: Assessment,
    knowledge: Knowledge,
    order: DraftOrder,
    option: str,
    cautions: list[Caution],
    patient_id: str,
    base_url: str,
) -> IssuedCard:
    ordered = sorted(cautions, key=lambda c: c.level != "contraindicated")
    primary = ordered[0]
    contraindicated = primary.level == "contraindicated"
    name = short(order.name, 48)
    head = "Avoid" if contraindicated else "Caution with"
    more = len({c.reason for c in ordered}) - 1
    extra = f" (+{more} more caution{'s' if more > 1 else ''})" if more > 0 else ""
    reasons = (_lower_first(primary.summary.strip().rstrip(".")), _first_clause(primary.summary))
    candidates = [f"{head} {name}: {reason}{extra}." for reason in reasons]
    summary = next((c for c in candidates if len(c) < SUMMARY_LIMIT), None) or fit_summary(
        [candidates[-1].rstrip(".")]
    )
    what = OPTION_WORDS.get(option, _option_title(knowledge, option))
    verdict = "contraindicated" if contraindicated else "to be used with caution"
    lines = [
        f"Draft order: {md(order.name)}, {what}. For this patient it is **{verdict}** "
        f"(HO Sentinel's cautions for {_option_title(knowledge, option)}):",
        "",
    ]
    for c in ordered:
        lines.append(
            f"- **{CAUTION_WORDS[c.level]}** ({md(c.reason)}): {md(c.summary)} "
            f"Patient data: {_inputs(c.basis)}." + _sources(knowledge, c.basis.citations)
        )
    lines += ["", _footer(a)]
    card_id = _uuid()
    body: dict[str, Any] = {
        "uuid": card_id,
        "summary": summary,
        "detail": "\n".join(lines),
        "indicator": "warning",
        "source": _source(base_url, "drug-caution", "HO drug caution"),
    }
    suggestion_ids: list[str] = []
    if order.reference:
        suggestion_id = _uuid()
        suggestion: dict[str, Any] = {
            "label": f"Remove the draft order for {name}",
            "uuid": suggestion_id,
            "actions": [
                {
                    "type": "delete",
                    "description": f"Remove the draft order {order.reference}.",
                    "resourceId": order.reference,
                }
            ],
        }
        if contraindicated:
            suggestion["isRecommended"] = True
        body["suggestions"] = [suggestion]
        body["selectionBehavior"] = "at-most-one"
        suggestion_ids.append(suggestion_id)
    body["overrideReasons"] = _overrides(OVERRIDES_DRUG)
    body["links"] = [_patient_link(base_url, patient_id)]
    return IssuedCard(card_id, caution_key(option, primary.reason), body, tuple(suggestion_ids))


def _days_since_index(a: Assessment) -> int | None:
    if not a.index_events:
        return None
    latest = max(a.index_events, key=lambda e: e.date)
    return (a.as_of - latest.date).days


def _looks_for_ho(a: Assessment, order: DraftOrder) -> bool:
    if order.for_ho:
        return True
    suspected = [s for s in a.suspicion.sites if s.level != "none"]
    return any(not order.joints or s.joint in order.joints for s in suspected)


def _bone_scan_request(patient_id: str, order: DraftOrder) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "code": {"text": "Triple-phase bone scan"},
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": "Suspected heterotopic ossification"}],
    }
    if order.joints:  # the side the radiograph named is kept ("right hip", not "hip")
        side = f"{order.side} " if order.side else ""
        resource["bodySite"] = [{"text": f"{side}{j}"} for j in sorted(order.joints)]
    return resource


def _bone_scan_card(
    a: Assessment,
    knowledge: Knowledge,
    order: DraftOrder,
    days: int,
    informative: int,
    patient_id: str,
    base_url: str,
) -> IssuedCard:
    latest = max(a.index_events, key=lambda e: e.date)
    summary = fit_summary(
        [
            f"A radiograph cannot show HO before about day {informative} (today is day {days}); "
            "a triple-phase bone scan can",
        ]
    )
    radiograph = knowledge.tests["plain-radiograph"]
    scan = knowledge.tests["triple-phase-bone-scan"]
    lines = [
        f"Draft order: {md(order.name)}. Index event: {_kind(latest.kind)} on {_day(latest.date)} "
        f"(day {days}); {_inputs(latest.basis)}.",
        "",
        f"- A plain radiograph shows HO only from about day {informative} after the injury or "
        "operation. Before then it can rule out a fracture, not HO."
        + _sources(knowledge, [s.id for s in radiograph.statements], limit=3),
        "- The triple-phase bone scan is the main confirming study and turns positive weeks "
        "before the radiograph." + _sources(knowledge, [s.id for s in scan.statements], limit=3),
        "- If the radiograph is to rule out a fracture, keep it and add the bone scan.",
    ]
    suspected = [s for s in a.suspicion.sites if s.level != "none"]
    if suspected:
        lines.append(
            "- Suspected HO: "
            + "; ".join(f"{_site(s.joint, s.side)} ({s.level})" for s in suspected)
            + "."
        )
    lines += ["", _footer(a)]
    card_id = _uuid()
    scan_request = _bone_scan_request(patient_id, order)
    suggestions: list[dict[str, Any]] = []
    if order.reference:
        suggestions.append(
            {
                "label": "Order a triple-phase bone scan instead of the radiograph",
                "uuid": _uuid(),
                "isRecommended": True,
                "actions": [
                    {
                        "type": "delete",
                        "description": f"Remove the draft order {order.reference}.",
                        "resourceId": order.reference,
                    },
                    {
                        "type": "create",
                        "description": "Order a triple-phase bone scan.",
                        "resource": scan_request,
                    },
                ],
            }
        )
    suggestions.append(
        {
            "label": "Add a triple-phase bone scan (keep the radiograph to rule out a fracture)",
            "uuid": _uuid(),
            "actions": [
                {
                    "type": "create",
                    "description": "Order a triple-phase bone scan.",
                    "resource": scan_request,
                }
            ],
        }
    )
    body: dict[str, Any] = {
        "uuid": card_id,
        "summary": summary,
        "detail": "\n".join(lines),
        "indicator": "info",
        "source": _source(base_url, "imaging-timing", "HO imaging timing"),
        "suggestions": suggestions,
        "selectionBehavior": "at-most-one",
        "overrideReasons": _overrides(OVERRIDES_IMAGING),
        "links": [_patient_link(base_url, patient_id)],
    }
    return IssuedCard(
        card_id,
        recommendation_key("triple-phase-bone-scan"),
        body,
        tuple(s["uuid"] for s in suggestions),
    )


def order_cards(
    a: Assessment,
    knowledge: Knowledge,
    orders: Sequence[DraftOrder],
    patient_id: str,
    base_url: str,
) -> list[IssuedCard]:
    cards: list[IssuedCard] = []
    informative = knowledge.tests["plain-radiograph"].informative_from_days or 0
    days = _days_since_index(a)
    for order in orders:
        for option in order.options:
            cautions = [c for c in a.cautions if c.about == option]
            if cautions:
                cards.append(
                    _drug_card(a, knowledge, order, option, cautions, patient_id, base_url)
                )
        if (
            order.radiograph
            and days is not None
            and 0 <= days < informative
            and _looks_for_ho(a, order)
        ):
            cards.append(
                _bone_scan_card(a, knowledge, order, days, informative, patient_id, base_url)
            )
    return cards
