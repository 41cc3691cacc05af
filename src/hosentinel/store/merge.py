"""Merge an imported record into the store, idempotent on resource references.

Re-sending the same Bundle changes nothing; a Bundle with some new resources adds them and
replaces the resources it repeats (same reference); resources it does not mention are kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from hosentinel.core import record as r
from hosentinel.store import models as m
from hosentinel.store import records as rec
from hosentinel.store.records import store_record


def merge_record(
    session: Session, record: r.PatientRecord, *, display_name: str | None = None
) -> int:
    """Store the record's resources for its patient; returns how many clinical rows were written."""
    pid = record.patient.id
    if session.get(m.Patient, pid) is None:
        store_record(session, record, display_name=display_name)
        return _count(record)
    patient = session.get(m.Patient, pid)
    assert patient is not None
    if record.patient.sex != "unknown":
        patient.sex = record.patient.sex
    patient.birth_date = record.patient.birth_date or patient.birth_date
    written = 0
    # Replace rows with the same reference; keep the patient's other rows.
    for table, items in _by_table(record):
        refs = [item.ref for item in items]
        if not refs:
            continue
        session.execute(delete(table).where(table.patient_id == pid, table.ref.in_(refs)))
        written += len(items)
    _insert_rows(session, record)
    patient.version = (patient.version or 0) + 1
    session.flush()
    return written


def _count(record: r.PatientRecord) -> int:
    return sum(len(items) for _, items in _by_table(record))


def _by_table(record: r.PatientRecord) -> list[tuple[type[Any], tuple[Any, ...]]]:
    return [
        (m.Condition, record.conditions),
        (m.Procedure, record.procedures),
        (m.Observation, record.observations),
        (m.Medication, record.medications),
        (m.Allergy, record.allergies),
    ]


def _insert_rows(session: Session, record: r.PatientRecord) -> None:
    """Insert rows without touching the patient's other rows (store_record replaces all)."""
    pid = record.patient.id
    for c in record.conditions:
        session.add(rec.condition_row(pid, c))
    for p in record.procedures:
        session.add(rec.procedure_row(pid, p))
    for o in record.observations:
        session.add(rec.observation_row(pid, o))
    for x in record.medications:
        session.add(rec.medication_row(pid, x))
    for a in record.allergies:
        session.add(rec.allergy_row(pid, a))
