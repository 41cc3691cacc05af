"""Index events (injuries and operations after which HO is watched for), the surveillance window,
and the joints to examine after each."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.sources import CitationRef
from hosentinel.knowledge.schema.vocabulary import IndexKind, Joint, Strict


class SiteRule(Strict):
    """Joints to examine after an index event of this kind; `concepts` narrows it to sub-kinds
    (e.g. acetabular fracture -> hip). `local` is True when no source gives the mapping."""

    joints: list[Joint] = Field(min_length=1)
    concepts: list[str] = []
    local: bool = False
    citations: list[CitationRef] = []


class IndexEventKind(Strict):
    id: IndexKind
    title: str
    # The kind in running text ("spinal cord injury on 2025-01-05"), lower case.
    short: str = Field(min_length=1, max_length=40)
    concepts: list[str] = Field(min_length=1)
    sites: list[SiteRule] = Field(min_length=1)
    citations: list[CitationRef] = Field(min_length=1)


class IndexEventsFile(Entry):
    kind: Literal["index-events"]
    window_start_days: int
    window_end_months: int
    kinds: list[IndexEventKind] = Field(min_length=1)
