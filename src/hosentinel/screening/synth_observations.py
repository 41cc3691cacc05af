"""Vital signs and labs of `hosentinel synth`, the bulk of an export: each kind's Observation
JSON rendered once by orjson with slots for the ids, times and value, then filled in per line."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from hosentinel.fhir.systems import LOINC, OBS_CATEGORY, UCUM
from hosentinel.screening import vocabulary as v

Resource = dict[str, Any]


_CATEGORIES: dict[str, list[Resource]] = {
    category: [{"coding": [{"system": OBS_CATEGORY, "code": category, "display": display}]}]
    for category, display in (("vital-signs", "Vital signs"), ("laboratory", "Laboratory"))
}


@cache
def _concept(code: v.Code) -> Resource:
    """A CodeableConcept for the code (shared: orjson writes the same object many times)."""
    return {
        "coding": [{"system": code.system, "code": code.code, "display": code.display}],
        "text": code.display,
    }


def _observation_head(category: str, code: v.Code) -> str:
    """An Observation's JSON up to its value, with %s slots for id, patient, encounter and times
    (the static parts serialized by orjson, so escaping is orjson's)."""
    static = orjson.dumps(
        {
            "resourceType": "Observation",
            "id": "@ID@",
            "status": "final",
            "category": _CATEGORIES[category],
            "code": _concept(code),
            "subject": {"reference": "Patient/@PATIENT@"},
            "encounter": {"reference": "Encounter/@ENCOUNTER@"},
            "effectiveDateTime": "@EFFECTIVE@",
            "issued": "@ISSUED@",
        }
    ).decode()
    static = static.replace("%", "%%")
    for slot in ("@ID@", "@PATIENT@", "@ENCOUNTER@", "@EFFECTIVE@", "@ISSUED@"):
        static = static.replace(slot, "%s")
    return static[:-1]


def _quantity_json(measure: v.Measure) -> tuple[str, str]:
    """`"valueQuantity":{"value":` and what follows the number, for the measure's unit."""
    unit = orjson.dumps({"unit": measure.unit, "system": UCUM, "code": measure.unit}).decode()
    return ',"valueQuantity":{"value":', "," + unit[1:]


def measure_line(category: str, measure: v.Measure) -> tuple[str, str]:
    head = _observation_head(category, v.Code(LOINC, measure.loinc, measure.display))
    before, after = _quantity_json(measure)
    return head + before, after + "}"


def _blood_pressure_line() -> tuple[str, str, str]:
    head = _observation_head("vital-signs", v.BLOOD_PRESSURE)
    parts: list[str] = []
    for measure in (v.SYSTOLIC, v.DIASTOLIC):
        concept = orjson.dumps(_concept(v.Code(LOINC, measure.loinc, measure.display))).decode()
        before, after = _quantity_json(measure)
        parts.append('{"code":' + concept + before)
        parts.append(after + "}")
    return (
        head + ',"component":[' + parts[0],
        parts[1] + "," + parts[2],
        parts[3] + "]}",
    )


VITAL_LINES = {m: measure_line("vital-signs", m) for m in v.VITALS}
LAB_LINES = {m: measure_line("laboratory", m) for m in v.LABS}
BLOOD_PRESSURE_LINE = _blood_pressure_line()
