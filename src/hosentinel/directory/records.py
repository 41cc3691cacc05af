"""What the readers produce: clinicians to load, and problems with rows they could not load."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class ClinicianIn:
    npi: str
    last_name: str
    first_name: str
    credential: str | None
    address1: str
    address2: str | None
    city: str
    state: str
    zip5: str
    phone: str | None
    lat: float
    lon: float
    # (NUCC code, primary) for the supported codes only, primary first.
    taxonomies: tuple[tuple[str, bool], ...]
    source: str = "nppes"


@dataclass(frozen=True, slots=True)
class Problem:
    """A row that was not loaded: `bad` rows are errors in the data; `skipped` rows are valid but
    out of scope (an organisation, a deactivated NPI, no supported specialty)."""

    where: str  # "line 12" or "entry 3 (PractitionerRole/x)"
    kind: Literal["bad", "skipped"]
    reason: str
    npi: str | None = None
    # What the skipped-rows summary counts it under (default: the reason).
    category: str = ""

    def __str__(self) -> str:
        npi = f" NPI {self.npi}" if self.npi else ""
        return f"{self.where}{npi}: {self.reason}"


MAX_LISTED = 200


@dataclass(slots=True)
class LoadReport:
    """What a load did. All problems are counted; the first MAX_LISTED of each kind are kept."""

    inserted: int = 0
    updated: int = 0
    bad: int = 0
    skipped: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def add(self, problem: Problem) -> None:
        if problem.kind == "bad":
            self.bad += 1
            listed = self.bad
        else:
            self.skipped += 1
            self.skipped_by_reason[problem.category or problem.reason] += 1
            listed = self.skipped
        if listed <= MAX_LISTED:
            self.problems.append(problem)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated

    def summary(self) -> str:
        parts = [
            f"{self.loaded} clinicians loaded ({self.inserted} new, {self.updated} updated)",
            f"{self.bad} bad rows",
            f"{self.skipped} skipped",
        ]
        if self.skipped_by_reason:
            why = ", ".join(f"{n} {r}" for r, n in sorted(self.skipped_by_reason.items()))
            parts[-1] += f" ({why})"
        return "; ".join(parts)
