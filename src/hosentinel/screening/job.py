"""What a screening engine is given, and what it hands back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from hosentinel.screening.export import Export
from hosentinel.screening.patients import Row, Screener, Tally

Batch = tuple[list[Row], Tally]


@dataclass(frozen=True)
class Job:
    export: Export
    as_of: date
    relevance: str  # the pattern of `relevance.relevance_pattern`
    validate: bool = False
    keep_sources: bool = False  # rows that need the team carry their resources (`--into-app`)


class Progress(Protocol):
    def scanning(self, fraction: float | None) -> None:
        """The engine's pass over the export: fraction done (0..1), or None when unknown."""

    def screened(self, patients: int) -> None:
        """`patients` more patient groups went through `evaluate` (or were counted)."""


class NoProgress:
    def scanning(self, fraction: float | None) -> None:
        pass

    def screened(self, patients: int) -> None:
        pass


def screen_batch(screener: Screener, groups: Sequence[Mapping[str, Any]]) -> Batch:
    """A batch of extraction rows -> their rows and the batch's own counts."""
    screener.tally = Tally()
    rows = [screener.screen(group["patient"], group["parts"] or ()) for group in groups]
    return [row for row in rows if row is not None], screener.tally
