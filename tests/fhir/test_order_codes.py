"""The orders and documents HO Sentinel writes are coded: the bone scan and the surgical referral
with the codes the knowledge base cites (its VSAC value sets; scripts/rxnorm_products.py checks
them against the value sets themselves, which are not in this repository), the
CarePlan's activities with the code of what they order, the education documents as US Core
DocumentReferences (category and LOINC type)."""

from __future__ import annotations

from typing import Any

from hosentinel.core.engine import evaluate
from hosentinel.core.record import SYSTEMS
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.export import RECOMMENDATION_SYSTEM, assessment_bundle
from hosentinel.fhir.importer import read_bundle
from hosentinel.fhir.order_codes import (
    RECOMMENDATION_ORDERS,
    US_CORE_DOCUMENTREFERENCE,
    concept_coding,
)
from hosentinel.fhir.referral import SURGEON_REFERRAL
from hosentinel.knowledge.loader import default_knowledge

K = default_knowledge()
# The coded orders HO Sentinel writes and the citation (a VSAC value set) each code is taken from.
CITED_ORDERS = {
    "bone-scan-order": "cit-vsac-bone-scan",
    "surgeon-referral-order": "cit-vsac-referral",
}
SYSTEM_NAMES = {"loinc": "LOINC", "snomed": "SNOMED CT"}


def _resources() -> list[dict[str, Any]]:
    found = []
    for entry in load_catalog():
        a = evaluate(read_bundle(entry.path.read_bytes(), K), K, entry.as_of)
        found += [e["resource"] for e in assessment_bundle(a, K)["entry"]]
    return found


RESOURCES = _resources()


def test_order_codes_are_those_their_citations_name() -> None:
    """Each written order's code, with its display, is the one its citation's title and the
    value set file's `supports` text name: no code without its source."""
    orders = K.entries["valueset.orders"]
    supports = {c.id: c.supports for c in orders.citations}
    for concept, citation in CITED_ORDERS.items():
        (code,) = K.concepts[concept].codes
        named = f"{SYSTEM_NAMES[code.system]} {code.code} {code.display}"
        assert named in K.citations[citation].title, concept
        assert named in (supports[citation] or ""), concept


def test_the_exports_carry_the_cited_order_codes() -> None:
    """The demo patients' CarePlans order the bone scan and the surgical referral by the codes
    the knowledge base cites (LOINC 39883-4, SNOMED CT 183541002)."""
    codings = [
        coding
        for plan in RESOURCES
        if plan["resourceType"] == "CarePlan"
        for activity in plan.get("activity", [])
        for coding in activity["detail"]["code"]["coding"]
    ]
    for concept in CITED_ORDERS:
        (code,) = K.concepts[concept].codes
        assert concept_coding(K, concept) in codings, concept
        assert {"system": SYSTEMS[code.system], "code": code.code} in [
            {"system": c["system"], "code": c["code"]} for c in codings
        ], concept


def test_the_referral_is_coded_as_the_knowledge_base_says() -> None:
    assert concept_coding(K, "surgeon-referral-order") == SURGEON_REFERRAL


def test_careplan_activities_carry_the_code_of_what_they_order() -> None:
    seen: set[str] = set()
    for plan in (r for r in RESOURCES if r["resourceType"] == "CarePlan"):
        for activity in plan.get("activity", []):
            codings = activity["detail"]["code"]["coding"]
            ours = codings[-1]
            assert ours["system"] == RECOMMENDATION_SYSTEM
            expected = RECOMMENDATION_ORDERS.get(ours["code"])
            if expected is None:  # no cited order code: ours alone, with the text
                assert len(codings) == 1
                continue
            assert codings[0] == concept_coding(K, expected)
            seen.add(ours["code"])
    # The demo patients reach the coded orders that matter (bone scan, radiograph, a lab).
    assert {"triple-phase-bone-scan", "plain-radiograph", "serum-alp"} <= seen


def test_education_documents_are_us_core_document_references() -> None:
    documents = [r for r in RESOURCES if r["resourceType"] == "DocumentReference"]
    assert documents
    for doc in documents:
        assert doc["meta"]["profile"] == [US_CORE_DOCUMENTREFERENCE]
        assert doc["category"][0]["coding"][0]["code"] == "clinical-note"
        assert doc["type"]["coding"] == [
            {"system": "http://loinc.org", "code": "34895-3", "display": "Education note"}
        ]
