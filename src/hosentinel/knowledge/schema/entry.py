"""What every knowledge file is: an `Entry` (identity, version, lifecycle, review, citations), and
the release that groups them."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field, field_validator

from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import ENTRY_ID, SEMVER, Status, Strict


class Entry(Strict):
    """Identity and lifecycle shared by every knowledge file."""

    id: str
    kind: str
    version: str
    status: Status
    title: str
    authors: list[str] = Field(min_length=1)
    reviewers: list[str] = Field(min_length=1)
    review_date: date
    citations: list[CitationRef] = []
    limitations: list[str] = []

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not SEMVER.match(value):
            raise ValueError("version must be semantic: MAJOR.MINOR.PATCH")
        return value

    @field_validator("id")
    @classmethod
    def _entry_id(cls, value: str) -> str:
        if not ENTRY_ID.match(value):
            raise ValueError("ids are lowercase words joined by '-' or '.'")
        return value


class Release(Strict):
    release: str
    schema_version: Literal[1]
    description: str
