"""Values no patient can have (an ALP of 10,000,000 U/L, a hip flexion of 900°, a temperature of
98.6 read as Celsius): kept in the database exactly as the EHR sent them, but set aside from
the charts and shown on the patient's page as implausible, with the bound they broke.

The bounds are the knowledge base's local settings `plausible_*` (settings.yaml, shared with the
engine, which sets the same values aside from the assessment). They only catch unit and typing
errors; they are not clinical thresholds. Until a knowledge release carries them, the same
values are used from `FALLBACK` below (named, documented in docs/security-and-reliability.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hosentinel.core.record import FINDING, Observation, PatientRecord
from hosentinel.knowledge.loader import Knowledge

# Setting id -> the value used when the knowledge release does not define it (the same values
# as the knowledge base's settings.yaml proposes).
FALLBACK: dict[str, float] = {
    "plausible_body_temperature_min_celsius": 25,
    "plausible_body_temperature_max_celsius": 45,
    "plausible_alp_min_u_per_l": 1,
    "plausible_alp_max_u_per_l": 10000,
    "plausible_rom_min_degrees": -180,
    "plausible_rom_max_degrees": 200,
}


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    low_setting: str
    high_setting: str
    unit: str


ALP = Kind("alkaline phosphatase", "plausible_alp_min_u_per_l", "plausible_alp_max_u_per_l", "U/L")
TEMPERATURE = Kind(
    "body temperature",
    "plausible_body_temperature_min_celsius",
    "plausible_body_temperature_max_celsius",
    "°C",
)
ROM = Kind("range of motion", "plausible_rom_min_degrees", "plausible_rom_max_degrees", "°")

FAHRENHEIT_UNITS = ("[degF]", "degF", "°F", "F")


@dataclass(frozen=True, slots=True)
class Implausible:
    """An observation set aside: what it is, its value as sent, and the range it is outside."""

    ref: str
    what: str
    value: float
    unit: str
    low: float
    high: float
    setting: str

    @property
    def reason(self) -> str:
        return f"outside {self.low:g} to {self.high:g} (setting {self.setting})"


def bound(knowledge: Knowledge, setting_id: str) -> float:
    if setting_id in knowledge.settings:
        return knowledge.setting(setting_id)
    return FALLBACK[setting_id]


def kind_of(knowledge: Knowledge, obs: Observation) -> Kind | None:
    for coding in obs.codings:
        if coding.system == FINDING and coding.code.endswith("-rom"):
            return ROM
        concepts = knowledge.concepts_for_code(coding.system, coding.code)
        if "alp" in concepts:
            return ALP
        if "body-temperature" in concepts:
            return TEMPERATURE
    return None


def check(knowledge: Knowledge, obs: Observation) -> Implausible | None:
    """The reason `obs` is implausible, or None (also for kinds without bounds)."""
    value = obs.value_quantity
    if value is None:
        return None
    kind = kind_of(knowledge, obs)
    if kind is None:
        return None
    compared = value
    if kind is TEMPERATURE and (obs.unit or "") in FAHRENHEIT_UNITS:
        compared = (value - 32) * 5 / 9
    low, high = bound(knowledge, kind.low_setting), bound(knowledge, kind.high_setting)
    if low <= compared <= high:
        return None
    setting = kind.low_setting if compared < low else kind.high_setting
    return Implausible(obs.ref, kind.name, value, obs.unit or kind.unit, low, high, setting)


def set_aside(
    record: PatientRecord, knowledge: Knowledge
) -> tuple[PatientRecord, list[Implausible]]:
    """The record without its implausible values, and those values."""
    found: list[Implausible] = []
    kept: list[Observation] = []
    for obs in record.observations:
        problem = None if obs.cancelled else check(knowledge, obs)
        if problem is None:
            kept.append(obs)
        else:
            found.append(problem)
    if not found:
        return record, found
    return replace(record, observations=tuple(kept)), found
