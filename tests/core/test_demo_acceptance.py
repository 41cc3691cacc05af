"""Each demo patient's assessment matches what the catalog says a clinician expects."""

from __future__ import annotations

import pytest

from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge

CATALOG = load_catalog()


def assess(entry: DemoPatient) -> Assessment:
    knowledge = default_knowledge()
    return evaluate(read_bundle(entry.path.read_bytes(), knowledge), knowledge, entry.as_of)


def mismatches(entry: DemoPatient, a: Assessment) -> list[str]:
    expect = entry.expect
    problems: list[str] = []
    for key, actual in (
        ("phase", a.surveillance.phase),
        ("risk_level", a.risk.level),
        ("suspicion", a.suspicion.level),
    ):
        if key in expect and expect[key] != actual:
            problems.append(f"{key}: expected {expect[key]}, got {actual}")
    ids = set(a.recommendation_ids())
    for rec in expect.get("recommendations_include") or []:
        if rec not in ids:
            problems.append(f"missing recommendation {rec}")
    for rec in expect.get("recommendations_exclude") or []:
        if rec in ids:
            problems.append(f"unexpected recommendation {rec}")
    cautions = {(c.about, c.reason, c.level) for c in a.cautions}
    for c in expect.get("cautions_include") or []:
        if (c["about"], c["reason"], c["level"]) not in cautions:
            problems.append(f"missing caution {c}")
    lesions = {(lesion.joint, lesion.side): lesion for lesion in a.lesions}
    for want in expect.get("lesions") or []:
        got = lesions.get((want["joint"], want["side"]))
        if got is None:
            problems.append(f"missing lesion {want}")
            continue
        for key in ("maturity", "surgical_referral"):
            if key in want and getattr(got, key) != want[key]:
                problems.append(f"lesion {want['joint']}: {key} {getattr(got, key)} != {want[key]}")
    return problems


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_demo_patient_meets_expectations(entry: DemoPatient) -> None:
    a = assess(entry)
    assert mismatches(entry, a) == []


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_every_output_item_has_a_basis(entry: DemoPatient) -> None:
    a = assess(entry)
    bases = [e.basis for e in a.index_events] + [f.basis for f in a.risk.factors]
    bases += [r.basis for r in a.recommendations] + [c.basis for c in a.cautions]
    bases += [s.basis for s in a.suspicion.sites] + [lesion.basis for lesion in a.lesions]
    bases += [d.basis for d in a.surveillance.due] + [e.basis for e in a.education]
    for basis in bases:
        assert basis.rule
        assert basis.citations or basis.entries
    for item in list(a.recommendations) + list(a.cautions) + list(a.risk.factors):
        assert item.basis.inputs, f"{item} names none of the patient's inputs"


def test_acceptance_check_can_fail() -> None:
    entry = CATALOG[0]
    a = assess(entry)
    altered = DemoPatient(
        file=entry.file,
        path=entry.path,
        patient=entry.patient,
        title=entry.title,
        population=entry.population,
        stage=entry.stage,
        as_of=entry.as_of,
        story=entry.story,
        expect={"phase": "after-window", "recommendations_include": ["surgical-referral"]},
    )
    assert len(mismatches(altered, a)) == 2
