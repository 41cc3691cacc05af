"""The order-select / order-sign `info` card suggesting a triple-phase bone scan when a plain
radiograph is ordered to look for HO before it can show HO, with the bone scan as a draft
ServiceRequest. Pure: no web, no storage."""

from __future__ import annotations

from typing import Any

from hosentinel.alerts.keys import recommendation_key
from hosentinel.cdshooks.card_frame import (
    OVERRIDES_IMAGING,
    IssuedCard,
    new_uuid,
    overrides,
    patient_link,
    source,
)
from hosentinel.cdshooks.card_words import day, fit_summary, footer, inputs, kind, md, sources
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.core.assessment import Assessment
from hosentinel.core.site_words import site_heading
from hosentinel.fhir.order_codes import IMAGING_CATEGORY, US_CORE_SERVICEREQUEST, concept_coding
from hosentinel.knowledge.loader import Knowledge


def days_since_index(a: Assessment) -> int | None:
    if not a.index_events:
        return None
    latest = max(a.index_events, key=lambda e: e.date)
    return (a.as_of - latest.date).days


def looks_for_ho(a: Assessment, order: DraftOrder) -> bool:
    if order.for_ho:
        return True
    suspected = [s for s in a.suspicion.sites if s.level != "none"]
    return any(not order.joints or s.joint in order.joints for s in suspected)


def bone_scan_request(knowledge: Knowledge, patient_id: str, order: DraftOrder) -> dict[str, Any]:
    """The draft bone-scan order (US Core ServiceRequest; LOINC code from the knowledge base)."""
    code: dict[str, Any] = {"text": "Triple-phase bone scan"}
    coding = concept_coding(knowledge, "bone-scan-order")
    if coding is not None:
        code = {"coding": [coding], **code}
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "meta": {"profile": [US_CORE_SERVICEREQUEST]},
        "status": "draft",
        "intent": "order",
        "category": [{"coding": [IMAGING_CATEGORY], "text": "Imaging"}],
        "code": code,
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": "Suspected heterotopic ossification"}],
    }
    if order.joints:  # the side the radiograph named is kept ("right hip", not "hip")
        side = f"{order.side} " if order.side else ""
        resource["bodySite"] = [{"text": f"{side}{j}"} for j in sorted(order.joints)]
    return resource


def bone_scan_card(
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
        f"Draft order: {md(order.name)}. Index event: {kind(knowledge, latest.kind)} on "
        f"{day(latest.date)} (day {days}); {inputs(latest.basis)}.",
        "",
        f"- A plain radiograph shows HO only from about day {informative} after the injury or "
        "operation. Before then it can rule out a fracture, not HO."
        + sources(knowledge, [s.id for s in radiograph.statements], limit=3),
        "- The triple-phase bone scan is the main confirming study and turns positive weeks "
        "before the radiograph." + sources(knowledge, [s.id for s in scan.statements], limit=3),
        "- If the radiograph is to rule out a fracture, keep it and add the bone scan.",
    ]
    suspected = [s for s in a.suspicion.sites if s.level != "none"]
    if suspected:
        lines.append(
            "- Suspected HO: "
            + "; ".join(f"{site_heading(s.joint, s.side)} ({s.level})" for s in suspected)
            + "."
        )
    lines += ["", footer(a)]
    card_id = new_uuid()
    scan_request = bone_scan_request(knowledge, patient_id, order)
    suggestions: list[dict[str, Any]] = []
    if order.reference:
        suggestions.append(
            {
                "label": "Order a triple-phase bone scan instead of the radiograph",
                "uuid": new_uuid(),
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
            "uuid": new_uuid(),
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
        "source": source(base_url, "imaging-timing", "HO imaging timing"),
        "suggestions": suggestions,
        "selectionBehavior": "at-most-one",
        "overrideReasons": overrides(OVERRIDES_IMAGING),
        "links": [patient_link(base_url, patient_id)],
    }
    return IssuedCard(
        card_id,
        recommendation_key("triple-phase-bone-scan"),
        body,
        tuple(s["uuid"] for s in suggestions),
    )
