"""A patient's record from what the builders made of their resources: one assembly for the
Bundle importer (`importer.py`) and the population screener (`screening/patients.py`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from hosentinel.core.record import (
    Allergy,
    Condition,
    ImportStats,
    Medication,
    Observation,
    Patient,
    PatientRecord,
    Procedure,
)
from hosentinel.fhir.builders import Record
from hosentinel.fhir.codes import KNOWN_SYSTEMS


def unknown_codes(records: Iterable[Record], is_known: Callable[[str, str], bool]) -> int:
    """Codings in a code system the knowledge base covers whose code it does not hold."""
    return sum(
        1
        for record in records
        for coding in record.codings
        if coding.system in KNOWN_SYSTEMS and not is_known(coding.system, coding.code)
    )


def assemble(
    patient: Patient,
    records: Sequence[Record],
    observations: Iterable[Observation],
    stats: ImportStats | None = None,
) -> PatientRecord:
    """The record: `records` sorted by kind, with `observations` (the records' observations,
    settled against the notes) in place of theirs."""
    return PatientRecord(
        patient=patient,
        conditions=tuple(r for r in records if isinstance(r, Condition)),
        procedures=tuple(r for r in records if isinstance(r, Procedure)),
        observations=tuple(observations),
        medications=tuple(r for r in records if isinstance(r, Medication)),
        allergies=tuple(r for r in records if isinstance(r, Allergy)),
        stats=stats if stats is not None else ImportStats(),
    )
