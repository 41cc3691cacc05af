"""Unit settings: what the family view says about the care team, per unit.

`HOSENTINEL_UNITS`: a JSON object (inline, or a path to a JSON file) mapping a unit's name (the
patient's `unit`) to `{"team": "...", "phone": "...", "after_hours_phone": "..." (optional)}`.
A unit without settings shows no phone number, and the family view says to ask the unit for it.
The demo (`serve --demo`) uses a fictional number from the 555-01xx range when nothing is set.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

ENV = "HOSENTINEL_UNITS"
DEMO_UNIT = {"team": "Rehab unit care team (demo)", "phone": "555-0100"}


@dataclass(frozen=True, slots=True)
class UnitSettings:
    team: str | None = None
    phone: str | None = None
    after_hours_phone: str | None = None

    @staticmethod
    def tel(number: str | None) -> str | None:
        """The number for a tel: link (digits and a leading +)."""
        if not number:
            return None
        digits = re.sub(r"[^\d+]", "", number)
        return digits or None


def _load(raw: str) -> dict[str, object]:
    text = raw.strip()
    if not text.startswith("{"):
        text = Path(text).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{ENV} must be a JSON object of unit name -> settings")
    return data


def unit_settings(unit: str, raw: str | None, demo: bool = False) -> UnitSettings:
    """The unit's settings from the setting's value (`Settings.units`, read at start-up)."""
    units = _load(raw) if raw else {}
    found = units.get(unit)
    if not isinstance(found, dict):
        return UnitSettings(**DEMO_UNIT) if demo else UnitSettings()
    return UnitSettings(
        team=str(found["team"]) if found.get("team") else None,
        phone=str(found["phone"]) if found.get("phone") else None,
        after_hours_phone=str(found["after_hours_phone"])
        if found.get("after_hours_phone")
        else None,
    )
