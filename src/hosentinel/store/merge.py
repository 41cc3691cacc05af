"""Merge an imported record into the store, idempotent on resource references.

Re-sending the same Bundle changes nothing; a Bundle with some new resources adds them and
replaces the resources it repeats (same reference); resources it does not mention are kept.
A replaced row's old and new values are kept in `replaced_resources`; what the app itself
created (an exam entered by a clinician) is never replaced by an import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hosentinel.core import record as r
from hosentinel.store import models as m
from hosentinel.store import records as rec
from hosentinel.store.records import set_identifiers, store_record

# References the app itself creates (exam entry): never written by an import.
APP_CREATED_PREFIXES = ("Observation/exam-",)


@dataclass
class MergeOutcome:
    written: int = 0
    # References whose stored values the import changed (kept in `replaced_resources`).
    replaced: list[str] = field(default_factory=list)
    # References the import may not write (made in the app), left as they were.
    protected: list[str] = field(default_factory=list)


def protected_refs(session: Session, record: r.PatientRecord) -> list[str]:
    """The record's references that name something the app created: an app-created id, or an
    observation a user entered in the app (`entered_by`)."""
    refs = [o.ref for o in record.observations]
    found = {ref for ref in refs if ref.startswith(APP_CREATED_PREFIXES)}
    if refs:
        found.update(
            session.scalars(
                select(m.Observation.ref).where(
                    m.Observation.patient_id == record.patient.id,
                    m.Observation.ref.in_(refs),
                    m.Observation.entered_by.is_not(None),
                )
            )
        )
    return sorted(found)


def merge_record(
    session: Session,
    record: r.PatientRecord,
    *,
    display_name: str | None = None,
    identifiers: Mapping[str, str] | None = None,
) -> int:
    """Store the record's resources for its patient; returns how many clinical rows were written.
    `identifiers` (mrn, bed, attending) replace those given; the others are kept."""
    return merge_tracked(
        session, record, display_name=display_name, identifiers=identifiers
    ).written


def merge_tracked(
    session: Session,
    record: r.PatientRecord,
    *,
    display_name: str | None = None,
    actor: str = "import",
    identifiers: Mapping[str, str] | None = None,
) -> MergeOutcome:
    """`merge_record`, saying what it replaced (history kept, named `actor`) and what it left
    alone because the app created it."""
    outcome = MergeOutcome(protected=protected_refs(session, record))
    if outcome.protected:
        skip = set(outcome.protected)
        record = replace(
            record, observations=tuple(o for o in record.observations if o.ref not in skip)
        )
    pid = record.patient.id
    if session.get(m.Patient, pid) is None:
        store_record(session, record, display_name=display_name, identifiers=identifiers)
        outcome.written = _count(record)
        return outcome
    patient = session.get(m.Patient, pid)
    assert patient is not None
    if record.patient.sex != "unknown":
        patient.sex = record.patient.sex
    patient.birth_date = record.patient.birth_date or patient.birth_date
    set_identifiers(patient, identifiers)
    rows = _rows(record)
    at = datetime.now(UTC)
    # Replace rows with the same reference; keep the patient's other rows, and the old values.
    for table, new_rows in rows:
        refs = [row.ref for row in new_rows]
        if not refs:
            continue
        old = {
            row.ref: _values(row)
            for row in session.scalars(
                select(table).where(table.patient_id == pid, table.ref.in_(refs))
            )
        }
        for row in new_rows:
            before = old.get(row.ref)
            after = _values(row)
            if before is not None and before != after:
                session.add(
                    m.ReplacedResource(
                        patient_id=pid,
                        ref=row.ref,
                        old_value=before,
                        new_value=after,
                        replaced_by=actor[:80],
                        replaced_at=at,
                    )
                )
                outcome.replaced.append(row.ref)
        session.execute(delete(table).where(table.patient_id == pid, table.ref.in_(refs)))
        outcome.written += len(new_rows)
    for _, new_rows in rows:
        session.add_all(new_rows)
    patient.version = (patient.version or 0) + 1
    session.flush()
    return outcome


# Columns that say where a row is, not what it says.
_NOT_VALUES = ("id", "patient_id")


def _values(row: Any) -> dict[str, Any]:
    """A row's clinical values as JSON-ready data (dates as ISO strings)."""
    values: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in _NOT_VALUES:
            continue
        value = getattr(row, column.key)
        values[column.key] = value.isoformat() if isinstance(value, date | datetime) else value
    return values


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


def _rows(record: r.PatientRecord) -> list[tuple[type[Any], list[Any]]]:
    """New rows for the record's resources, per table (store_record replaces all instead)."""
    pid = record.patient.id
    return [
        (m.Condition, [rec.condition_row(pid, c) for c in record.conditions]),
        (m.Procedure, [rec.procedure_row(pid, p) for p in record.procedures]),
        (m.Observation, [rec.observation_row(pid, o) for o in record.observations]),
        (m.Medication, [rec.medication_row(pid, x) for x in record.medications]),
        (m.Allergy, [rec.allergy_row(pid, a) for a in record.allergies]),
    ]
