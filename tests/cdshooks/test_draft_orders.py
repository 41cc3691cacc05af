"""Draft orders count as the patient's medications for every check: what is signed together is
what the patient will take (order-sign and order-select send every draft of the session)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from hosentinel.knowledge.loader import default_knowledge
from tests.support.cdskit import (
    OSEL,
    OSIGN,
    Cds,
    assert_well_formed_card,
    draft_orders,
    hook_request,
    medication_request,
    searchsets,
)
from tests.support.rxkit import INDOMETHACIN_25_MG_CAPSULE, ingredient_names, products_of

TODAY = date(2026, 6, 1)
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
K = default_knowledge()


def sci_prefetch(patient_id: str, *medications: dict[str, Any]) -> dict[str, Any]:
    """A man 20 days after a complete cervical SCI, as a CDS client prefetches him."""
    onset = (TODAY - timedelta(days=20)).isoformat()
    condition = {
        "resourceType": "Condition",
        "id": f"{patient_id}-sci",
        "subject": {"reference": f"Patient/{patient_id}"},
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": ICD10, "code": "S14.11"}]},
        "onsetDateTime": onset,
    }

    patient = {
        "resourceType": "Patient",
        "id": patient_id,
        "gender": "male",
        "birthDate": "1985-04-12",
    }
    return {"patient": patient, **searchsets([condition, *medications])}


def warfarin(patient_id: str, rid: str, status: str) -> dict[str, Any]:
    order = medication_request(patient_id, rid, code="11289", text="warfarin")
    order["status"] = status
    return order


def anticoagulant_warnings(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for card in cards:
        assert_well_formed_card(card)
    return [
        c
        for c in cards
        if c["indicator"] == "warning"
        and "indomethacin" in (c["summary"] + c["detail"]).lower()
        and "anticoagul" in c["detail"].lower()
    ]


def indomethacin_selected(
    cds: Cds,
    pid: str,
    *,
    on_record: tuple[dict[str, Any], ...] = (),
    other_drafts: tuple[dict[str, Any], ...] = (),
) -> list[dict[str, Any]]:
    """The order-select cards when an indomethacin draft coded only by RxNorm 197817 (no text)
    is selected, beside the other drafts, for an SCI patient with `on_record` medications."""
    indo = medication_request(pid, "draft-indo", code=INDOMETHACIN_25_MG_CAPSULE)
    body = hook_request(
        "order-select",
        pid,
        sci_prefetch(pid, *on_record),
        draftOrders=draft_orders(*other_drafts, indo),
        selections=["MedicationRequest/draft-indo"],
    )
    response = cds.post(OSEL, body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    return cards


@pytest.fixture
def cds(make_cds: Callable[..., Cds]) -> Cds:
    return make_cds(TODAY)


def test_draft_warfarin_and_indomethacin_signed_together_warn(cds: Cds) -> None:
    pid = "draft-sci-1"
    orders = draft_orders(
        warfarin(pid, "draft-warfarin", "draft"),
        medication_request(pid, "draft-indo", code="5781", text="indomethacin"),
    )
    body = hook_request("order-sign", pid, sci_prefetch(pid), draftOrders=orders)
    response = cds.post(OSIGN, body)
    assert response.status_code == 200, response.text
    assert anticoagulant_warnings(response.json()["cards"])


def test_without_the_draft_warfarin_there_is_no_anticoagulant_warning(cds: Cds) -> None:
    pid = "draft-sci-2"
    orders = draft_orders(medication_request(pid, "draft-indo", code="5781", text="indomethacin"))
    body = hook_request("order-sign", pid, sci_prefetch(pid), draftOrders=orders)
    response = cds.post(OSIGN, body)
    assert response.status_code == 200, response.text
    assert not anticoagulant_warnings(response.json()["cards"])


def test_an_unselected_draft_counts_at_order_select(cds: Cds) -> None:
    pid = "draft-sci-3"
    orders = draft_orders(
        warfarin(pid, "draft-warfarin", "draft"),
        medication_request(pid, "draft-indo", code="5781", text="indomethacin"),
    )
    body = hook_request(
        "order-select",
        pid,
        sci_prefetch(pid),
        draftOrders=orders,
        selections=["MedicationRequest/draft-indo"],
    )
    response = cds.post(OSEL, body)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert anticoagulant_warnings(cards)
    assert all("warfarin" not in c["summary"].lower() for c in cards)  # only the selection


def test_a_draft_for_another_patient_does_not_count(cds: Cds) -> None:
    pid = "draft-sci-4"
    other = warfarin("someone-else", "draft-warfarin", "draft")
    orders = draft_orders(
        other, medication_request(pid, "draft-indo", code="5781", text="indomethacin")
    )
    body = hook_request("order-sign", pid, sci_prefetch(pid), draftOrders=orders)
    response = cds.post(OSIGN, body)
    assert response.status_code == 200, response.text
    assert not anticoagulant_warnings(response.json()["cards"])


def test_an_indomethacin_clinical_drug_code_without_text_warns_for_a_patient_on_warfarin(
    cds: Cds,
) -> None:
    """RxNorm 197817 (Indomethacin 25 MG Oral Capsule, the requirement's example), no display or
    text; the recorded warfarin is itself a product code (one the knowledge base lists for
    warfarin, 11289)."""
    pid = "draft-sci-5"
    on_record = medication_request(pid, "warfarin-product", code=products_of(K, "11289")[0])
    on_record["status"] = "active"
    cards = indomethacin_selected(cds, pid, on_record=(on_record,))
    assert [c["indicator"] for c in cards] == ["warning"]
    assert "anticoagul" in cards[0]["detail"].lower()


def _class_products(concept: str) -> list[tuple[str, str]]:
    """(product code, ingredient name) of every product the knowledge base lists for the
    ingredients of a drug concept (rxnorm-products.yaml; names from the concept's own codes)."""
    names = ingredient_names(K, concept)
    return [
        (code, name) for ingredient, name in names.items() for code in products_of(K, ingredient)
    ]


ANTICOAGULANT_PRODUCTS = _class_products("anticoagulant")


@pytest.mark.parametrize(("code", "display"), ANTICOAGULANT_PRODUCTS)
def test_each_anticoagulant_product_code_without_text_warns_as_its_name_does(
    cds: Cds, code: str, display: str
) -> None:
    """A draft anticoagulant coded only by its RxNorm product code (no text, no display) gives
    the same anticoagulant caution as an order written with its ingredient's name."""
    pid = f"scd-{code}"
    by_code = indomethacin_selected(
        cds, pid, other_drafts=(medication_request(pid, "draft-ac", code=code),)
    )
    by_name = indomethacin_selected(
        cds, pid, other_drafts=(medication_request(pid, "draft-ac", text=display),)
    )
    assert anticoagulant_warnings(by_name), display
    assert [c["summary"] for c in anticoagulant_warnings(by_code)] == [
        c["summary"] for c in anticoagulant_warnings(by_name)
    ]


def test_every_anticoagulant_the_design_names_has_products_to_order() -> None:
    names = {name for _, name in ANTICOAGULANT_PRODUCTS}
    assert {"warfarin", "apixaban", "rivaroxaban", "enoxaparin", "heparin"} <= names


# The first product the knowledge base lists for each ingredient of the drug classes the NSAID
# cautions name: (code, ingredient name, caution reason).
def _first_product_of_each_ingredient(concept: str) -> dict[str, str]:
    first: dict[str, str] = {}
    for code, name in _class_products(concept):
        first.setdefault(name, code)
    return first


CLASS_PRODUCTS = [
    (code, name, reason)
    for reason in ("antiplatelet", "ssri", "corticosteroid")
    for name, code in _first_product_of_each_ingredient(reason).items()
]


@pytest.mark.parametrize(("code", "display", "reason"), CLASS_PRODUCTS)
def test_a_product_code_on_record_without_text_cautions_as_its_name_does(
    cds: Cds, code: str, display: str, reason: str
) -> None:
    """The patient's medication coded only by its RxNorm product code (no text) gives the NSAID
    order the same caution as the medication written by name."""
    pid = f"cls-{code}"

    def detail(medication: dict[str, Any]) -> str:
        medication["status"] = "active"
        cards = indomethacin_selected(cds, pid, on_record=(medication,))
        for card in cards:
            assert_well_formed_card(card)
        return " ".join(c["detail"] for c in cards)

    by_code = detail(medication_request(pid, "on-record", code=code))
    by_name = detail(medication_request(pid, "on-record", text=display))
    assert f"({reason})" in by_name, display
    assert f"({reason})" in by_code, code
