"""The OpenAPI schema of GET /api/patients/{id}/assessment describes the real response: the contract
of DESIGN.md ("Contracts", `hosentinel assess`), closed at every level (no key the schema does not
name), and every demo patient's response validates against it.

Written from the contract, quoted below, not from the code that produces it."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from hosentinel.demo.catalog import load_catalog
from tests.support.appkit import SignedIn
from tests.support.contract import ASSESSMENT_TOP_LEVEL

ROUTE = "/api/patients/{patient_id}/assessment"

# DESIGN.md, "Contracts", `hosentinel assess` (CLI): "JSON output, all dates ISO 8601:"
CONTRACT = """
{
  "patient": "Patient/<id>",
  "as_of": "YYYY-MM-DD",
  "knowledge": {"release": "...", "digest": "sha256:..."},
  "index_events": [{"kind": "sci|tbi|stroke|burn|fracture|arthroplasty|blast", "date": "...",
                    "days_since": 0, "basis": {...}}],
  "risk": {"level": "low|moderate|high", "factors": [{"id": "...", "basis": {...}}],
           "models": [{"id": "...", "status": "computed|not-computable", "value": ..., "basis": {...}}]},
  "surveillance": {"phase": "not-applicable|before-window|in-window|after-window",
                   "window": {"start": "...", "end": "..."},
                   "due": [{"joint": "hip|knee|elbow|shoulder", "side": "left|right", "due": "..."}]},
  "suspicion": {"level": "none|possible|probable|confirmed",
                "sites": [{"joint": "...", "side": "...", "level": "...", "findings": [...]}]},
  "recommendations": [{"id": "<vocabulary below>", "category": "...", "priority": "routine|soon|urgent",
                       "summary": "...", "rationale": "...", "basis": {...}}],
  "cautions": [{"about": "<recommendation id>", "level": "contraindicated|caution",
                "reason": "<reason id>", "summary": "...", "basis": {...}}],
  "lesions": [{"joint": "...", "side": "...", "maturity": "active|maturing|mature|unknown",
               "surgical_referral": "not-indicated|when-mature|now", "basis": {...}}],
  "education": [{"id": "...", "stage": "...", "level": "basics|detailed", "title": "..."}],
  "missing_inputs": [{"id": "...", "why_it_matters": "..."}]
}

Every `basis` names the rule, the knowledge entries and citations it rests on, and the patient's
own inputs (FHIR references, values, dates) that made it fire.

Recommendation ids (extend, never rename): `serial-joint-exam`, `rule-out-dvt`,
`rule-out-infection`, `rule-out-fracture`, `triple-phase-bone-scan`, `repeat-bone-scan`,
`plain-radiograph`, `ultrasound-soft-tissue`, `ct-for-surgical-planning`, `serum-alp`, `serum-crp`,
`serum-ck`, `rom-therapy`, `spasticity-management`, `pain-management`, `nsaid-indomethacin`,
`etidronate`, `alendronate`, `radiation-prophylaxis`, `surgical-referral`.
Caution reasons: `gi-bleed-history`, `peptic-ulcer`, `anticoagulant`, `renal-impairment`,
`pregnancy`, `fracture-healing`, `recent-cabg`, `heart-failure`, `oesophageal-disorder`,
`cannot-sit-upright`, `hypocalcaemia`, `allergy`.

Additions of 2026-12-05 (extend, never rename):
- Each recommendation has `"tier": "next|also"` [...] Each drug recommendation has `"cautions": [reason
  ids]` [...]
- Caution reasons added: `antiplatelet`, `ssri`, `corticosteroid`, `osteomalacia`.
- Top-level `"patient_status": "active|deceased"`.
"""  # noqa: E501 (quoted as written)
# Clinical notes (contract): a basis input `{"ref": "DocumentReference/<id>", "what": "<finding>
# (from note)", "value": "<the sentence or phrase it was read from>", "date": ...}`.
INPUT_KEYS = ("ref", "what", "value", "date")

# Path (list items as "[]") -> the keys the contract names there.
KEYS: dict[str, tuple[str, ...]] = {
    "": ASSESSMENT_TOP_LEVEL,
    "knowledge": ("release", "digest"),
    "index_events[]": ("kind", "date", "days_since", "basis"),
    "risk": ("level", "factors", "models"),
    "risk.factors[]": ("id", "basis"),
    "risk.models[]": ("id", "status", "value", "basis"),
    "surveillance": ("phase", "window", "due"),
    "surveillance.window": ("start", "end"),
    "surveillance.due[]": ("joint", "side", "due"),
    "suspicion": ("level", "sites"),
    "suspicion.sites[]": ("joint", "side", "level", "findings"),
    "recommendations[]": ("id", "category", "priority", "summary", "rationale", "basis", "tier"),
    "cautions[]": ("about", "level", "reason", "summary", "basis"),
    "lesions[]": ("joint", "side", "maturity", "surgical_referral", "basis"),
    "education[]": ("id", "stage", "level", "title"),
    "missing_inputs[]": ("id", "why_it_matters"),
    "risk.basis": ("rule", "entries", "citations", "inputs"),
    "risk.basis.inputs[]": INPUT_KEYS,
}
# Path of a string -> its values, as the contract spells them ("a|b|c").
ENUMS: dict[str, str] = {
    "patient_status": "active|deceased",
    "index_events[].kind": "sci|tbi|stroke|burn|fracture|arthroplasty|blast",
    "risk.level": "low|moderate|high",
    "risk.models[].status": "computed|not-computable",
    "surveillance.phase": "not-applicable|before-window|in-window|after-window",
    "surveillance.due[].joint": "hip|knee|elbow|shoulder",
    "surveillance.due[].side": "left|right",
    "suspicion.level": "none|possible|probable|confirmed",
    "suspicion.sites[].level": "none|possible|probable|confirmed",
    "recommendations[].priority": "routine|soon|urgent",
    "recommendations[].tier": "next|also",
    "cautions[].level": "contraindicated|caution",
    "lesions[].maturity": "active|maturing|mature|unknown",
    "lesions[].surgical_referral": "not-indicated|when-mature|now",
    "education[].level": "basics|detailed",
}
# "all dates ISO 8601"
DATES = (
    "as_of",
    "index_events[].date",
    "surveillance.window.start",
    "surveillance.window.end",
    "surveillance.due[].due",
)


def _ids_after(label: str, until: str) -> set[str]:
    text = CONTRACT[CONTRACT.index(label) : CONTRACT.index(until, CONTRACT.index(label))]
    return set(re.findall(r"`([a-z-]+)`", text))


RECOMMENDATION_IDS = _ids_after("Recommendation ids", "Caution reasons")
CAUTION_REASONS = _ids_after("Caution reasons:", "Additions") | _ids_after(
    "Caution reasons added", "Top-level"
)


@pytest.fixture
def openapi(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def route_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """The route's 200 response schema, with the components its references point into."""
    response = openapi["paths"][ROUTE]["get"]["responses"]["200"]
    schema = dict(response["content"]["application/json"]["schema"])
    schema["components"] = openapi["components"]
    return schema


def resolve(openapi: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A schema with `$ref` followed and a nullable `anyOf` reduced to its non-null member."""
    while True:
        if "$ref" in schema:
            schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
        elif "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"]
            assert len(options) == 1, schema
            schema = options[0]
        else:
            return schema


def at(openapi: dict[str, Any], path: str) -> dict[str, Any]:
    """The object or value schema at a dotted path ("[]" steps into list items)."""
    schema = resolve(openapi, route_schema(openapi))
    for step in filter(None, path.split(".")):
        name, items = step.removesuffix("[]"), step.endswith("[]")
        schema = resolve(openapi, schema["properties"][name])
        if items:
            assert schema["type"] == "array", path
            schema = resolve(openapi, schema["items"])
    return schema


def test_the_quoted_contract_holds_the_keys_and_values_checked() -> None:
    # The tables above are read from the quote; a typo in them would check nothing.
    for path, keys in KEYS.items():
        for key in keys:
            # A key of the JSON block, or a word of the sentence on `basis` and of the notes quote.
            assert re.search(rf"\b{key}\b", CONTRACT) or key in INPUT_KEYS, (path, key)
    for path, values in ENUMS.items():
        assert f'"{path.rsplit(".", 1)[-1]}": "{values}"' in CONTRACT, path
    assert len(RECOMMENDATION_IDS) == 20 and "surgical-referral" in RECOMMENDATION_IDS
    assert len(CAUTION_REASONS) == 16 and {"allergy", "osteomalacia"} <= CAUTION_REASONS


def test_the_schema_names_every_contract_key(openapi: dict[str, Any]) -> None:
    for path, keys in KEYS.items():
        schema = at(openapi, path)
        assert set(keys) <= set(schema["properties"]), (path, set(keys) - set(schema["properties"]))


def test_the_schema_spells_the_contract_vocabularies(openapi: dict[str, Any]) -> None:
    for path, values in ENUMS.items():
        assert set(at(openapi, path)["enum"]) == set(values.split("|")), path
    assert set(at(openapi, "recommendations[].id")["enum"]) == RECOMMENDATION_IDS
    assert set(at(openapi, "cautions[].about")["enum"]) == RECOMMENDATION_IDS
    assert set(at(openapi, "cautions[].reason")["enum"]) == CAUTION_REASONS
    for path in DATES:
        assert (at(openapi, path)["type"], at(openapi, path)["format"]) == ("string", "date"), path


def _objects(openapi: dict[str, Any], schema: Any, seen: set[str]) -> Iterator[dict[str, Any]]:
    """Every object schema reachable from `schema` (each component once)."""
    if isinstance(schema, list):
        for item in schema:
            yield from _objects(openapi, item, seen)
        return
    if not isinstance(schema, dict):
        return
    ref = schema.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name not in seen:
            seen.add(name)
            yield from _objects(openapi, openapi["components"]["schemas"][name], seen)
        return
    if schema.get("type") == "object" or "properties" in schema:
        yield schema
    for key, value in schema.items():
        if key != "components":
            yield from _objects(openapi, value, seen)


def test_every_level_of_the_schema_is_closed(openapi: dict[str, Any]) -> None:
    seen: set[str] = set()
    objects = list(_objects(openapi, route_schema(openapi), seen))
    assert len(seen) >= 20, seen
    for schema in objects:
        assert "properties" in schema, schema
        assert schema.get("additionalProperties") is False, schema.get("title")


def validator(openapi: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(route_schema(openapi), format_checker=FormatChecker())


def test_every_demo_patient_s_response_validates_against_the_schema(
    openapi: dict[str, Any],
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
) -> None:
    check = validator(openapi)
    client = signed_in("physiatrist").client
    seen_keys: set[str] = set()
    for entry in load_catalog():
        response = client.get(f"/api/patients/{demo_patient_ids[entry.file]}/assessment")
        assert response.status_code == 200, entry.file
        body = response.json()
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in check.iter_errors(body)]
        assert not errors, (entry.file, errors[:5])
        seen_keys |= {k for r in body["recommendations"] for k in r}
    # The optional keys of a recommendation were all exercised by some demo patient.
    optional = {
        "cautions",
        "waits_for",
        "sites",
        "evidence",
        "conflicting_evidence",
        "availability",
    }
    assert optional <= seen_keys


def test_the_schema_refuses_a_drifted_response(
    openapi: dict[str, Any],
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
) -> None:
    """What drift looks like is caught: a key the contract does not have, at any depth; a key
    that is left out when empty sent as null; a value outside the vocabulary; a bad date."""
    check = validator(openapi)
    pid = demo_patient_ids["12-burn-40pct-arm-graft.json"]
    body = signed_in("physiatrist").client.get(f"/api/patients/{pid}/assessment").json()
    check.validate(body)
    drifts: list[Callable[[dict[str, Any]], None]] = [
        lambda b: b.update(extra=1),
        lambda b: b["risk"]["basis"].update(extra=1),
        lambda b: b["risk"]["factors"][0]["basis"]["inputs"][0].update(extra=1),
        lambda b: b["recommendations"][0].update(sites=None),
        lambda b: b["risk"]["basis"].update(note=None),
        lambda b: b["recommendations"][0].update(id="not-a-recommendation"),
        lambda b: b["surveillance"].update(phase="later"),
        lambda b: b.update(as_of="5 Dec 2026"),
        lambda b: b.pop("missing_inputs"),
    ]
    for drift in drifts:
        drifted = copy.deepcopy(body)
        drift(drifted)
        with pytest.raises(ValidationError):
            check.validate(drifted)
