"""The order-select / order-sign `warning` card for a draft order of a drug option (an NSAID,
alendronate, etidronate, a radiation course) that the assessment cautions against, with a
suggestion to remove the draft. Pure: no web, no storage."""

from __future__ import annotations

from typing import Any

from hosentinel.alerts.keys import caution_key
from hosentinel.cdshooks.card_frame import (
    OVERRIDES_DRUG,
    IssuedCard,
    new_uuid,
    overrides,
    patient_link,
    source,
)
from hosentinel.cdshooks.card_words import (
    CAUTION_WORDS,
    SUMMARY_LIMIT,
    first_clause,
    fit_summary,
    footer,
    inputs,
    lower_first,
    md,
    option_kind,
    option_title,
    short,
    sources,
)
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.core.assessment import Assessment, Caution
from hosentinel.knowledge.loader import Knowledge


def drug_card(
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
    reasons = (lower_first(primary.summary.strip().rstrip(".")), first_clause(primary.summary))
    candidates = [f"{head} {name}: {reason}{extra}." for reason in reasons]
    summary = next((c for c in candidates if len(c) < SUMMARY_LIMIT), None) or fit_summary(
        [candidates[-1].rstrip(".")]
    )
    what = option_kind(knowledge, option)
    verdict = "contraindicated" if contraindicated else "to be used with caution"
    lines = [
        f"Draft order: {md(order.name)}, {what}. For this patient it is **{verdict}** "
        f"(HO Sentinel's cautions for {option_title(knowledge, option)}):",
        "",
    ]
    for c in ordered:
        lines.append(
            f"- **{CAUTION_WORDS[c.level]}** ({md(c.reason)}): {md(c.summary)} "
            f"Patient data: {inputs(c.basis)}." + sources(knowledge, c.basis.citations)
        )
    lines += ["", footer(a)]
    card_id = new_uuid()
    body: dict[str, Any] = {
        "uuid": card_id,
        "summary": summary,
        "detail": "\n".join(lines),
        "indicator": "warning",
        "source": source(base_url, "drug-caution", "HO drug caution"),
    }
    suggestion_ids: list[str] = []
    if order.reference:
        suggestion_id = new_uuid()
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
    body["overrideReasons"] = overrides(OVERRIDES_DRUG)
    body["links"] = [patient_link(base_url, patient_id)]
    return IssuedCard(card_id, caution_key(option, primary.reason), body, tuple(suggestion_ids))
