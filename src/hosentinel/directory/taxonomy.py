"""The NUCC taxonomy codes the directory supports (taxonomy.yaml), grouped by specialty."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

TAXONOMY_FILE = Path(__file__).parent / "taxonomy.yaml"
NUCC_SYSTEM = "http://nucc.org/provider-taxonomy"


class UnknownSpecialty(ValueError):
    """A specialty that is neither a supported group nor a supported NUCC code."""


@dataclass(frozen=True, slots=True)
class Specialty:
    code: str
    name: str
    group: str


@dataclass(frozen=True, slots=True)
class SpecialtyGroup:
    id: str
    name: str
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    source: str
    groups: dict[str, SpecialtyGroup]
    by_code: dict[str, Specialty]
    # Joint -> the NUCC code a referral search for a lesion there starts from (a local setting).
    referral_subspecialty: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: str) -> tuple[SpecialtyGroup, Specialty | None]:
        """A group id ("physiatry") or one supported NUCC code ("207XS0114X") -> (group, code)."""
        key = value.strip()
        if key in self.groups:
            return self.groups[key], None
        specialty = self.by_code.get(key.upper())
        if specialty is not None:
            return self.groups[specialty.group], specialty
        choices = ", ".join(self.groups)
        raise UnknownSpecialty(
            f"Unknown specialty {value!r}: use one of {choices}, or a NUCC taxonomy code of "
            f"those groups (for example 207X00000X, orthopaedic surgery)."
        )

    def supported(self, codes: list[str]) -> list[Specialty]:
        return [self.by_code[c] for c in codes if c in self.by_code]


@cache
def taxonomy() -> Taxonomy:
    raw = yaml.safe_load(TAXONOMY_FILE.read_text(encoding="utf-8"))
    groups: dict[str, SpecialtyGroup] = {}
    by_code: dict[str, Specialty] = {}
    for group in raw["groups"]:
        codes = tuple(str(c["code"]) for c in group["codes"])
        groups[group["id"]] = SpecialtyGroup(group["id"], group["name"], codes)
        for c in group["codes"]:
            by_code[str(c["code"])] = Specialty(str(c["code"]), str(c["name"]), group["id"])
    defaults = {str(k): str(v) for k, v in (raw.get("referral_subspecialty") or {}).items()}
    unknown = set(defaults.values()) - by_code.keys()
    if unknown:
        raise ValueError(f"taxonomy.yaml: referral_subspecialty names unlisted codes {unknown}")
    return Taxonomy(str(raw["source"]), groups, by_code, defaults)
