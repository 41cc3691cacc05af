"""`hosentinel synth`: deterministic, valid, realistic, and covering what the engine knows."""

from __future__ import annotations

import gzip
import itertools
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from hosentinel.cdshooks.orders import RADIATION_CONCEPT, RADIOGRAPH_CONCEPT
from hosentinel.core.facts import build_facts
from hosentinel.fhir.codes import system_alias
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge
from hosentinel.knowledge.schema import CAUTION_REASONS, RECOMMENDATION_IDS
from hosentinel.screening import vocabulary
from hosentinel.screening.scenarios import COVERAGE_STORIES, templates
from hosentinel.screening.synth import SynthOptions, is_scenario, synthesize
from hosentinel.synthetic.cases import CASES
from tests.support.screenkit import AS_OF, ExportRun, assess, bundles, export_lines

DATED = ("DateTime", "Date", "Period", "issued", "recorded", "authoredOn")


def file_bytes(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    for run in ("a", "b"):
        synthesize(tmp_path / run, SynthOptions(patients=120, seed=5, max_lines=900))
        synthesize(tmp_path / f"{run}-gz", SynthOptions(120, 5, gzip=True, max_lines=900))
    assert file_bytes(tmp_path / "a") == file_bytes(tmp_path / "b")
    assert file_bytes(tmp_path / "a-gz") == file_bytes(tmp_path / "b-gz")
    plain = {n: b for n, b in file_bytes(tmp_path / "a").items() if n.endswith(".ndjson")}
    for name, data in file_bytes(tmp_path / "a-gz").items():
        if name.endswith(".gz"):
            assert gzip.decompress(data) == plain[name.removesuffix(".gz")]


def test_another_seed_other_patients(tmp_path: Path) -> None:
    synthesize(tmp_path / "a", SynthOptions(patients=30, seed=1))
    synthesize(tmp_path / "b", SynthOptions(patients=30, seed=2))
    assert (tmp_path / "a" / "Patient.000.ndjson").read_bytes() != (
        tmp_path / "b" / "Patient.000.ndjson"
    ).read_bytes()


def test_a_patient_does_not_depend_on_the_export_size(tmp_path: Path) -> None:
    synthesize(tmp_path / "small", SynthOptions(patients=20, seed=9))
    synthesize(tmp_path / "large", SynthOptions(patients=60, seed=9))
    small = (tmp_path / "small" / "Patient.000.ndjson").read_bytes()
    assert (tmp_path / "large" / "Patient.000.ndjson").read_bytes().startswith(small)


def test_files_split_by_lines_and_the_manifest_lists_them(small_export: ExportRun) -> None:
    manifest = orjson.loads((small_export.directory / "manifest.json").read_bytes())
    assert manifest["transactionTime"] == f"{AS_OF.isoformat()}T00:00:00Z"
    assert manifest["requiresAccessToken"] is False
    assert manifest["error"] == []
    listed = {item["url"]: item for item in manifest["output"]}
    on_disk = {p.name for p in small_export.directory.glob("*.ndjson")}
    assert set(listed) == on_disk
    counted: Counter[str] = Counter()
    for path, _, line in export_lines(small_export.directory):
        if line:
            counted[path.name] += 1
            assert orjson.loads(line)["resourceType"] == listed[path.name]["type"]
    assert counted == {name: item["count"] for name, item in listed.items()}
    assert max(counted.values()) <= 2500
    observation_files = [n for n in listed if n.startswith("Observation.")]
    assert len(observation_files) > 1
    types = {item["type"] for item in manifest["output"]}
    assert {
        "Patient",
        "Condition",
        "Procedure",
        "Observation",
        "MedicationRequest",
        "AllergyIntolerance",
    } <= types


def test_every_resource_is_valid_fhir_r4b_and_none_is_dated_after_the_export(
    tmp_path: Path,
) -> None:
    synthesize(tmp_path, SynthOptions(patients=60, seed=4))
    checked = 0
    for _, _, line in export_lines(tmp_path):
        if not line:
            continue
        resource = orjson.loads(line)
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        for day in _dates(resource):
            assert day <= AS_OF.isoformat(), (resource["resourceType"], day)
        checked += 1
    assert checked > 3000


def _dates(value: Any) -> list[str]:
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, str) and key.endswith(DATED):
                found.append(item[:10])
            elif key.endswith("Period") and isinstance(item, dict):
                found.extend(v[:10] for v in item.values() if isinstance(v, str))
            else:
                found.extend(_dates(item))
    elif isinstance(value, list):
        for item in value:
            found.extend(_dates(item))
    return found


def test_the_everyday_vocabulary_means_nothing_to_the_knowledge_base(
    knowledge: Knowledge,
) -> None:
    codes: list[tuple[str, str, str]] = []
    for problem in vocabulary.PROBLEMS:
        if problem.icd10:
            codes.append(("icd10cm", problem.icd10, problem.display))
        if problem.snomed:
            codes.append(("snomed", problem.snomed, problem.display))
    codes += [("rxnorm", d.rxnorm, d.display) for d in vocabulary.DRUGS]
    measures = [*vocabulary.VITALS, *vocabulary.LABS, vocabulary.SYSTOLIC, vocabulary.DIASTOLIC]
    codes += [("loinc", m.loinc, m.display) for m in measures]
    listed = [
        *vocabulary.ROUTINE_PROCEDURES,
        *vocabulary.ALLERGENS,
        *vocabulary.VISIT_TYPES,
        vocabulary.BLOOD_PRESSURE,
    ]
    codes += [(system_alias(c.system), c.code, c.display) for c in listed]
    for system, code, display in codes:
        assert not knowledge.concepts_for_code(system, code), (system, code)
        assert not knowledge.concepts_for_text(display), display


def test_background_patients_have_nothing_the_engine_reads(
    small_export: ExportRun, knowledge: Knowledge
) -> None:
    patients = bundles(small_export.directory)
    order = [
        orjson.loads(line)["id"]
        for path, _, line in export_lines(small_export.directory)
        if path.name.startswith("Patient.") and line
    ]
    background = [pid for i, pid in enumerate(order) if not is_scenario(i, 0.2)]
    assert len(background) == 160
    for pid in background:
        record = read_bundle(patients[pid], knowledge)
        facts = build_facts(record, knowledge, AS_OF)
        assert not facts.by_concept and not facts.findings, pid
        assert len(patients[pid]["entry"]) > 20  # an everyday record, not an empty one


def test_problem_lists_are_coded_as_real_systems_code_them(small_export: ExportRun) -> None:
    systems: dict[str, set[str]] = {}
    for _, _, line in export_lines(small_export.directory):
        if not line:
            continue
        resource = orjson.loads(line)
        concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
        for coding in concept.get("coding", []):
            systems.setdefault(resource["resourceType"], set()).add(system_alias(coding["system"]))
    assert {"icd10cm", "snomed"} <= systems["Condition"]
    assert "loinc" in systems["Observation"] and "finding" in systems["Observation"]
    assert "rxnorm" in systems["MedicationRequest"]
    assert "snomed" in systems["Procedure"]
    assert {"snomed", "rxnorm"} <= systems["AllergyIntolerance"]


def test_the_export_covers_everything_the_engine_knows(
    small_export: ExportRun, knowledge: Knowledge
) -> None:
    """Every concept of the knowledge base is coded somewhere; and across the patients, as of
    the export's date, every index event, phase, risk level, suspicion level, caution reason,
    recommendation, education stage and lesion maturity comes out of the engine."""
    concepts: set[str] = set()
    seen: dict[str, set[str]] = {}
    for bundle in bundles(small_export.directory).values():
        record = read_bundle(bundle, knowledge)
        concepts |= set(build_facts(record, knowledge, date.max).by_concept)
        concepts |= set(build_facts(record, knowledge, AS_OF).by_concept)
        result = assess(bundle, AS_OF, knowledge)
        groups: dict[str, set[str]] = {
            "kind": {e.kind for e in result.index_events},
            "phase": {result.surveillance.phase},
            "risk": {result.risk.level},
            "suspicion": {result.suspicion.level},
            "caution": {c.reason for c in result.cautions},
            "recommendation": {r.id for r in result.recommendations},
            "stage": {e.stage for e in result.education},
            "maturity": {lesion.maturity for lesion in result.lesions},
        }
        for key, values in groups.items():
            seen.setdefault(key, set()).update(values)
    # Draft-order concepts describe what a clinician is ordering (CDS Hooks), not the record;
    # the codes of the orders HO Sentinel writes (fhir/order_codes.py) are output, not input.
    order_concepts = {
        RADIATION_CONCEPT,
        RADIOGRAPH_CONCEPT,
        "bone-scan-order",
        "surgeon-referral-order",
    }
    assert set(knowledge.concepts) - order_concepts - concepts == set()
    assert seen["kind"] == {k.id for k in knowledge.index_events.kinds}
    assert seen["phase"] == {"not-applicable", "before-window", "in-window", "after-window"}
    assert seen["risk"] == {"low", "moderate", "high"}
    assert seen["suspicion"] == {"none", "possible", "probable", "confirmed"}
    assert seen["caution"] == set(CAUTION_REASONS)
    assert seen["recommendation"] == set(RECOMMENDATION_IDS)
    assert {"at-risk", "suspected", "active", "maturing", "before-surgery", "after-surgery"} <= (
        seen["stage"]
    )
    assert {"active", "maturing", "mature"} <= seen["maturity"]


def test_every_story_is_told_and_only_valid_resources_are_kept() -> None:
    stories = templates()
    assert len({t.slug for t in stories}) == len(stories) == len(CASES) + len(COVERAGE_STORIES)
    messy = next(t for t in stories if t.slug == "messy-real-world-export")
    # The demo's invalid resources (bad status, unknown type) are not written; the rest is.
    assert {r.rtype for r in messy.resources} == {"Condition", "Observation", "MedicationRequest"}
    assert all(t.resources for t in stories)


@pytest.mark.parametrize("share", [0.0, 0.2, 1.0])
def test_the_scenario_share_is_spread_evenly(share: float) -> None:
    chosen = [i for i in range(1000) if is_scenario(i, share)]
    assert len(chosen) == round(1000 * share)
    if 0 < share < 1:
        gaps = {b - a for a, b in itertools.pairwise(chosen)}
        assert gaps == {round(1 / share)}
