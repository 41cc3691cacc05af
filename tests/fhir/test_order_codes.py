"""The orders and documents HO Sentinel writes are coded: the bone scan and the surgical referral
with the codes the knowledge base cites (checked against the vendored VSAC value sets), the
CarePlan's activities with the code of what they order, the education documents as US Core
DocumentReferences (category and LOINC type)."""

from __future__ import annotations

import json
from pathlib import Path
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
VSAC = Path(__file__).parents[1] / "data" / "vsac"
SOURCES = {
    "bone-scan-order": "valueset-2.16.840.1.113883.3.526.3.320.json",
    "surgeon-referral-order": "valueset-2.16.840.1.113883.3.464.1003.101.11.1215.json",
}


def _resources() -> list[dict[str, Any]]:
    found = []
    for entry in load_catalog():
        a = evaluate(read_bundle(entry.path.read_bytes(), K), K, entry.as_of)
        found += [e["resource"] for e in assessment_bundle(a, K)["entry"]]
    return found


RESOURCES = _resources()


def test_order_codes_are_those_of_their_cited_value_sets() -> None:
    for concept, file in SOURCES.items():
        source = json.loads((VSAC / file).read_text())
        listed = {(c["system"], c["code"], c["display"]) for c in source["expansion"]["contains"]}
        codes = K.concepts[concept].codes
        assert codes, concept
        for code in codes:
            assert (SYSTEMS[code.system], code.code, code.display) in listed, (concept, code)


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
