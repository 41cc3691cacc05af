"""Cards from an assessment (CDS Hooks 2.0 card format). Pure: no web, no storage.

- patient-view (`patient_view_card.py`): one `info` card (risk, due exams, suspicion; the basis
  in `detail`), or none when nothing about HO applies to the patient.
- order-select / order-sign (`order_cards` below): a `warning` card per draft order of an NSAID,
  alendronate, etidronate or radiation course that the assessment cautions against
  (`drug_cards.py`); an `info` card suggesting a triple-phase bone scan when a radiograph is
  ordered to look for HO before it can show HO (`imaging_cards.py`).

Every card has a fresh uuid (feedback refers to it), a summary under 140 characters
(`card_words.py`: the wording), and omits optional fields rather than sending null or empty
values; uuid, source, links and `overrideReasons` are in `card_frame.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

from hosentinel.cdshooks.card_frame import IssuedCard
from hosentinel.cdshooks.card_words import fit_summary, md
from hosentinel.cdshooks.drug_cards import drug_card
from hosentinel.cdshooks.imaging_cards import bone_scan_card, days_since_index, looks_for_ho
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.cdshooks.patient_view_card import (
    patient_view_cards,
    patient_view_content,
    patient_view_issue,
)
from hosentinel.core.assessment import Assessment
from hosentinel.knowledge.loader import Knowledge

__all__ = [
    "IssuedCard",
    "fit_summary",
    "md",
    "order_cards",
    "patient_view_cards",
    "patient_view_content",
    "patient_view_issue",
]


def order_cards(
    a: Assessment,
    knowledge: Knowledge,
    orders: Sequence[DraftOrder],
    patient_id: str,
    base_url: str,
) -> list[IssuedCard]:
    """The cards about the draft orders: a caution card per cautioned drug option, a bone-scan
    card per radiograph ordered too early to show HO."""
    cards: list[IssuedCard] = []
    informative = knowledge.tests["plain-radiograph"].informative_from_days or 0
    days = days_since_index(a)
    for order in orders:
        for option in order.options:
            cautions = [c for c in a.cautions if c.about == option]
            if cautions:
                cards.append(drug_card(a, knowledge, order, option, cautions, patient_id, base_url))
        if (
            order.radiograph
            and days is not None
            and 0 <= days < informative
            and looks_for_ho(a, order)
        ):
            cards.append(
                bone_scan_card(a, knowledge, order, days, informative, patient_id, base_url)
            )
    return cards
