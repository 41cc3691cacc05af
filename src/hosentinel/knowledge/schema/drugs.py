"""Drug options: in which stages and populations the evidence applies, the evidence itself, and
the cautions (with their rules) that apply to a patient."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from hosentinel.knowledge.schema.conditions import Examples, When
from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import (
    CAUTION_REASONS,
    CautionLevel,
    DrugStage,
    Population,
    Priority,
    Strict,
)


class DrugCaution(Strict):
    id: str
    reason: str
    level: CautionLevel
    summary: str
    when: When
    citations: list[CitationRef] = Field(min_length=1)
    examples: Examples

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        if value not in CAUTION_REASONS:
            raise ValueError(f"unknown caution reason {value!r}")
        return value


class EvidenceStatement(Strict):
    stance: Literal["supports", "against", "neutral"]
    text: str
    citation: str


class DrugUse(Strict):
    """A stage and population in which a drug option's cited evidence applies. `populations`
    holds the index-event kinds ("general" = any); `not_populations` those where the evidence is
    against it (e.g. radiation after excision of neurogenic HO). The rationale says which
    evidence it rests on and is shown with the recommendation."""

    stage: DrugStage
    populations: list[Population] = Field(min_length=1)
    not_populations: list[Population] = []
    summary: str
    rationale: str
    priority: Priority = "routine"
    # For time-bound stages (prophylaxis after surgery, after excision): offered only within
    # this local setting's number of days of the operation.
    within_days_setting: str | None = None
    citations: list[CitationRef] = Field(min_length=1)

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(value) >= 140:
            raise ValueError("summaries stay under 140 characters (CDS Hooks card limit)")
        return value


class DrugOption(Strict):
    id: str
    recommendation: str
    title: str
    # The kind of option in running text ("an NSAID", "a bisphosphonate").
    in_a_sentence: str = Field(min_length=1, max_length=40)
    cautions: list[DrugCaution] = []
    evidence: list[EvidenceStatement] = Field(min_length=1)
    conflicting_evidence: bool = False
    regimens_studied: list[EvidenceStatement] = []
    availability: str | None = None
    uses: list[DrugUse] = Field(min_length=1)
    # Bisphosphonates are alternatives: at most one is recommended (the first applicable one in
    # file order).
    bisphosphonate: bool = False


class DrugsFile(Entry):
    kind: Literal["drugs"]
    options: list[DrugOption] = Field(min_length=1)
