"""Each condition of each rule has an example of its own (issue 20).

A rule with one must-fire and one must-not-fire case can lose one of several conditions without
any test noticing (etidronate's GI-bleed branch was only ever exercised through a peptic ulcer).
So, for every rule with more than one clause:
- `any_of`: each clause has a must-fire example in which it is the ONLY clause that holds;
- `all_of`: each clause has a must-not-fire example in which it is the ONLY clause that fails
  (the rule's population present, so the example fails for that clause and no other reason).
`test_rule_examples.py` then checks the rule itself fires or not on each example.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from hosentinel.core.clauses import Context, evaluate_clause
from hosentinel.core.engine import context_for
from hosentinel.core.examples import record_from_example
from hosentinel.core.risk import applies
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import default_knowledge

AS_OF = date(2026, 6, 1)
KNOWLEDGE = default_knowledge()


def _rules() -> Iterator[tuple[str, s.When, s.Examples, tuple[str, ...] | None]]:
    """(rule id, condition, examples, populations or None for drug cautions)."""
    for factor in KNOWLEDGE.risk_factors:
        yield factor.id, factor.when, factor.examples, tuple(factor.populations)
    for drug in KNOWLEDGE.drugs:
        for rule in drug.cautions:
            yield rule.id, rule.when, rule.examples, None


MULTI = [r for r in _rules() if len(r[1].clauses()) > 1]


def _context(example: s.ExampleRecord) -> tuple[Context, set[str]]:
    ctx, found = context_for(record_from_example(example, AS_OF), KNOWLEDGE, AS_OF)
    return ctx, {e.kind for e in found.events}


def _holding(when: s.When, ctx: Context) -> list[bool]:
    return [evaluate_clause(clause, ctx).holds for clause in when.clauses()]


def _cases() -> Iterator[object]:
    for rule_id, when, examples, populations in MULTI:
        for n, clause in enumerate(when.clauses()):
            name = next(k for k, v in clause.model_dump().items() if v is not None)
            yield pytest.param(rule_id, when, examples, populations, n, id=f"{rule_id}-{n}-{name}")


def test_there_are_multi_clause_rules_of_both_kinds() -> None:
    kinds = {"any_of" if when.any_of else "all_of" for _, when, _, _ in MULTI}
    assert kinds == {"any_of", "all_of"}


@pytest.mark.parametrize(("rule_id", "when", "examples", "populations", "index"), list(_cases()))
def test_each_clause_has_an_example_of_its_own(
    rule_id: str,
    when: s.When,
    examples: s.Examples,
    populations: tuple[str, ...] | None,
    index: int,
) -> None:
    clause = when.clauses()[index]
    if when.any_of is not None:
        # A must-fire example in which this clause alone holds.
        alone = [n == index for n in range(len(when.clauses()))]
        isolating = [ex for ex in examples.fires if _holding(when, _context(ex)[0]) == alone]
        assert isolating, f"{rule_id}: no must-fire example where only {clause} holds"
    else:
        # A must-not-fire example in which this clause alone fails, in the rule's population.
        alone = [n != index for n in range(len(when.clauses()))]
        isolating = []
        for ex in examples.does_not_fire:
            ctx, found = _context(ex)
            in_population = populations is None or applies_to(populations, found)
            if in_population and _holding(when, ctx) == alone:
                isolating.append(ex)
        assert isolating, f"{rule_id}: no must-not-fire example where only {clause} fails"


def applies_to(populations: tuple[str, ...], found: set[str]) -> bool:
    factor = next(f for f in KNOWLEDGE.risk_factors if tuple(f.populations) == populations)
    return applies(factor, found)


def test_the_check_can_fail() -> None:
    """Dropping the GI-bleed example from etidronate's upper-GI caution leaves that branch bare."""
    rule = next(r for d in KNOWLEDGE.drugs for r in d.cautions if r.id == "etidronate-upper-gi")
    only_ulcer = [ex for ex in rule.examples.fires if "icd10cm|K92.2" not in ex.conditions]
    gi_bleed_alone = [
        ex for ex in only_ulcer if _holding(rule.when, _context(ex)[0]) == [False, True]
    ]
    assert only_ulcer and not gi_bleed_alone
