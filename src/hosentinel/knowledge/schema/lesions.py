"""Lesions once found: the grading classifications, and the maturity criteria and classic rule
for surgery."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.drugs import EvidenceStatement
from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import Strict


class GradeClass(Strict):
    grade: str
    definition: str


class Classification(Strict):
    id: str
    title: str
    applies_to: str
    grades: list[GradeClass] = Field(min_length=1)
    reliability: str | None = None
    citations: list[CitationRef] = Field(min_length=1)


class ClassificationsFile(Entry):
    kind: Literal["classifications"]
    classifications: list[Classification] = Field(min_length=1)


class MaturityCriterion(Strict):
    id: Literal["radiographs-stable", "alp-normal", "bone-scan-settled"]
    title: str
    citations: list[CitationRef] = Field(min_length=1)


class MaturityFile(Entry):
    kind: Literal["maturity"]
    criteria: list[MaturityCriterion] = Field(min_length=3)
    classic_rule: str
    newer_evidence: list[EvidenceStatement] = Field(min_length=1)
    referral_indications: list[CitationRef] = Field(min_length=1)
