"""The synthetic demo bundles and their catalog: well-formed, consistent, reproducible."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from fhir.resources.R4B.bundle import Bundle

import hosentinel.demo
from hosentinel.demo import build_bundles
from hosentinel.knowledge.schema import CAUTION_REASONS, RECOMMENDATION_IDS
from hosentinel.synthetic import expect as expectations

DEMO = Path(hosentinel.demo.__file__).parent
BUNDLES = DEMO / "bundles"
CATALOG = yaml.safe_load((DEMO / "catalog.yaml").read_text(encoding="utf-8"))
BUNDLE_FILES = sorted(path.name for path in BUNDLES.glob("*.json"))
# The one bundle that is deliberately messy: a stray patient's resource, an unknown resource
# type, an invalid status and an entry without a resource.
MESSY = "25-messy-real-world-export.json"

FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
SNOMED = "http://snomed.info/sct"
SIDES = {"7771000": "left", "24028007": "right"}
JOINTS = {"24136001": "hip", "72696002": "knee", "16953009": "elbow", "16982005": "shoulder"}
IMAGING = {
    "bone-scan-ho": {"positive", "negative"},
    "radiograph-ho": {"present", "absent"},
    "ho-activity": {"increasing", "decreasing", "quiescent"},
    "ho-growth": {"growing", "stable"},
    "ho-radiographic-maturity": {"immature", "mature"},
}
BOOLEAN_FINDING = re.compile(
    r"^((hip|knee|elbow|shoulder)-(pain|swelling|warmth|redness)"
    r"|function-limited|spasticity|autonomic-dysregulation|prolonged-immobility)$"
)
ROM_FINDING = re.compile(r"^(hip|knee|elbow|shoulder)-[a-z]+-rom$")
DATE_KEYS = {
    "onsetDateTime",
    "abatementDateTime",
    "recordedDate",
    "effectiveDateTime",
    "performedDateTime",
    "authoredOn",
    "issued",
    "date",
    "start",
    "end",
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BUNDLES / name).read_text(encoding="utf-8"))
    return data


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in bundle["entry"] if "resource" in entry]


def the_patient(bundle: dict[str, Any]) -> dict[str, Any]:
    patients = [res for res in resources(bundle) if res["resourceType"] == "Patient"]
    assert len(patients) == 1, "a demo bundle holds exactly one Patient"
    return patients[0]


def entry_for(name: str) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [item for item in CATALOG if item["file"] == name]
    assert len(matches) == 1
    return matches[0]


def dates_in(node: Any) -> list[str]:
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in DATE_KEYS and isinstance(value, str):
                found.append(value)
            else:
                found.extend(dates_in(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(dates_in(item))
    return found


def test_there_are_enough_demo_patients() -> None:
    assert len(BUNDLE_FILES) >= 22
    assert {item["population"] for item in CATALOG} >= {
        "sci",
        "tbi",
        "stroke",
        "burn",
        "fracture",
        "arthroplasty",
        "blast",
    }


def test_catalog_and_bundle_files_match_one_to_one() -> None:
    listed = [item["file"] for item in CATALOG]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == BUNDLE_FILES


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_bundle_is_a_fhir_collection_with_one_patient(name: str) -> None:
    bundle = load(name)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    patient = the_patient(bundle)
    assert entry_for(name)["patient"] == f"Patient/{patient['id']}"
    tags = {(tag["system"], tag["code"]) for tag in patient["meta"]["tag"]}
    assert ("http://terminology.hl7.org/CodeSystem/v3-ActReason", "HTEST") in tags


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_ids_and_full_urls_are_unique_within_a_bundle(name: str) -> None:
    bundle = load(name)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(urls) == len(set(urls))
    assert all(url.startswith("urn:uuid:") for url in urls)
    keys = [(res["resourceType"], res["id"]) for res in resources(bundle)]
    assert len(keys) == len(set(keys))


def test_patient_and_resource_ids_are_unique_across_bundles() -> None:
    patients = [the_patient(load(name))["id"] for name in BUNDLE_FILES]
    assert len(patients) == len(set(patients))
    everything = [res["id"] for name in BUNDLE_FILES for res in resources(load(name))]
    assert len(everything) == len(set(everything))


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_resources_belong_to_the_bundle_patient(name: str) -> None:
    bundle = load(name)
    pid = the_patient(bundle)["id"]
    own = {f"urn:uuid:{pid}", f"Patient/{pid}"}
    foreign = []
    for res in resources(bundle):
        owner = res.get("patient") or res.get("subject") or {}
        if res["resourceType"] != "Patient" and owner.get("reference") not in own:
            foreign.append(res)
    if name == MESSY:
        assert len(foreign) == 1, "the messy bundle keeps its one stray resource"
    else:
        assert foreign == []


def test_messy_bundle_keeps_its_traps() -> None:
    bundle = load(MESSY)
    kinds = {res["resourceType"] for res in resources(bundle)}
    assert "LegacyNursingNote" in kinds
    assert any(res.get("status") == "bogus" for res in resources(bundle))
    assert any("resource" not in entry for entry in bundle["entry"])
    text_only = [
        res
        for res in resources(bundle)
        if res["resourceType"] == "Condition" and "coding" not in res["code"]
    ]
    assert text_only


@pytest.mark.parametrize("name", [name for name in BUNDLE_FILES if name != MESSY])
def test_clean_bundles_validate_as_fhir(name: str) -> None:
    Bundle.model_validate_json((BUNDLES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_nothing_is_dated_after_as_of(name: str) -> None:
    as_of = entry_for(name)["as_of"]
    for res in resources(load(name)):
        if res["resourceType"] == "Patient":
            continue
        for value in dates_in(res):
            assert value[:10] <= as_of, f"{res['resourceType']}/{res['id']} dated {value}"


@pytest.mark.parametrize("name", BUNDLE_FILES)
def test_findings_follow_the_contract(name: str) -> None:
    for res in resources(load(name)):
        if res["resourceType"] != "Observation":
            continue
        codings = [c for c in res["code"].get("coding", []) if c["system"] == FINDING]
        if not codings:
            continue
        code = codings[0]["code"]
        site = [c["code"] for c in res.get("bodySite", {}).get("coding", [])]
        assert all(c["system"] == SNOMED for c in res.get("bodySite", {}).get("coding", []))
        if ROM_FINDING.match(code):
            quantity = res["valueQuantity"]
            assert (quantity["system"], quantity["code"]) == ("http://unitsofmeasure.org", "deg")
            assert len([c for c in site if c in SIDES]) == 1
        elif code in IMAGING:
            value = res["valueCodeableConcept"]["coding"][0]
            assert value["system"] == FINDING and value["code"] in IMAGING[code]
            assert len([c for c in site if c in SIDES]) == 1
            assert len([c for c in site if c in JOINTS]) == 1
        else:
            assert BOOLEAN_FINDING.match(code), code
            assert isinstance(res["valueBoolean"], bool)
            if code == "function-limited":
                assert len([c for c in site if c in JOINTS]) == 1
            elif "-" in code and code.split("-")[0] in JOINTS.values():
                assert len([c for c in site if c in SIDES]) == 1


@pytest.mark.parametrize("entry", CATALOG, ids=[item["file"] for item in CATALOG])
def test_catalog_entry_uses_the_contract_vocabulary(entry: dict[str, Any]) -> None:
    assert set(entry) == {
        "file",
        "patient",
        "title",
        "population",
        "stage",
        "as_of",
        "story",
        "expect",
    }
    assert entry["population"] in expectations.POPULATIONS
    assert entry["stage"] in expectations.STAGES
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["as_of"])
    expected = entry["expect"]
    assert expected["phase"] in {"not-applicable", "before-window", "in-window", "after-window"}
    assert expected.get("risk_level", "low") in {"low", "moderate", "high"}
    assert expected.get("suspicion", "none") in {"none", "possible", "probable", "confirmed"}
    listed = expected["recommendations_include"] + expected["recommendations_exclude"]
    assert set(listed) <= set(RECOMMENDATION_IDS)
    for item in expected.get("cautions_include", []):
        assert item["about"] in RECOMMENDATION_IDS
        assert item["reason"] in CAUTION_REASONS
        assert item["level"] in {"contraindicated", "caution"}
    for item in expected.get("lesions", []):
        assert item["joint"] in {"hip", "knee", "elbow", "shoulder"}
        assert item["side"] in {"left", "right"}
        assert item["maturity"] in {"active", "maturing", "mature", "unknown"}
        assert item["surgical_referral"] in {"not-indicated", "when-mature", "now"}


def test_the_builder_rejects_words_outside_the_vocabulary() -> None:
    with pytest.raises(ValueError, match="not in the contract vocabulary"):
        expectations.check_expectation("x", expectations.expect("in-window", include=["order-mri"]))
    with pytest.raises(ValueError, match="caution reason"):
        expectations.check_expectation(
            "x",
            expectations.expect(
                "in-window", cautions=[expectations.caution("etidronate", "asthma", "caution")]
            ),
        )


def test_regenerating_reproduces_the_committed_files(tmp_path: Path) -> None:
    written = build_bundles.build(tmp_path)
    assert sorted(p.name for p in (tmp_path / "bundles").glob("*.json")) == BUNDLE_FILES
    for path in written:
        committed = DEMO / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes(), f"{committed.name} is out of date"
