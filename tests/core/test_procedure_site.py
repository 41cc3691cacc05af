"""A procedure's site: bodySite, else the joint and side its own name states.

After HO excision the plan names the operated joint, even when the record names it only in the
procedure's words.

The local setting the plan rests on (knowledge/data/settings.yaml, post_excision_followup_days):
"Days after HO excision during which the operated joint is examined for recurrence and therapy
continues." The knowledge base knows an HO excision by its words only (valuesets/clinical.yaml,
`ho-excision`: "(excision|resection|removal) of (the )?(heterotopic|ectopic) (ossification|bone)"),
so such a procedure often comes without a code and without bodySite.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, default_knowledge

AFTER_EXCISION = ("serial-joint-exam", "rom-therapy")


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return default_knowledge()


def _demo() -> tuple[dict[str, Any], date]:
    (entry,) = [e for e in load_catalog() if e.file == "23-sci-after-hip-ho-excision.json"]
    bundle: dict[str, Any] = json.loads(entry.path.read_text(encoding="utf-8"))
    return bundle, entry.as_of


def _excision(bundle: dict[str, Any]) -> dict[str, Any]:
    (procedure,) = [
        e["resource"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Procedure"
        and "heterotopic" in e["resource"]["code"]["text"].lower()
    ]
    return procedure  # type: ignore[no-any-return]


def _after_excision_sites(bundle: dict[str, Any], as_of: date, knowledge: Knowledge) -> set[str]:
    assessment = evaluate(read_bundle(bundle, knowledge), knowledge, as_of)
    chosen = [r for r in assessment.recommendations if r.id in AFTER_EXCISION]
    assert {r.id for r in chosen} == set(AFTER_EXCISION)
    return {site for r in chosen for site in r.sites}


@pytest.mark.parametrize(
    "name",
    [
        "Excision of heterotopic ossification of right hip",
        "Right hip: resection of heterotopic bone",
        "Removal of the ectopic bone, hip (right)",
    ],
)
def test_the_operated_joint_is_read_from_the_procedures_name(
    name: str, knowledge: Knowledge
) -> None:
    bundle, as_of = _demo()
    excision = _excision(bundle)
    del excision["bodySite"]
    excision["code"] = {"text": name}
    assert _after_excision_sites(bundle, as_of, knowledge) == {"right hip"}


def test_body_site_wins_over_the_name(knowledge: Knowledge) -> None:
    bundle, as_of = _demo()
    excision = _excision(bundle)
    assert _after_excision_sites(copy.deepcopy(bundle), as_of, knowledge) == {"right hip"}
    excision["code"] = {"text": "Excision of heterotopic ossification of left elbow"}
    assert _after_excision_sites(bundle, as_of, knowledge) == {"right hip"}


def test_a_name_that_states_no_joint_still_gives_no_joint(knowledge: Knowledge) -> None:
    bundle, as_of = _demo()
    excision = _excision(bundle)
    del excision["bodySite"]
    excision["code"] = {"text": "Excision of heterotopic ossification"}
    assert _after_excision_sites(bundle, as_of, knowledge) == {"limb"}


def _tha() -> tuple[dict[str, Any], date]:
    (entry,) = [e for e in load_catalog() if e.file == "18-tha-ckd-egfr-28.json"]
    bundle: dict[str, Any] = json.loads(entry.path.read_text(encoding="utf-8"))
    return bundle, entry.as_of


def _due(bundle: dict[str, Any], as_of: date, knowledge: Knowledge) -> set[tuple[str, str]]:
    assessment = evaluate(read_bundle(bundle, knowledge), knowledge, as_of)
    return {(d.joint, d.side) for d in assessment.surveillance.due}


@pytest.mark.parametrize(
    ("name", "due"),
    [
        ("Total replacement of hip, left", {("hip", "left")}),
        ("Total replacement of hip", {("hip", "left"), ("hip", "right")}),
    ],
)
def test_any_procedure_recorded_by_name_is_placed_by_its_name_as_by_body_site(
    name: str, due: set[tuple[str, str]], knowledge: Knowledge
) -> None:
    """The same rule for every procedure: a side its name states counts as bodySite's would.
    The hip is the joint at risk (index_events.yaml, arthroplasty-hip, cit-zhu-2015-tha-meta:
    "HO after total hip arthroplasty (30% pooled)"); the record says which hip. The demo's right
    hip replacement (bodySite "Right") is due at the right hip only; a name with no side leaves
    both hips due, as before."""
    bundle, as_of = _tha()
    assert _due(copy.deepcopy(bundle), as_of, knowledge) == {("hip", "right")}
    (procedure,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    ]
    del procedure["bodySite"]
    procedure["code"] = {**procedure["code"], "text": name}
    procedure["code"]["coding"] = [{**c, "display": name} for c in procedure["code"]["coding"]]
    assert _due(bundle, as_of, knowledge) == due
