"""Risk: the factors with their reported effect sizes, and the published risk models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.conditions import Examples, When
from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import Population, Strict


class Effect(Strict):
    """An effect size exactly as the source reports it, with its outcome definition."""

    measure: Literal["OR", "RR", "PR", "HR", "incidence"]
    value: float
    ci: tuple[float, float] | None = None
    outcome: str
    citation: str


class HighRiskCriterion(Strict):
    populations: list[Population] = Field(min_length=1)
    citation: CitationRef


class RiskFactor(Strict):
    id: str
    title: str
    populations: list[Population] = Field(min_length=1)
    when: When
    effects: list[Effect] = []
    citations: list[CitationRef] = Field(min_length=1)
    examples: Examples
    # A criterion that by itself defines "high risk" in the cited source for these populations
    # (e.g. the hip arthroplasty trials' definition), whatever else the patient has.
    defines_high_risk: HighRiskCriterion | None = None


class RiskFactorFile(Entry):
    kind: Literal["risk-factors"]
    factors: list[RiskFactor] = Field(min_length=1)


class RiskModel(Strict):
    """A published score. `not-computable` when its item weights were not confirmed."""

    id: str
    title: str
    populations: list[Population] = Field(min_length=1)
    status: Literal["computable", "not-computable"]
    reason: str
    performance: str
    citations: list[CitationRef] = Field(min_length=1)


class RiskModelsFile(Entry):
    kind: Literal["risk-models"]
    models: list[RiskModel] = Field(min_length=1)
