"""Measured values in the unit the knowledge base reasons in, and only when they are plausible.

A lab or vital sign arrives in whatever unit the sender used (UCUM codes, or spellings such as
"deg F", "mmol/L", "ukat/L"). The concept's `quantity` entry names the canonical unit, the units
converted to it, and the named local settings bounding a plausible value. A unit nobody knows, or
a value outside the bounds (98.6 read as Celsius, an ALP of 1e12), is never silently used: the
observation is set aside for that concept and a warning names it. A value sent without a unit is
read in the canonical unit; the plausibility bounds still apply.
"""

from __future__ import annotations

import math
from dataclasses import replace

from hosentinel.core.record import FINDING, Observation
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge


def _unit_key(unit: str) -> str:
    return " ".join(unit.strip().split()).lower()


def _conversion(spec: s.QuantitySpec, unit: str | None) -> s.UnitConversion | None:
    if unit is None or not unit.strip():
        return spec.conversions[0]
    key = _unit_key(unit)
    for conversion in spec.conversions:
        if any(_unit_key(u) == key for u in conversion.units):
            return conversion
    return None


def _shown(value: float) -> str:
    return f"{value:g}"


def normalise(
    knowledge: Knowledge, concept: str, obs: Observation, warnings: list[str]
) -> Observation | None:
    """The observation with its value (and reference range) in the concept's canonical unit;
    None when it cannot be used for this concept (a warning says why)."""
    spec_concept = knowledge.concepts.get(concept)
    spec = spec_concept.quantity if spec_concept is not None else None
    if spec is None or obs.value_quantity is None:
        return obs
    conversion = _conversion(spec, obs.unit)
    if conversion is None:
        warnings.append(
            f"{obs.ref}: unit {obs.unit!r} is not one the knowledge base reads for "
            f"{spec_concept.title if spec_concept else concept}; the value was not used"
        )
        return None

    def convert(value: float | None) -> float | None:
        if value is None:
            return None
        return value * conversion.factor + conversion.offset

    value = convert(obs.value_quantity)
    assert value is not None
    low = knowledge.setting(spec.plausible_min_setting)
    high = knowledge.setting(spec.plausible_max_setting)
    if not math.isfinite(value) or not low <= value <= high:
        warnings.append(
            f"{obs.ref}: {_shown(obs.value_quantity)} {obs.unit or spec.canonical} is outside the "
            f"plausible range for {spec_concept.title if spec_concept else concept} "
            f"({_shown(low)}-{_shown(high)} {spec.canonical}, local settings "
            f"{spec.plausible_min_setting}/{spec.plausible_max_setting}); the value was not used"
        )
        return None
    if conversion is spec.conversions[0] and obs.unit == spec.canonical:
        return obs
    return replace(
        obs,
        value_quantity=round(value, 6),
        unit=spec.canonical,
        reference_low=convert(obs.reference_low),
        reference_high=convert(obs.reference_high),
    )


def plausible_rom(knowledge: Knowledge, obs: Observation, warnings: list[str]) -> bool:
    """A range-of-motion finding inside the plausible bounds (or not a ROM value at all)."""
    if obs.value_quantity is None or not any(
        c.system == FINDING and c.code.endswith("-rom") for c in obs.codings
    ):
        return True
    low = knowledge.setting("plausible_rom_min_degrees")
    high = knowledge.setting("plausible_rom_max_degrees")
    if math.isfinite(obs.value_quantity) and low <= obs.value_quantity <= high:
        return True
    warnings.append(
        f"{obs.ref}: range of motion {_shown(obs.value_quantity)} degrees is outside the "
        f"plausible range ({_shown(low)} to {_shown(high)}, local settings "
        "plausible_rom_min_degrees/plausible_rom_max_degrees); the value was not used"
    )
    return False
