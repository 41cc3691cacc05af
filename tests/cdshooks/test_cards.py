"""Cards built directly from the demo patients' assessments (no HTTP): well-formed for every
patient, summaries always under 140 characters, text from the record escaped for Markdown."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from hosentinel.cdshooks.cards import fit_summary, md, order_cards, patient_view_cards
from hosentinel.cdshooks.orders import DraftOrder
from hosentinel.core.engine import evaluate
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge
from tests.support.cdskit import assert_well_formed_card

KNOWLEDGE = default_knowledge()
CATALOG = load_catalog()
BASE = "https://ho.example.org"


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_every_demo_patient_gets_well_formed_cards(entry: DemoPatient) -> None:
    assessment = evaluate(read_bundle(entry.path.read_bytes(), KNOWLEDGE), KNOWLEDGE, entry.as_of)
    patient_id = entry.patient.removeprefix("Patient/")
    cards = patient_view_cards(assessment, KNOWLEDGE, patient_id, BASE)
    quiet = {
        "14-acetabular-orif-day-3.json",
        "18-tha-ckd-egfr-28.json",
        "27-no-index-event-knee-arthritis.json",
    }
    assert len(cards) == (0 if entry.file in quiet else 1)
    for card in cards:
        assert_well_formed_card(card.body)
        assert card.alert_key == "cds:patient-view"
        assert f"HO risk {assessment.risk.level}" in card.body["summary"]
    orders = [
        DraftOrder(
            "MedicationRequest", "rx-1", "Ibuprofen 400 MG Oral Tablet", ("nsaid-indomethacin",)
        ),
        DraftOrder("MedicationRequest", "rx-2", "Alendronate 70 MG Oral Tablet", ("alendronate",)),
        DraftOrder("ServiceRequest", "rt-1", "Radiotherapy", ("radiation-prophylaxis",)),
    ]
    warned = {
        c.alert_key.split(":")[1]
        for c in order_cards(assessment, KNOWLEDGE, orders, patient_id, BASE)
    }
    assert warned == {c.about for c in assessment.cautions} & {
        "nsaid-indomethacin",
        "alendronate",
        "radiation-prophylaxis",
    }
    for card in order_cards(assessment, KNOWLEDGE, orders, patient_id, BASE):
        assert_well_formed_card(card.body)
        assert card.body["indicator"] == "warning"


def test_summaries_stay_under_140_characters() -> None:
    long = "a very long part " * 20
    assert len(fit_summary([long])) < 140
    assert fit_summary(["HO probable at right hip", long, "HO risk high"]) == (
        "HO probable at right hip; HO risk high."
    )
    assert fit_summary(["x" * 139]).endswith("….")


def test_record_text_is_escaped_for_markdown() -> None:
    assert md("<script>alert(1)</script> *bold* [link](x)") == (
        "\\<script\\>alert(1)\\</script\\> \\*bold\\* \\[link\\](x)"
    )
    assert md("line one\nline two") == "line one line two"


def test_no_bone_scan_card_without_an_index_event() -> None:
    entry = next(e for e in CATALOG if e.file.startswith("27-"))
    assessment = evaluate(
        read_bundle(entry.path.read_bytes(), KNOWLEDGE), KNOWLEDGE, date(2025, 8, 12)
    )
    xray = DraftOrder("ServiceRequest", "xr", "XR knee", radiograph=True, for_ho=True)
    assert order_cards(assessment, KNOWLEDGE, [xray], "p", BASE) == []


def _next_steps(detail: str) -> list[list[str]]:
    """The 'Next steps' items of a patient-view detail, each with its nested lines."""
    section = detail.split("**Next steps**\n", 1)[1].split("\n\n", 1)[0]
    items: list[list[str]] = []
    for line in section.splitlines():
        if line.startswith("   - "):
            items[-1].append(line)
        elif line[:1].isdigit():
            items.append([line])
    return items


@pytest.mark.parametrize("entry", CATALOG, ids=[e.file for e in CATALOG])
def test_drug_lines_carry_their_own_cautions(entry: DemoPatient) -> None:
    # DESIGN.md (2026-12-05): each drug recommendation lists the caution reasons that apply to
    # it, "so they are shown with it" -- on the card as on the app's patient page.
    a = evaluate(read_bundle(entry.path.read_bytes(), KNOWLEDGE), KNOWLEDGE, entry.as_of)
    cards = patient_view_cards(a, KNOWLEDGE, "p", BASE)
    if not cards or not a.recommendations:
        return
    items = _next_steps(cards[0].body["detail"])
    shown = sorted(a.recommendations, key=lambda r: r.tier != "next")[: len(items)]
    for r, (line, *nested) in zip(shown, items, strict=True):
        if not r.is_drug:
            assert nested == [], line
            continue
        own = [c for c in a.cautions if c.about == r.id and c.reason in r.cautions]
        if not own:
            assert nested == ["   - No cautions found for this patient with this drug."]
        else:
            assert [n.split("(", 1)[1].split(")", 1)[0] for n in nested] == [
                md(c.reason) for c in sorted(own, key=lambda c: c.level != "contraindicated")
            ]
            for c, n in zip(own, nested, strict=True):
                assert md(c.summary) in "\n".join(nested), n


def test_the_nsaid_line_of_a_patient_on_warfarin_names_the_anticoagulant_caution() -> None:
    entry = next(e for e in CATALOG if e.file.startswith("05-"))
    a = evaluate(read_bundle(entry.path.read_bytes(), KNOWLEDGE), KNOWLEDGE, entry.as_of)
    (card,) = patient_view_cards(a, KNOWLEDGE, "p", BASE)
    (nsaid,) = [i for i in _next_steps(card.body["detail"]) if "NSAID" in i[0]]
    assert any(n.startswith("   - **Caution** (anticoagulant)") and "warfarin" in n for n in nsaid)


def test_card_words_come_from_the_knowledge_base() -> None:
    """Issue 19: card wording from the knowledge base, not tables of its own. A site that words a
    recommendation or an index event differently (`short` in recommendations.yaml and
    index_events.yaml) sees its words in the card."""
    entry = next(e for e in CATALOG if e.file.startswith("04-"))  # swollen thigh: rule out DVT
    record = read_bundle(entry.path.read_bytes(), KNOWLEDGE)
    dvt = KNOWLEDGE.recommendations["rule-out-dvt"].model_copy(update={"short": "duplex today"})
    kinds = [
        k.model_copy(update={"short": "cord injury"}) if k.id == "sci" else k
        for k in KNOWLEDGE.index_events.kinds
    ]
    reworded = replace(
        KNOWLEDGE,
        recommendations={**KNOWLEDGE.recommendations, "rule-out-dvt": dvt},
        index_events=KNOWLEDGE.index_events.model_copy(update={"kinds": kinds}),
    )
    patient_id = entry.patient.removeprefix("Patient/")
    shipped = patient_view_cards(
        evaluate(record, KNOWLEDGE, entry.as_of), KNOWLEDGE, patient_id, BASE
    )
    assert "urgent: rule out DVT first" in shipped[0].body["summary"]
    assert "spinal cord injury on" in shipped[0].body["detail"]
    cards = patient_view_cards(evaluate(record, reworded, entry.as_of), reworded, patient_id, BASE)
    assert "urgent: duplex today" in cards[0].body["summary"]
    assert "cord injury on" in cards[0].body["detail"]
    assert "spinal cord injury on" not in cards[0].body["detail"]
