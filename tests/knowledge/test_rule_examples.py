"""Every rule in the knowledge base fires on its must-fire cases and stays silent on the others."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from hosentinel.core.cautions import evaluate_caution
from hosentinel.core.engine import context_for
from hosentinel.core.examples import record_from_example
from hosentinel.core.risk import evaluate_factor
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import default_knowledge

AS_OF = date(2026, 6, 1)
KNOWLEDGE = default_knowledge()


def _factor_cases() -> Iterator[object]:
    for factor in KNOWLEDGE.risk_factors:
        for n, example in enumerate(factor.examples.fires):
            yield pytest.param(factor, example, True, id=f"{factor.id}-fires-{n}")
        for n, example in enumerate(factor.examples.does_not_fire):
            yield pytest.param(factor, example, False, id=f"{factor.id}-silent-{n}")


def _caution_cases() -> Iterator[object]:
    for drug in KNOWLEDGE.drugs:
        for rule in drug.cautions:
            for n, example in enumerate(rule.examples.fires):
                yield pytest.param(drug, rule, example, True, id=f"{rule.id}-fires-{n}")
            for n, example in enumerate(rule.examples.does_not_fire):
                yield pytest.param(drug, rule, example, False, id=f"{rule.id}-silent-{n}")


@pytest.mark.parametrize(("factor", "example", "expected"), list(_factor_cases()))
def test_risk_factor_example(
    factor: s.RiskFactor, example: s.ExampleRecord, expected: bool
) -> None:
    record = record_from_example(example, AS_OF)
    ctx, found = context_for(record, KNOWLEDGE, AS_OF)
    outcome = evaluate_factor(factor, ctx, {e.kind for e in found.events})
    assert outcome.holds is expected, f"{factor.id} on {example}"
    if expected:
        assert outcome.inputs, "a fired rule must name the patient's inputs"


@pytest.mark.parametrize(("drug", "rule", "example", "expected"), list(_caution_cases()))
def test_drug_caution_example(
    drug: s.DrugOption, rule: s.DrugCaution, example: s.ExampleRecord, expected: bool
) -> None:
    record = record_from_example(example, AS_OF)
    ctx, _ = context_for(record, KNOWLEDGE, AS_OF)
    caution, _missing = evaluate_caution(ctx, drug, rule)
    assert (caution is not None) is expected, f"{rule.id} on {example}"
    if caution is not None:
        assert caution.basis.inputs, "a fired caution must name the patient's inputs"
        assert caution.basis.citations
        assert caution.reason in s.CAUTION_REASONS


def test_every_drug_option_has_a_recommendation_and_evidence() -> None:
    for drug in KNOWLEDGE.drugs:
        assert drug.recommendation in KNOWLEDGE.recommendations
        assert drug.evidence


def test_the_harness_can_fail() -> None:
    """A rule evaluated on another rule's must-not-fire case disagrees with the expectation."""
    uti = next(f for f in KNOWLEDGE.risk_factors if f.id == "sci-uti")
    silent = uti.examples.does_not_fire[0]
    ctx, found = context_for(record_from_example(silent, AS_OF), KNOWLEDGE, AS_OF)
    assert not evaluate_factor(uti, ctx, {e.kind for e in found.events}).holds
