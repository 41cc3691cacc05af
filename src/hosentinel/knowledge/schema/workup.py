"""The work-up: clinical signs of HO and the diagnostic tests, each with when it is informative."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import Strict


class Sign(Strict):
    id: str
    title: str
    finding_suffix: str | None = None
    citations: list[CitationRef] = Field(min_length=1)


class SignsFile(Entry):
    kind: Literal["signs"]
    signs: list[Sign] = Field(min_length=1)


class DiagnosticTest(Strict):
    id: str
    title: str
    role: Literal["confirm", "supportive", "rule-out", "planning", "follow-up"]
    informative_from_days: int | None = None
    statements: list[CitationRef] = Field(min_length=1)


class TestsFile(Entry):
    kind: Literal["tests"]
    tests: list[DiagnosticTest] = Field(min_length=1)
