"""Recommendations: the contract's vocabulary, each with its rationale, citations and source
attributes."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef, SourceAttributes
from hosentinel.knowledge.schema.vocabulary import RECOMMENDATION_IDS, Strict


class Recommendation(Strict):
    id: str
    category: Literal["surveillance", "work-up", "therapy", "medication", "radiation", "surgery"]
    summary: str
    # A few words for a list of what to do ("rule out DVT first"), e.g. in a CDS card's summary.
    short: str = Field(min_length=1, max_length=40)
    rationale: str
    citations: list[CitationRef] = Field(min_length=1)
    source_attributes: SourceAttributes

    @field_validator("id")
    @classmethod
    def _contract_id(cls, value: str) -> str:
        if value not in RECOMMENDATION_IDS:
            raise ValueError(f"{value!r} is not in the recommendation vocabulary")
        return value

    @field_validator("summary")
    @classmethod
    def _short_summary(cls, value: str) -> str:
        if len(value) >= 140:
            raise ValueError("summaries stay under 140 characters (CDS Hooks card limit)")
        return value


class RecommendationsFile(Entry):
    kind: Literal["recommendations"]
    recommendations: list[Recommendation] = Field(min_length=1)
