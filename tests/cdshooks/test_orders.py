"""order-select / order-sign: warnings for drug options with a caution for this patient, and a
bone-scan suggestion for a radiograph ordered to look for HO before it can show HO. Requests are
shaped like the Da Vinci CRD order-sign examples (absolute fullUrls and references, encounter
and coverage prefetch the service does not ask for) and the CDS Hooks order-select examples."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from hosentinel.cdshooks.orders import RADIATION_OPTION, read_draft_orders
from hosentinel.knowledge.loader import default_knowledge
from tests.support.cdskit import (
    OSEL,
    OSIGN,
    Cds,
    assert_well_formed_card,
    demo,
    draft_orders,
    hook_request,
    medication_request,
    prefetch_for,
    service_request,
)
from tests.support.rxkit import DESIGN_INGREDIENTS, products_of

PREGNANT = demo("19-pregnant-24-weeks-tibia-fracture")


def crd_prefetch(prefetch: dict[str, Any]) -> dict[str, Any]:
    """The prefetch as a Da Vinci CRD client sends it: references as absolute URLs on the EHR's
    FHIR server, and extra keys the service did not ask for (encounter with _include, coverage)."""
    prefetch = copy.deepcopy(prefetch)
    patient_id = prefetch["patient"]["id"]
    for value in prefetch.values():
        for entry in value.get("entry", []):
            resource = entry["resource"]
            for key in ("subject", "patient"):
                if key in resource:
                    resource[key] = {"reference": f"http://example.org/fhir/Patient/{patient_id}"}
    encounter = {
        "resourceType": "Encounter",
        "id": "987",
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
    }
    location = {"resourceType": "Location", "id": "hospital", "name": "Holy Family Hospital"}
    return prefetch | {
        "encounter": {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 1,
            "entry": [
                {"resource": encounter, "search": {"mode": "match"}},
                {"resource": location, "search": {"mode": "include"}},
            ],
        },
        "coverage": {"resourceType": "Bundle", "type": "searchset", "total": 0},
    }


def order_sign(cds: Cds, prefix: str, *orders: dict[str, Any]) -> list[dict[str, Any]]:
    entry = demo(prefix)
    patient_id, prefetch = prefetch_for(entry)
    body = hook_request(
        "order-sign", patient_id, crd_prefetch(prefetch), draftOrders=draft_orders(*orders)
    )
    response = cds.post(OSIGN, body)
    assert response.status_code == 200, response.text
    cards: list[dict[str, Any]] = response.json()["cards"]
    for card in cards:
        assert_well_formed_card(card)
    return cards


@pytest.fixture
def pregnant(make_cds: Callable[..., Cds]) -> tuple[Cds, str]:
    return make_cds(PREGNANT.as_of), prefetch_for(PREGNANT)[0]


def test_order_sign_warns_on_an_nsaid_for_the_pregnant_patient(
    pregnant: tuple[Cds, str],
) -> None:
    cds, patient_id = pregnant
    nsaid = medication_request(
        patient_id, "rx-1", code="197806", text="Ibuprofen 600 MG Oral Tablet"
    )
    cards = order_sign(cds, "19-", nsaid)
    assert len(cards) == 1
    card = cards[0]
    assert card["indicator"] == "warning"
    assert card["summary"] == (
        "Avoid Ibuprofen 600 MG Oral Tablet: pregnant at 20 weeks or more (+1 more caution)."
    )
    assert [r["code"] for r in card["overrideReasons"]] == [
        "cds-not-applicable",
        "recipient-concerns-outcomes",
        "recipient-disagrees-evidence",
        "does-not-align-preferences",
        "cds-suboptimal-context",
    ]
    assert {r["system"] for r in card["overrideReasons"]} == {
        "http://terminology.hl7.org/CodeSystem/non-adherence-reason-codes"
    }
    assert card["selectionBehavior"] == "at-most-one"
    (suggestion,) = card["suggestions"]
    assert suggestion["isRecommended"] is True
    assert suggestion["actions"] == [
        {
            "type": "delete",
            "description": "Remove the draft order MedicationRequest/rx-1.",
            "resourceId": "MedicationRequest/rx-1",
        }
    ]
    detail = card["detail"]
    assert detail.startswith(
        "Draft order: Ibuprofen 600 MG Oral Tablet, an NSAID. For this patient it is "
        "**contraindicated** (HO Sentinel's cautions for NSAID (indomethacin)):"
    )
    assert "**Contraindicated** (pregnancy)" in detail and "Z3A.24 (2025-06-10)" in detail
    assert "**Caution** (fracture-healing)" in detail and "S82.221A" in detail
    assert "fda.gov" in detail


def test_alendronate_by_rxnorm_code_and_etidronate_by_medication_reference(
    pregnant: tuple[Cds, str],
) -> None:
    cds, patient_id = pregnant
    alendronate = medication_request(patient_id, "rx-2", code="46041")
    medication = {
        "resourceType": "Medication",
        "id": "med-eti",
        "code": {"text": "Etidronate Disodium 400 MG Oral Tablet"},
    }
    etidronate = medication_request(patient_id, "rx-3")
    del etidronate["medicationCodeableConcept"]
    etidronate["medicationReference"] = {"reference": "Medication/med-eti"}
    cards = order_sign(cds, "19-", alendronate, etidronate, medication)
    by_summary = {c["summary"]: c for c in cards}
    etidronate_summary = (
        "Caution with Etidronate Disodium 400 MG Oral Tablet: a healing fracture; etidronate may "
        "delay fracture healing (+1 more caution)."
    )
    assert set(by_summary) == {
        "Avoid Alendronate: pregnant; alendronate is not to be used in pregnancy.",
        etidronate_summary,
    }
    caution = by_summary[etidronate_summary]
    assert caution["indicator"] == "warning"
    assert "isRecommended" not in caution["suggestions"][0]


def test_orders_without_a_caution_give_no_card(
    pregnant: tuple[Cds, str], make_cds: Callable[..., Cds]
) -> None:
    cds, patient_id = pregnant
    amoxicillin = medication_request(patient_id, "rx-4", text="Amoxicillin 500 mg tablet")
    oxygen = service_request(patient_id, "2468", "Portable gaseous oxygen system, rental")
    assert order_sign(cds, "19-", amoxicillin, oxygen) == []
    # The same NSAID for a patient without an NSAID caution (demo 03): no card.
    sci = make_cds(demo("03-").as_of)
    sci_id = prefetch_for(demo("03-"))[0]
    assert order_sign(sci, "03-", medication_request(sci_id, "rx-5", code="5640")) == []


def test_order_select_looks_at_the_selected_orders_only(pregnant: tuple[Cds, str]) -> None:
    cds, patient_id = pregnant
    _, prefetch = prefetch_for(PREGNANT)
    orders = draft_orders(
        medication_request(patient_id, "rx-6", text="Naproxen 500 MG Oral Tablet"),
        medication_request(patient_id, "rx-7", text="Amoxicillin 500 mg tablet"),
    )

    def select(selections: list[str]) -> list[dict[str, Any]]:
        body = hook_request(
            "order-select", patient_id, prefetch, selections=selections, draftOrders=orders
        )
        response = cds.post(OSEL, body)
        assert response.status_code == 200, response.text
        cards: list[dict[str, Any]] = response.json()["cards"]
        return cards

    assert select(["MedicationRequest/rx-7"]) == []
    (card,) = select(["MedicationRequest/rx-6"])
    assert card["summary"].startswith("Avoid Naproxen 500 MG Oral Tablet: pregnant")
    # order-select needs its selections; order hooks need draftOrders.
    body = hook_request("order-select", patient_id, prefetch, draftOrders=orders)
    assert cds.post(OSEL, body).status_code == 400
    assert cds.post(OSIGN, hook_request("order-sign", patient_id, prefetch)).status_code == 400


def test_radiation_course_with_a_healing_elbow_fracture(make_cds: Callable[..., Cds]) -> None:
    entry = demo("15-elbow-fracture-dislocation-day-2")
    cds = make_cds(entry.as_of)
    patient_id = prefetch_for(entry)[0]
    radiation = service_request(
        patient_id, "rt-1", "Radiation oncology AND/OR radiotherapy", code="108290001"
    )
    (card,) = order_sign(cds, "15-", radiation)
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("Caution with Radiation oncology AND/OR radiotherapy: ")
    assert "an acute elbow fracture" in card["summary"]
    assert "38% vs 4%" in card["detail"]


def test_early_radiograph_for_suspected_ho_suggests_a_bone_scan(
    make_cds: Callable[..., Cds],
) -> None:
    entry = demo("04-sci-day-18-swollen-thigh")
    cds = make_cds(entry.as_of)
    patient_id = prefetch_for(entry)[0]
    xray = service_request(patient_id, "xr-1", "XR hip 2 views", body_site="Right hip")
    (card,) = order_sign(cds, "04-", xray)
    assert card["indicator"] == "info"
    assert card["summary"] == (
        "A radiograph cannot show HO before about day 21 (today is day 18); "
        "a triple-phase bone scan can."
    )
    assert card["selectionBehavior"] == "at-most-one"
    replace, add = card["suggestions"]
    assert replace["isRecommended"] is True and "isRecommended" not in add
    assert [a["type"] for a in replace["actions"]] == ["delete", "create"]
    assert replace["actions"][0]["resourceId"] == "ServiceRequest/xr-1"
    scan = replace["actions"][1]["resource"]
    assert scan["resourceType"] == "ServiceRequest" and scan["status"] == "draft"
    # Coded (LOINC, from the VSAC Bone Scan value set the knowledge base cites), US Core.
    assert scan["code"] == {
        "coding": [
            {"system": "http://loinc.org", "code": "39883-4", "display": "NM Bone 3 Phase Views"}
        ],
        "text": "Triple-phase bone scan",
    }
    assert scan["category"][0]["coding"][0]["code"] == "363679005"  # Imaging (procedure)
    assert scan["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest"
    ]
    assert scan["bodySite"] == [{"text": "right hip"}]  # the side is kept
    assert scan["subject"] == {"reference": f"Patient/{patient_id}"}
    assert [a["type"] for a in add["actions"]] == ["create"]
    assert "service-not-available" in [r["code"] for r in card["overrideReasons"]]
    assert "Suspected HO: right hip (probable)" in card["detail"]


def test_no_bone_scan_card_when_the_radiograph_can_show_ho_or_is_not_for_ho(
    make_cds: Callable[..., Cds],
) -> None:
    # Day 61 after SCI: a radiograph can show HO now.
    late = make_cds(demo("03-").as_of)
    sci_id = prefetch_for(demo("03-"))[0]
    assert order_sign(late, "03-", service_request(sci_id, "xr-2", "XR right hip")) == []
    # Day 16 after a tibial fracture, nothing suspected: an X-ray to check the fracture is fine.
    cds = make_cds(PREGNANT.as_of)
    patient_id = prefetch_for(PREGNANT)[0]
    fracture_check = service_request(patient_id, "xr-3", "X-ray tibia and fibula")
    assert order_sign(cds, "19-", fracture_check) == []
    # The same X-ray ordered to look for HO gets the card.
    for_ho = service_request(
        patient_id, "xr-4", "X-ray knee", reason="Rule out heterotopic ossification"
    )
    (card,) = order_sign(cds, "19-", for_ho)
    assert "today is day 16" in card["summary"]


def test_unknown_card_fields_are_never_null(pregnant: tuple[Cds, str]) -> None:
    cds, patient_id = pregnant
    order = medication_request(patient_id, str(uuid.uuid4()), text="Indomethacin 25 MG Capsule")
    del order["id"]  # no id: no suggestion can name it
    (card,) = order_sign(cds, "19-", order)
    assert "suggestions" not in card and "selectionBehavior" not in card


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("108290001", "radiation"),
        ("1287742003", "radiation"),
        ("53438000", "radiation"),
        ("33195004", "radiation"),
        ("363680008", "radiograph"),
        ("168537006", "radiograph"),
        ("71388002", None),  # Procedure (procedure): neither
    ],
)
def test_service_orders_are_recognised_by_their_cited_snomed_code_alone(
    code: str, kind: str | None
) -> None:
    """The name says nothing ("Order 1"): only the knowledge base's value set can tell."""
    order = service_request("p-1", "sr-1", "Order 1", code=code)
    (read,) = read_draft_orders(draft_orders(order), default_knowledge(), None)
    assert (RADIATION_OPTION in read.options) == (kind == "radiation")
    assert read.radiograph == (kind == "radiograph")


def _alendronate_rxcuis() -> list[str]:
    """The product RxCUIs the knowledge base lists for alendronate (46041, DESIGN.md)."""
    return products_of(default_knowledge(), DESIGN_INGREDIENTS["alendronate"])


@pytest.mark.parametrize("code", _alendronate_rxcuis())
def test_an_alendronate_product_code_without_text_is_avoided_in_pregnancy(
    pregnant: tuple[Cds, str], code: str
) -> None:
    """order-select of alendronate coded only by a product RxCUI (the knowledge base takes them
    from openFDA's NDC data), no display or text: the same card as the ingredient."""
    cds, patient_id = pregnant
    _, prefetch = prefetch_for(PREGNANT)
    order = medication_request(patient_id, "rx-aln", code=code)
    body = hook_request(
        "order-select",
        patient_id,
        prefetch,
        selections=["MedicationRequest/rx-aln"],
        draftOrders=draft_orders(order),
    )
    response = cds.post(OSEL, body)
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert_well_formed_card(card)
    assert card["summary"] == (
        "Avoid Alendronate: pregnant; alendronate is not to be used in pregnancy."
    )
