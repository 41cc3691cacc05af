"""What HO Sentinel writes as FHIR validates against the official FHIR R4 JSON schema
(tests/data/fhir-r4-schema, the R4 4.0.0 build): the exported assessment Bundles of every demo
patient, the draft bone-scan ServiceRequests the CDS cards suggest, a referral ServiceRequest,
the CapabilityStatement and an OperationOutcome. The schema checks structure (every element
known, cardinality, primitive formats), not terminology."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from hosentinel.app.pages.fhir_meta import capability_statement
from hosentinel.cdshooks.cards import order_cards
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.export import assessment_bundle
from hosentinel.fhir.importer import read_bundle
from hosentinel.fhir.outcome import error_outcome
from hosentinel.fhir.referral import service_request
from hosentinel.knowledge.loader import default_knowledge

SCHEMA = Path(__file__).parents[1] / "data" / "fhir-r4-schema" / "fhir.schema.json.gz"
K = default_knowledge()
CATALOG = load_catalog()


@cache
def _schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(gzip.decompress(SCHEMA.read_bytes()))
    return loaded


@cache
def _validator(rtype: str) -> jsonschema.protocols.Validator:
    # The resource's own definition, its references resolved in the whole schema.
    schema = {**_schema(), "$ref": f"#/definitions/{rtype}"}
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def errors(resource: dict[str, Any]) -> list[str]:
    found = _validator(resource["resourceType"]).iter_errors(resource)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in found]


def test_the_schema_is_the_r4_one_and_catches_a_wrong_resource() -> None:
    assert _schema()["id"] == "http://hl7.org/fhir/json-schema/4.0"
    assert "ServiceRequest" in _schema()["definitions"]
    assert "BodySite" not in _schema()["definitions"]  # an STU3 resource, gone in R4
    bad = {"resourceType": "ServiceRequest", "status": "draft", "intent": "order", "bodySite": {}}
    assert errors(bad)  # subject missing, bodySite not a list
    assert errors({**bad, "subject": {"reference": "Patient/1"}, "bodySite": [], "extra": 1})


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_exported_assessments_are_schema_valid(entry: DemoPatient) -> None:
    a = evaluate(read_bundle(entry.path.read_bytes(), K), K, entry.as_of)
    bundle = assessment_bundle(a, K)
    envelope = {
        **bundle,
        "entry": [{**e, "resource": {"resourceType": "Basic"}} for e in bundle["entry"]],
    }
    assert [m for m in errors(envelope) if "Basic" not in m] == []  # the Bundle itself
    for item in bundle["entry"]:
        assert errors(item["resource"]) == [], item["resource"]["resourceType"]


def test_suggested_bone_scan_orders_are_schema_valid() -> None:
    radiograph = DraftOrder(
        "ServiceRequest",
        "xr-1",
        "XR hip",
        radiograph=True,
        joints=frozenset({"hip"}),
        side="right",
        for_ho=True,
    )
    checked = 0
    for entry in CATALOG:
        a = evaluate(read_bundle(entry.path.read_bytes(), K), K, entry.as_of)
        for card in order_cards(a, K, [radiograph], "p1", "https://ho.example.org"):
            for suggestion in card.body.get("suggestions", []):
                for action in suggestion["actions"]:
                    if "resource" in action:
                        assert errors(action["resource"]) == []
                        checked += 1
    assert checked > 0


def test_a_referral_service_request_is_schema_valid() -> None:
    letter: dict[str, Any] = {
        "patient": {"id": "p1"},
        "surgeon": {
            "npi": "1234567893",
            "family": "Doe",
            "given": "Jane A",
            "name": "Jane A Doe",
            "line": ["1 Main St"],
            "city": "Springfield",
            "state": "IL",
            "zip5": "62701",
            "phone": "555-0100",
        },
        "as_of": "2026-06-01",
        "knowledge_release": K.release,
        "lesions": [
            {
                "site": "right hip",
                "maturity": "mature",
                "surgical_referral": "now",
                "criteria": [{"title": "Stable bone scan", "status": "met"}],
                "timing": "Mature for 6 months.",
                "evidence": [
                    {
                        "what": "bone scan",
                        "value": "stable",
                        "date": "2026-05-01",
                        "ref": "Observation/o1",
                    }
                ],
                "function_limited": [],
                "rom": [],
                "basis": {"rule": "lesion-maturity", "citations": [{"title": "A source"}]},
            }
        ],
        "cautions": [],
        "recommendation": {"summary": "Refer to a surgeon."},
        "referred_by": "Dr Smith",
    }
    resource = service_request(
        referral_id=7,
        letter=letter,
        assessment={"patient": "Patient/p1"},
        authored=datetime(2026, 6, 1, 12, tzinfo=UTC),
        performer_code={"code": "207X00000X", "display": "Orthopaedic Surgery"},
    )
    assert errors(resource) == []


def test_the_capability_statement_and_an_outcome_are_schema_valid() -> None:
    # The schema is the R4 4.0.0 build: its FHIRVersion list ends at 4.0.0, and 4.0.1 (the
    # technical correction the service claims) is the one value it does not know.
    found = errors(capability_statement("https://ho.example.org", K.release))
    assert len(found) == 1 and found[0].startswith("fhirVersion: '4.0.1' is not one of")
    versions = _schema()["definitions"]["CapabilityStatement"]["properties"]["fhirVersion"]
    assert versions["enum"][-1] == "4.0.0"
    assert errors(error_outcome("not-found", "No such resource.")) == []
