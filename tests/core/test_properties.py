"""Properties of the engine that must hold for any record (Hypothesis)."""

from __future__ import annotations

from datetime import timedelta

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hosentinel.core.assessment import SUSPICION_ORDER
from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import Condition, Sex
from hosentinel.knowledge.loader import default_knowledge
from tests.support.recordkit import AS_OF, Item, ago, cond, finding, lab, proc, record

K = default_knowledge()
LEVELS = {"low": 0, "moderate": 1, "high": 2}
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

INDEX_CODES = [
    "S24.101A",
    "S14.111A",
    "S06.5X0A",
    "I61.9",
    "I63.9",
    "T31.40",
    "T22.311A",
    "S72.301A",
    "S32.401A",
    "S42.411A",
    "S53.101A",
    "Y37.200A",
]
FACTOR_CODES = sorted(
    {
        code.split("|", 1)[1]
        for factor in K.risk_factors
        for example in factor.examples.fires
        for code in example.conditions
        if code.startswith("icd10cm|")
    }
)
FACTOR_FINDINGS = ["spasticity", "autonomic-dysregulation", "prolonged-immobility"]


def index_items() -> st.SearchStrategy[Item]:
    return st.builds(cond, st.sampled_from(INDEX_CODES), st.integers(0, 500))


def factor_items() -> st.SearchStrategy[Item]:
    return st.one_of(
        st.builds(cond, st.sampled_from(FACTOR_CODES), st.integers(0, 500)),
        st.builds(
            lambda code, days: finding(code, True, days, side=None),
            st.sampled_from(FACTOR_FINDINGS),
            st.integers(0, 300),
        ),
        st.builds(proc, st.sampled_from(["52734007", "48387007"]), st.integers(0, 300)),
        st.builds(
            lambda days: Condition(
                ref=f"Condition/coma{days}",
                codings=(),
                text="coma",
                onset=ago(days + 20),
                abatement=ago(days),
                active=False,
            ),
            st.integers(0, 200),
        ),
    )


SIGNS = [
    f"{j}-{s}"
    for j in ("hip", "knee", "elbow", "shoulder")
    for s in ("pain", "swelling", "warmth", "redness")
]


def sign_items() -> st.SearchStrategy[Item]:
    return st.builds(
        lambda code, days, side: finding(code, True, days, side=side),
        st.sampled_from(SIGNS),
        st.integers(0, 20),
        st.sampled_from(["left", "right"]),
    )


def any_items() -> st.SearchStrategy[Item]:
    findings = st.builds(
        lambda code, value, days, side: finding(code, value, days, side=side),
        st.sampled_from(
            [
                "bone-scan-ho",
                "radiograph-ho",
                "ho-activity",
                "ho-growth",
                "ho-radiographic-maturity",
                "function-limited",
                "hip-flexion-rom",
                "knee-pain",
                "elbow-swelling",
            ]
        ),
        st.one_of(
            st.booleans(),
            st.sampled_from(
                [
                    "positive",
                    "negative",
                    "present",
                    "absent",
                    "increasing",
                    "quiescent",
                    "growing",
                    "stable",
                    "mature",
                    "immature",
                ]
            ),
            st.floats(0, 180),
        ),
        st.integers(-30, 400),
        st.sampled_from(["left", "right", None]),
    )
    labs = st.builds(
        lab,
        st.sampled_from(["6768-6", "62238-1", "8310-5", "17861-6", "1988-5"]),
        st.floats(0, 500),
        st.integers(0, 400),
        st.sampled_from([None, "H", "L", "N"]),
    )
    return st.one_of(index_items(), factor_items(), sign_items(), findings, labs)


@FAST
@given(
    base=st.lists(st.one_of(index_items(), factor_items()), max_size=6),
    extra=factor_items(),
    sex=st.sampled_from(["male", "female", "unknown"]),
)
def test_adding_a_risk_factor_never_lowers_the_risk_level(
    base: list[Item], extra: Item, sex: Sex
) -> None:
    before = evaluate(record(*base, sex=sex), K, AS_OF).risk.level
    after = evaluate(record(*base, extra, sex=sex), K, AS_OF).risk.level
    assert LEVELS[after] >= LEVELS[before]


@FAST
@given(
    code=st.sampled_from(INDEX_CODES),
    injury_days_ago=st.integers(0, 2000),
    gap=st.integers(1, 3000),
)
def test_as_of_before_the_injury_is_before_window(
    code: str, injury_days_ago: int, gap: int
) -> None:
    injury = cond(code, injury_days_ago)
    assert injury.onset is not None
    as_of = injury.onset - timedelta(days=gap)
    assert evaluate(record(injury), K, as_of).surveillance.phase == "before-window"


@FAST
@given(code=st.sampled_from(INDEX_CODES), days_after=st.integers(14, 364))
def test_two_weeks_to_a_year_after_the_injury_is_in_window(code: str, days_after: int) -> None:
    injury = cond(code, 0)
    assert injury.onset is not None
    as_of = injury.onset + timedelta(days=days_after)
    assert evaluate(record(injury), K, as_of).surveillance.phase == "in-window"


@FAST
@given(base=st.lists(st.one_of(index_items(), sign_items()), max_size=6), extra=sign_items())
def test_adding_a_sign_never_lowers_suspicion(base: list[Item], extra: Item) -> None:
    before = evaluate(record(*base), K, AS_OF).suspicion.level
    after = evaluate(record(*base, extra), K, AS_OF).suspicion.level
    assert SUSPICION_ORDER[after] >= SUSPICION_ORDER[before]


@FAST
@given(
    items=st.lists(any_items(), max_size=12),
    sex=st.sampled_from(["male", "female", "other", "unknown"]),
)
def test_any_record_gives_a_complete_deterministic_assessment(items: list[Item], sex: Sex) -> None:
    first = evaluate(record(*items, sex=sex), K, AS_OF)
    second = evaluate(record(*items, sex=sex), K, AS_OF)
    payload = orjson.dumps(assessment_json(first))
    assert payload == orjson.dumps(assessment_json(second))
    for rec in first.recommendations:
        assert rec.basis.inputs, rec.id
    for caution in first.cautions:
        assert caution.basis.inputs and caution.basis.citations
    if first.surveillance.phase != "in-window":
        assert "serial-joint-exam" not in first.recommendation_ids()
