"""What every card has besides its words: a fresh uuid (feedback refers to it), the source with
its topic, the link to the patient in HO Sentinel, and `overrideReasons` from the CDS Hooks
non-adherence reason codes (the clinically relevant value set of the 3.0 ballot, shared with the
app's own override form: `hosentinel.alerts.reasons`). Pure: no web, no storage."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from hosentinel.alerts.reasons import BY_CODE
from hosentinel.cdshooks.card_words import SOURCE_LABEL

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


@dataclass(frozen=True, slots=True)
class IssuedCard:
    """A card and what feedback about it means: the alert it stands for (`alert_states.alert_key`
    form: `cds:patient-view`, `caution:<option>:<reason>`,
    `rec:<id>`, as the app's alerts use) and its suggestions' uuids."""

    uuid: str
    alert_key: str
    body: dict[str, Any]
    suggestions: tuple[str, ...] = field(default=())


def new_uuid() -> str:
    return str(uuid.uuid4())


def overrides(codes: Iterable[str]) -> list[dict[str, str]]:
    return [BY_CODE[code].coding() for code in codes]


def source(base_url: str, topic: str, display: str) -> dict[str, Any]:
    return {
        "label": SOURCE_LABEL,
        "url": f"{base_url}/",
        "topic": {"system": TOPIC_SYSTEM, "code": topic, "display": display},
    }


def patient_link(base_url: str, patient_id: str) -> dict[str, str]:
    return {
        "label": "Open the patient in HO Sentinel",
        "url": f"{base_url}/patients/{patient_id}",
        "type": "absolute",
    }
