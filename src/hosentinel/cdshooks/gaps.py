"""The card naming the patient's data that could not be read (prefetch keys neither prefetched
nor readable from `fhirServer`): the other cards rest on what was there, so the clinician must
know what they could not take into account."""

from __future__ import annotations

from hosentinel.cdshooks.card_frame import IssuedCard, new_uuid, patient_link, source
from hosentinel.cdshooks.discovery import PREFETCH_WORDS

ALERT_KEY = "cds:data-unread"


def unread_card(keys: tuple[str, ...], patient_id: str, base_url: str) -> IssuedCard:
    words = [PREFETCH_WORDS.get(k, k) for k in keys]
    listed = ", ".join(words)
    summary = f"HO checks incomplete: could not read {listed}."
    if len(summary) >= 140:
        summary = f"HO checks incomplete: {len(words)} kinds of patient data could not be read."
    detail = (
        f"HO Sentinel could not read the patient's {listed} (not prefetched, and not readable "
        "from the EHR's FHIR server). Its cards are based on the rest of the record: a risk "
        "factor, a finding or a caution recorded there is not taken into account. Check them in "
        "the chart."
    )
    card_id = new_uuid()
    body = {
        "uuid": card_id,
        "summary": summary,
        "detail": detail,
        "indicator": "info",
        "source": source(base_url, "data-unread", "Patient data not read"),
        "links": [patient_link(base_url, patient_id)],
    }
    return IssuedCard(card_id, ALERT_KEY, body)
