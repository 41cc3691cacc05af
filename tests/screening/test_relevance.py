"""The relevance pattern keeps every resource that can change an assessment."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hosentinel.core.facts import build_facts
from hosentinel.core.record import PatientRecord
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, default_knowledge
from hosentinel.screening.extraction import CODED, ESCAPED
from hosentinel.screening.relevance import (
    PatternError,
    factor,
    lowercase,
    portable,
    relevance_pattern,
)
from tests.support.screenkit import AS_OF, SYNTHEA, ExportRun, bundles

CODED_KEYS = [path.removeprefix("$.") for path in CODED]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bburns?\b(?! ?out)", r"\bburns?\b"),
        (r"(?<!no )fever", "fever"),
        (r"^coma$", "coma"),
        (r"(?P<drug>warfarin)", "(?:warfarin)"),
        (r"[)(?!]x", r"[)(?!]x"),
        (r"a\(?=b", r"a\(?=b"),
        (r"(?i)dvt", "dvt"),
        (r"x(?#note)y", "xy"),
    ],
)
def test_portable_patterns_only_widen(pattern: str, expected: str) -> None:
    assert portable(pattern) == expected


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?>atomic)", r"(?x) verbose", r"[abc"])
def test_patterns_without_a_safe_translation_are_refused(pattern: str) -> None:
    with pytest.raises(PatternError):
        portable(pattern)


def test_the_knowledge_base_patterns_translate_and_compile() -> None:
    pattern = relevance_pattern(default_knowledge())
    assert pattern == pattern.lower() or "\\S" in pattern or "\\W" in pattern
    re.compile(pattern)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (r"\bAIS A\b", r"\bais a\b"),
        (r"\S\W\D[A-Z]", r"\S\W\D[a-z]"),
    ],
)
def test_lowercase_keeps_escapes(pattern: str, expected: str) -> None:
    assert lowercase(pattern) == expected


@pytest.mark.parametrize(
    "alternatives",
    [
        [r"\bsepticaemia|\bsepticemia", r"\bstroke\b", "spasticity"],
        [r"\b(total )?hip (arthroplasty|replacement)", r"\b(o)?esophageal", r"\bhip swelling"],
        [r"\b(a|b(c|d))x", "(ab)+c", r"\b(x)*y", "a?b", "s14\\.?11", "s06"],
    ],
)
def test_factoring_matches_the_same_texts(alternatives: list[str]) -> None:
    flat = re.compile("|".join(f"(?:{a})" for a in alternatives))
    factored = re.compile(factor(alternatives))
    words = [
        "septicaemia",
        "total hip replacement",
        "hip arthroplasty",
        "esophageal",
        "oesophageal",
        "bdx",
        "ax",
        "ababc",
        "xxy",
        "y",
        "b",
        "ab",
        "s1411",
        "s14.11",
        "s06",
        "stroke",
        "strokes",
        "spasticity",
        "hip swelling",
        "the total hip replacement",
        "heatstroke",
        "x",
    ]
    for text in [*words, *(f"a {w}." for w in words)]:
        assert bool(flat.search(text)) == bool(factored.search(text)), text


def coded_text(resource: dict[str, Any]) -> str:
    """What the engines match: the coded elements as JSON text, as `extraction.py` builds it."""
    return "".join(
        orjson.dumps(resource[key]).decode() if key in resource else "" for key in CODED_KEYS
    )


def kept(text: str, pattern: re.Pattern[str]) -> bool:
    """As the extraction decides: escaped or non-ASCII, or the pattern, in the lower-cased text."""
    return re.search(f"{ESCAPED}|{pattern.pattern}", text.lower()) is not None


def is_note(resource: dict[str, Any]) -> bool:
    """A resource the extraction keeps for its text (`hosentinel.notes`)."""
    return resource.get("resourceType") == "DocumentReference" or bool(
        {"conclusion", "presentedForm"} & resource.keys()
    )


def matters(record: PatientRecord, knowledge: Knowledge) -> set[str]:
    """Refs of the record's entries that give a fact (or a finding) at any date."""
    facts = build_facts(record, knowledge, AS_OF.replace(year=2199))
    refs = {f.ref for group in facts.by_concept.values() for f in group}
    refs |= {o.ref for group in facts.findings.values() for o in group}
    return refs


def check_bundle(bundle: dict[str, Any], knowledge: Knowledge, pattern: re.Pattern[str]) -> int:
    record = read_bundle(bundle, knowledge, strict_dates=False)
    by_ref = {
        f"{e['resource']['resourceType']}/{e['resource'].get('id')}": e["resource"]
        for e in bundle["entry"]
        if isinstance(e.get("resource"), dict)
    }
    needed = matters(record, knowledge)
    for ref in needed:
        resource = by_ref[ref.split("#")[0]]
        if is_note(resource):  # kept whole for its text, whatever its codes (extraction.py)
            continue
        assert kept(coded_text(resource), pattern), ref
        stripped = {k: v for k, v in resource.items() if k not in CODED_KEYS}
        alone = {"resourceType": "Bundle", "entry": [bundle["entry"][0], {"resource": stripped}]}
        # Without its coded elements, nothing of it counts: they are all the engine reads.
        assert not matters(read_bundle(alone, knowledge, strict_dates=False), knowledge), ref
    return len(needed)


def test_every_demo_resource_that_counts_is_kept(knowledge: Knowledge) -> None:
    pattern = re.compile(relevance_pattern(knowledge))
    total = 0
    for entry in load_catalog():
        bundle = orjson.loads(entry.path.read_bytes())
        patient_first = sorted(
            bundle["entry"],
            key=lambda e: (e.get("resource") or {}).get("resourceType") != "Patient",
        )
        total += check_bundle({**bundle, "entry": patient_first}, knowledge, pattern)
    assert total > 150


def test_every_synthetic_resource_that_counts_is_kept(
    small_export: ExportRun, knowledge: Knowledge
) -> None:
    pattern = re.compile(relevance_pattern(knowledge))
    total = sum(
        check_bundle(b, knowledge, pattern) for b in bundles(small_export.directory).values()
    )
    # Enough entries were checked for the test to mean something (299 on 2026-12-05, after drug
    # concepts stopped holding conditions and concussion stopped being an index event).
    assert total > 250


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="the Synthea sample is in ../shared")
def test_every_synthea_resource_that_counts_is_kept(knowledge: Knowledge) -> None:
    pattern = re.compile(relevance_pattern(knowledge))
    total = sum(check_bundle(b, knowledge, pattern) for b in bundles(SYNTHEA).values())
    assert total > 10


WORDS = sorted(
    {
        word
        for p, _ in default_knowledge().text_patterns
        for word in re.findall(r"[A-Za-z][A-Za-z -]{2,}", p.pattern)
    }
)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=3),
    glue=st.sampled_from([" ", ", ", " of the ", "-", "/", " (", ": "]),
    case=st.sampled_from([str.lower, str.upper, str.title, str]),
    noise=st.text(alphabet="abcxyz 0123()-,.", max_size=8),
)
def test_any_text_the_knowledge_base_matches_is_kept(
    words: list[str], glue: str, case: Any, noise: str
) -> None:
    knowledge = default_knowledge()
    pattern = re.compile(relevance_pattern(knowledge))
    display = case(noise + glue.join(words) + noise)
    if knowledge.concepts_for_text(display):
        concept = {
            "coding": [{"system": "http://example.org/local", "code": "x1", "display": display}]
        }
        assert kept(coded_text({"code": concept}), pattern), display
        assert kept(coded_text({"medicationCodeableConcept": {"text": display}}), pattern)


@settings(max_examples=300, deadline=None)
@given(
    entry=st.sampled_from(
        sorted(
            (system, code)
            for system, code in [
                *default_knowledge().exact_codes,
                *default_knowledge().prefix_codes,
            ]
        )
    ),
    suffix=st.text(alphabet="0123456789ABCXYZ", max_size=4),
    lower=st.booleans(),
    undotted=st.booleans(),
    spaces=st.booleans(),
)
def test_any_code_the_knowledge_base_matches_is_kept(
    entry: tuple[str, str], suffix: str, lower: bool, undotted: bool, spaces: bool
) -> None:
    knowledge = default_knowledge()
    pattern = re.compile(relevance_pattern(knowledge))
    system, code = entry
    raw = code + (suffix if system == "icd10cm" else "")
    if undotted:
        raw = raw.replace(".", "")
    if lower:
        raw = raw.lower()
    if spaces:
        raw = f"  {raw} "
    uri = {
        "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
        "finding": "https://hosentinel.org/fhir/CodeSystem/finding",
    }.get(system, "urn:oid:2.16.840.1.113883.6.96")
    resource = {"code": {"coding": [{"system": uri, "code": raw}]}}
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Condition", "id": "c", **resource}},
        ],
    }
    record = read_bundle(bundle, knowledge)  # a code FHIR refuses (spaces) skips the Condition
    codings = [c for condition in record.conditions for c in condition.codings]
    if any(knowledge.concepts_for_code(c.system, c.code) for c in codings):
        assert kept(coded_text(resource), pattern), raw


def test_escaped_or_non_ascii_text_is_always_kept(knowledge: Knowledge) -> None:
    pattern = re.compile(relevance_pattern(knowledge))
    # "Stroke" with an escaped letter, and with a long s that folds to "s" in Python's re.
    assert kept('{"text":"\\u0053troke"}', pattern)
    assert kept('{"text":"\u017ftroke"}', pattern)
    assert knowledge.concepts_for_text("\u017ftroke")  # Python's matching does fold it
    # KELVIN SIGN lower-cases to ASCII "k": no longer outside ASCII, but then the pattern matches.
    assert kept('{"text":"Stro\u212ae"}', pattern)
    assert knowledge.concepts_for_text("Stro\u212ae")
    assert not kept('{"text":"Heart rate"}', pattern)


def test_the_pattern_is_not_a_catch_all(small_export: ExportRun, knowledge: Knowledge) -> None:
    pattern = re.compile(relevance_pattern(knowledge))
    lines = [
        orjson.loads(line)
        for path in sorted(Path(small_export.directory).glob("Observation.*.ndjson"))
        for line in path.read_bytes().splitlines()
    ]
    share = sum(kept(coded_text(r), pattern) for r in lines) / len(lines)
    assert share < 0.05
