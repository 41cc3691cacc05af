"""Build a synthetic record from a knowledge rule's must-fire / must-not-fire example.

Every rule in the knowledge base carries small example cases (`schema.ExampleRecord`); the test
suite turns each into a `PatientRecord` with this module and checks the rule fires, or does not,
exactly as the example says.
"""

from __future__ import annotations

from datetime import date, timedelta

from hosentinel.core.record import (
    FINDING,
    Allergy,
    BodySite,
    Coding,
    Condition,
    Medication,
    Observation,
    Patient,
    PatientRecord,
    Procedure,
    Side,
)
from hosentinel.knowledge.schema import ExampleRecord

HISTORY_DAYS = 365


def _coding(spec: str) -> tuple[tuple[Coding, ...], str | None]:
    """'icd10cm|N39.0' -> a coding; 'text|Split thickness skin graft' -> free text only."""
    system, _, code = spec.partition("|")
    if system == "text":
        return (), code
    return (Coding(system=system, code=code),), None


def _side(text: str) -> Side | None:
    for side in ("left", "right"):
        if side in text.lower():
            return side
    return None


def record_from_example(
    example: ExampleRecord, as_of: date, patient_id: str = "example"
) -> PatientRecord:
    day = as_of - timedelta(days=example.days_before)
    conditions: list[Condition] = []
    for n, spec in enumerate(example.conditions):
        codings, text = _coding(spec)
        conditions.append(Condition(ref=f"Condition/c{n}", codings=codings, text=text, onset=day))
    for n, spec in enumerate(example.history):
        codings, text = _coding(spec)
        onset = as_of - timedelta(days=HISTORY_DAYS)
        conditions.append(Condition(ref=f"Condition/h{n}", codings=codings, text=text, onset=onset))
    for n, spec in enumerate(example.resolved):
        codings, text = _coding(spec)
        conditions.append(
            Condition(
                ref=f"Condition/r{n}",
                codings=codings,
                text=text,
                onset=day - timedelta(days=60),
                abatement=day,
                active=False,
            )
        )
    for n, spec in enumerate(example.condition_spans):
        code_spec, _, days = spec.rpartition(":")
        codings, text = _coding(code_spec)
        onset = day - timedelta(days=int(days))
        conditions.append(
            Condition(
                ref=f"Condition/s{n}",
                codings=codings,
                text=text,
                onset=onset,
                abatement=onset + timedelta(days=int(days)),
                active=False,
            )
        )
    if example.pregnancy_weeks is not None:
        code = f"Z3A.{example.pregnancy_weeks:02d}"
        conditions.append(
            Condition(ref="Condition/pregnancy", codings=(Coding("icd10cm", code),), onset=as_of)
        )
    procedures = []
    for n, spec in enumerate(example.procedures):
        codings, text = _coding(spec)
        procedures.append(
            Procedure(
                ref=f"Procedure/p{n}",
                codings=codings,
                text=text,
                performed=day,
                site=BodySite(side=_side(text or "")),
            )
        )
    medications = []
    for n, spec in enumerate(example.medications):
        codings, text = _coding(spec)
        medications.append(
            Medication(ref=f"MedicationRequest/m{n}", codings=codings, text=text, start=day)
        )
    allergies = []
    for n, spec in enumerate(example.allergies):
        codings, text = _coding(spec)
        allergies.append(Allergy(ref=f"AllergyIntolerance/a{n}", codings=codings, text=text))
    observations = []
    for n, spec in enumerate(example.findings):
        code, _, value = spec.partition("=")
        observations.append(
            Observation(
                ref=f"Observation/f{n}",
                codings=(Coding(FINDING, code),),
                effective=day,
                value_bool=value.strip().lower() == "true",
            )
        )
    for n, spec in enumerate(example.labs):
        code_spec, _, result = spec.partition("=")
        value, _, flag = result.strip().partition(" ")
        codings, text = _coding(code_spec)
        observations.append(
            Observation(
                ref=f"Observation/l{n}",
                codings=codings,
                text=text,
                effective=day,
                value_quantity=float(value),
                interpretation=flag or None,
            )
        )
    sex = example.sex if example.sex != "unknown" else "unknown"
    return PatientRecord(
        patient=Patient(id=patient_id, sex=sex),
        conditions=tuple(conditions),
        procedures=tuple(procedures),
        observations=tuple(observations),
        medications=tuple(medications),
        allergies=tuple(allergies),
    )
