"""Unconfirmed ([U]) claims from the clinical notes never enter the knowledge base as facts.

`unconfirmed.yaml` lists each [U] statement with regular expressions that would match it. These
tests check the list itself, then scan every other knowledge file for the patterns:

- every string value, and every mapping written out on one line as "key: value | key: value", so
  that structured fields (`egfr_below: 30`, an effect's `measure` with its `citation`) are caught;
- `title` in citations.yaml is skipped, because a paper's title may name a claim;
- a match is excused when the sentence around it says the point is not confirmed ("not
  confirmed", "no source", "was not read", ...). That is how limitations describe a gap. A
  sentence that states the claim and disclaims it together passes, so keep each claim in its own
  sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml

from hosentinel.knowledge.schema import Unconfirmed

REPO = Path(__file__).parents[2]
DATA = REPO / "src" / "hosentinel" / "knowledge" / "data"
NOTES = Path(__file__).parents[3] / "shared" / "clinical"
REGISTRY = DATA / "unconfirmed.yaml"
NO_PATTERN = "no pattern:"
NOTES_VOCABULARY = "notes/vocabulary.yaml"

SENTENCE_END = re.compile(r"\s\|\s|(?<=[.;!?])\s+")
DISCLAIMER = re.compile(
    r"\b(not|never|nor)\s+(been\s+)?(confirmed|verified|checked|read|used|found|sourced|encoded)\b"
    r"|\bunconfirmed\b|\bunverified\b|\bno source\b|\bnone (was|were) found\b",
    re.IGNORECASE,
)


class Hit(NamedTuple):
    file: str
    item: str
    matched: str
    context: str

    def __str__(self) -> str:
        return f"{self.file}: {self.item} matched {self.matched!r} in {self.context!r}"


def load_items() -> list[Unconfirmed]:
    raw = yaml.safe_load(REGISTRY.read_text(encoding="utf-8")) or []
    return [Unconfirmed.model_validate(item) for item in raw]


ITEMS = load_items()


def compiled(items: Iterable[Unconfirmed]) -> list[tuple[str, re.Pattern[str]]]:
    return [(item.id, re.compile(p, re.IGNORECASE)) for item in items for p in item.patterns]


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def texts(node: Any) -> Iterator[str]:
    """Every string in a YAML document, plus each mapping's scalar fields on one line."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        fields = []
        for key, value in node.items():
            if _scalar(value):
                fields.append(f"{key}: {value}")
            elif isinstance(value, list) and value and all(_scalar(v) for v in value):
                fields.append(f"{key}: {' | '.join(str(v) for v in value)}")
        if fields:
            yield " | ".join(fields)
        for value in node.values():
            yield from texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from texts(value)


def _sentence_around(text: str, start: int, end: int) -> str:
    left = 0
    for boundary in SENTENCE_END.finditer(text, 0, start):
        left = boundary.end()
    following = SENTENCE_END.search(text, end)
    right = following.start() if following else len(text)
    return text[left:right]


def find_claims(
    source: str, strings: Iterable[str], patterns: list[tuple[str, re.Pattern[str]]]
) -> list[Hit]:
    hits: list[Hit] = []
    for text in strings:
        for item_id, pattern in patterns:
            for match in pattern.finditer(text):
                context = _sentence_around(text, match.start(), match.end())
                if not DISCLAIMER.search(context):
                    hits.append(Hit(source, item_id, match.group(0), context))
    # A mapping's one-line form repeats its strings; report each claim once.
    return list({(hit.file, hit.item, hit.matched): hit for hit in hits}.values())


def knowledge_documents() -> Iterator[tuple[str, Any]]:
    for path in sorted(DATA.rglob("*.yaml")):
        if path == REGISTRY:
            continue
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        if path.name == "citations.yaml" and isinstance(document, list):
            document = [{k: v for k, v in c.items() if k != "title"} for c in document]
        if path.relative_to(DATA).as_posix() == NOTES_VOCABULARY and isinstance(document, dict):
            # The notes reader's word lists recognise what a note says ("duplex", "DVT"); they
            # state nothing. Its prose (title, limitations, citations) is scanned as usual.
            document = {
                k: v for k, v in document.items() if k in ("title", "limitations", "citations")
            }
        yield str(path.relative_to(DATA)), document


# --- the registry itself ---------------------------------------------------------------------


def test_registry_validates_with_unique_ids() -> None:
    ids = [item.id for item in ITEMS]
    assert len(ids) >= 30
    assert len(ids) == len(set(ids)), "duplicate ids in unconfirmed.yaml"
    assert all(item_id.startswith("u-") for item_id in ids)


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_patterns_compile(item: Unconfirmed) -> None:
    for pattern in item.patterns:
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            pytest.fail(f"{item.id}: pattern {pattern!r} does not compile: {exc}")


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_item_has_patterns_or_says_why_not(item: Unconfirmed) -> None:
    assert item.patterns or NO_PATTERN in item.statement.lower(), (
        f"{item.id}: give patterns, or say why none after '{NO_PATTERN}' in the statement"
    )


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: item.id)
def test_where_names_a_notes_file(item: Unconfirmed) -> None:
    named = re.findall(r"[\w-]+\.md", item.where)
    assert named, f"{item.id}: `where` names no notes file"
    for name in named:
        assert (NOTES / name).is_file(), f"{item.id}: {name} is not in {NOTES}"


# --- the guard -------------------------------------------------------------------------------


def test_knowledge_files_state_no_unconfirmed_claim() -> None:
    patterns = compiled(ITEMS)
    hits = [
        hit
        for source, document in knowledge_documents()
        for hit in find_claims(source, texts(document), patterns)
    ]
    assert not hits, "unconfirmed claims in the knowledge base:\n  " + "\n  ".join(
        str(hit) for hit in hits
    )


CLAIMS = [
    ("u-burn-score-item-points", "Arm graft: 3 points; head/neck graft: 2 points."),
    ("u-suero-sci-rule-points", "UTI = 4 points in the Suero rule."),
    ("u-suero-sci-rule-points", "Score band 18-21 carries a relative hazard of 2.47."),
    ("u-stehop-nomogram-points", "Obesity (BMI ≥ 30) and late surgery > 7 days are STEHOP items."),
    ("u-forsberg-2009-rate-predictors", "HO developed in 64.6% of the war-wounded."),
    ("u-radiation-window-24h-72h", "Give 7 Gy within 24 h pre-op or 72 h post-op."),
    ("u-nsaid-egfr-threshold", "Avoid NSAIDs if eGFR < 30 mL/min/1.73 m2."),
    ("u-nsaid-egfr-threshold", "egfr_below: 30 | level: contraindicated"),
    ("u-rofecoxib-withdrawal", "Rofecoxib was withdrawn from the market."),
    ("u-alp-normalisation-time", "ALP normalises at about 5 months."),
    ("u-alp-normalisation-time", "Alkaline phosphatase returns to baseline by 18 weeks."),
    ("u-dvt-duplex-first-test", "Order a venous duplex scan of the swollen leg first."),
    ("u-hastings-graham-subclasses", "Hastings & Graham class IIB limits pronation/supination."),
    ("u-hastings-graham-subclasses", "grade: III | definition: Bony ankylosis"),
    ("u-garland-waiting-times", "Garland advises waiting 18 months after TBI."),
    ("u-ultrasound-three-weeks-earlier", "Ultrasound finds HO three weeks earlier than CT."),
    ("u-snomed-128491006", "snomed|128491006"),
    ("u-etidronate-stover-prophylactic-dose", "Stover: 20 mg/kg/day for 2 weeks."),
    ("u-citak-2012-odds-ratios", "measure: OR | value: 2.3 | citation: cit-citak-2012"),
    ("u-combat-model-performance", "The Alfieri random forest model reached an AUC of 0.85."),
    ("u-wang-2022-nomogram-performance", "The Wang 2022 BMP nomogram had a C-index of 0.9."),
    ("u-acetabular-unread-results", "Archdeacon 2014 found pre-op RT as effective as post-op RT."),
    ("u-tha-special-populations", "Paget disease: odds ratio 3.1 for HO after THA."),
    ("u-prior-ho-80-100-percent", "Prior HO carries an 80-100% risk of HO after THA."),
    ("u-peak-onset-outside-sci", "After TBI, HO onset peaks at 2 months."),
    ("u-cochrane-nsaid-pooled-effect", "The Cochrane review found a relative risk of 0.41."),
    ("u-etidronate-renal-threshold", "Reduce etidronate if creatinine clearance < 50 mL/min."),
    ("u-radiation-pregnancy", "Radiation prophylaxis is contraindicated in pregnancy."),
    ("u-etidronate-hypocalcaemia", "Correct hypocalcaemia before starting etidronate."),
    ("u-amstutz-indomethacin-dose", "Amstutz gave indomethacin 75 mg a day for 10 days."),
    ("u-etidronate-rebound", "Stopping etidronate early causes rebound ossification."),
    ("u-missing-guidelines", "NICE NG157 recommends NSAID prophylaxis after hip replacement."),
    ("u-yolcu-2020-journal", "Yolcu YU et al., Clin Neurol Neurosurg 2020."),
    ("u-rom-loss-threshold", "A loss of more than 10° should trigger an HO work-up."),
    ("u-native-joint-aspiration", "Aspirate the knee to exclude septic arthritis."),
    ("u-other-differential-tests", "Check serum uric acid to rule out gout."),
    ("u-alp-sensitivity-specificity", "Serum ALP has a sensitivity of 85% for early HO."),
    ("u-tpbs-sensitivity", "The triple-phase bone scan has a sensitivity of 95%."),
    ("u-bone-scan-ratio-maturity", "HO is mature when the uptake ratio falls below 2.0."),
    ("u-other-classification-definitions", "Hamada grade 2 means a narrowed interval."),
    ("u-other-classification-definitions", "grade: 1a | definition: ossification below the neck"),
    ("u-nerve-compression-urgent", "Nerve compression is an urgent indication for excision."),
    ("u-manipulation-spasticity-drugs", "Treat spasticity with baclofen."),
    ("u-analgesic-protocol", "Give paracetamol for HO pain."),
    ("u-icd10cm-alphabetic-index", "The Alphabetic Index points to M61.5 for HO."),
    ("u-urine-marker-loinc", "Urinary hydroxyproline, LOINC 1234-5."),
]


def test_every_patterned_item_has_an_example_claim() -> None:
    patterned = {item.id for item in ITEMS if item.patterns}
    missing = patterned - {item_id for item_id, _ in CLAIMS}
    assert not missing, f"add an example claim for: {sorted(missing)}"


@pytest.mark.parametrize(("item_id", "claim"), CLAIMS)
def test_guard_catches_an_unconfirmed_claim(item_id: str, claim: str) -> None:
    document = {"id": "example", "summary": claim}
    hits = find_claims("example.yaml", texts(document), compiled(ITEMS))
    assert item_id in {hit.item for hit in hits}, f"{claim!r} slipped past {item_id}"


def test_guard_catches_a_claim_inside_a_knowledge_document() -> None:
    document = {
        "id": "alp-timeline",
        "kind": "tests",
        "tests": [{"id": "serum-alp", "statements": [{"supports": "ALP normalises by 5 months."}]}],
    }
    hits = find_claims("example.yaml", texts(document), compiled(ITEMS))
    assert [hit.item for hit in hits] == ["u-alp-normalisation-time"]
    assert "example.yaml: u-alp-normalisation-time matched" in str(hits[0])


CONFIRMED = [
    "Label regimen for SCI: 20 mg/kg/day × 2 weeks, then 10 mg/kg/day × 10 weeks.",
    "7 Gy single fraction, 98% given ≤ 24 h and all ≤ 72 h post-op (elbow series).",
    "Alendronate is not recommended if CrCl/GFR < 35 mL/min.",
    "egfr_below: 35 | level: caution",
    "Rofecoxib 25 mg/day × 4 weeks from 3 weeks after SCI: HO 13.4% vs 33.3%.",
    "ALP can reach 3-4 × normal, peaking at about 12 weeks.",
    "Plain radiographs lag the bone scan by about 2–3 weeks.",
    "Wait at least 12–18 months after HO forms (classic teaching).",
    "HO restricting motion is Hastings & Graham class II or III.",
    "Of 47 who completed 75 mg/day, only 2 (4%) had grade IIA HO.",
    "Celecoxib 200 mg twice daily vs ibuprofen 400 mg three times daily, × 10 days.",
    "Ultrasound findings appear about 2 weeks before radiographs.",
    "Screening ultrasound had shown suspicious signs in 193 of 217 (sensitivity 88.9%).",
    "Symptoms can start 2 weeks to 12 months after the injury.",
    "HO is expected to complicate up to 64% of high-energy wartime extremity wounds.",
    "A 2022 paper cites the Cochrane review as showing a 54–64% reduction.",
    "The 13-point burn score ranges from 0 to 13; a sum of 10 means 34.96% median risk.",
    "CT venography showed the HO narrowing the external iliac vein.",
    "For a painful THA where infection is not excluded, aspiration is the best test (ACR).",
    "Generic SNOMED 128491006 is not used; its only source is unofficial.",
    "No source on radiation in pregnancy was read.",
]


@pytest.mark.parametrize("statement", CONFIRMED)
def test_guard_spares_confirmed_statements(statement: str) -> None:
    hits = find_claims("example.yaml", [statement], compiled(ITEMS))
    assert not hits, "\n".join(str(hit) for hit in hits)


def _confirmed_note_lines() -> Iterator[tuple[str, int, str]]:
    for path in sorted(NOTES.glob("*.md")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "[C" in line and "[U" not in line and "U]" not in line:
                yield path.name, number, line


def test_guard_spares_every_line_the_notes_tag_confirmed() -> None:
    patterns = compiled(ITEMS)
    hits = [
        f"{name}:{number}: {hit.item} matched {hit.matched!r}"
        for name, number, line in _confirmed_note_lines()
        for hit in find_claims(name, [line], patterns)
    ]
    assert not hits, "patterns block confirmed statements:\n  " + "\n  ".join(hits)
