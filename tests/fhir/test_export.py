"""Assessments exported as FHIR R4 validate against the fhir.resources R4B models."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.export import assessment_bundle
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge

CATALOG = load_catalog()
K = default_knowledge()


def exported(entry: DemoPatient) -> tuple[dict[str, Any], Assessment]:
    record = read_bundle(entry.path.read_bytes(), K)
    a = evaluate(record, K, entry.as_of)
    return assessment_bundle(a, K), a


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_export_validates_as_fhir(entry: DemoPatient) -> None:
    bundle, a = exported(entry)
    parsed = Bundle.model_validate(bundle)
    kinds = [e.resource.__resource_type__ for e in parsed.entry or [] if e.resource is not None]
    assert kinds[:2] == ["RiskAssessment", "CarePlan"]
    assert kinds.count("DetectedIssue") == len(a.cautions)
    assert kinds.count("DocumentReference") == len(a.education)


def test_risk_assessment_basis_references_the_inputs() -> None:
    entry = next(e for e in CATALOG if e.file.startswith("02-"))
    bundle, a = exported(entry)
    risk = bundle["entry"][0]["resource"]
    refs = {b["reference"] for b in risk["basis"]}
    expected = {i.ref for f in a.risk.factors for i in f.basis.inputs if "/" in i.ref}
    assert expected and expected <= refs
    assert risk["prediction"][0]["qualitativeRisk"]["coding"][0]["code"] == a.risk.level


def test_contraindications_are_high_severity_issues() -> None:
    entry = next(e for e in CATALOG if e.file.startswith("19-"))
    bundle, _ = exported(entry)
    issues = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "DetectedIssue"
    ]
    pregnancy = [i for i in issues if "pregnancy" in i["code"]["text"]]
    assert pregnancy and pregnancy[0]["severity"] == "high"


def test_education_text_round_trips() -> None:
    bundle, a = exported(CATALOG[1])
    docs = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "DocumentReference"
    ]
    body = base64.b64decode(docs[0]["content"][0]["attachment"]["data"]).decode()
    module = {m.id: m for m in K.education}[a.education[0].id]
    assert body == module.body


def test_export_is_deterministic() -> None:
    first, _ = exported(CATALOG[4])
    second, _ = exported(CATALOG[4])
    assert first == second


def test_careplan_follows_us_core_and_detected_issues_name_what_they_implicate() -> None:
    from fhir.resources.R4B.careplan import CarePlan
    from fhir.resources.R4B.detectedissue import DetectedIssue

    knowledge = default_knowledge()
    entry = next(e for e in load_catalog() if e.file.startswith("19-"))
    record = read_bundle(entry.path.read_bytes(), knowledge)
    bundle = assessment_bundle(evaluate(record, knowledge, entry.as_of), knowledge)
    resources = [e["resource"] for e in bundle["entry"]]
    (plan,) = [r for r in resources if r["resourceType"] == "CarePlan"]
    CarePlan.model_validate(plan)
    assert plan["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-careplan"
    ]
    assert plan["category"][0]["coding"][0]["code"] == "assess-plan"
    assert plan["text"]["status"] == "generated" and plan["text"]["div"].startswith("<div xmlns=")
    issues = [r for r in resources if r["resourceType"] == "DetectedIssue"]
    assert issues
    for issue in issues:
        DetectedIssue.model_validate(issue)
        if "evidence" in issue:
            assert issue["implicated"] == issue["evidence"][0]["detail"]
    assert any("implicated" in i for i in issues)
