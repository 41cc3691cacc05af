"""Database rows <-> the core's record value objects.

`load_record` builds exactly the `PatientRecord` the FHIR importer would, so the app and
`hosentinel assess` agree on every patient; `store_record` saves one (e.g. an imported Bundle).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from hosentinel.core import record as r
from hosentinel.store import models as m

CLINICAL_TABLES: tuple[type[Any], ...] = (
    m.Condition,
    m.Procedure,
    m.Observation,
    m.Medication,
    m.Allergy,
)


def _codings(raw: list[Any]) -> tuple[r.Coding, ...]:
    return tuple(r.Coding(c["system"], c["code"], c.get("display")) for c in raw)


def _raw_codings(codings: tuple[r.Coding, ...]) -> list[dict[str, str | None]]:
    return [{"system": c.system, "code": c.code, "display": c.display} for c in codings]


def _site(row: Any) -> r.BodySite:
    return r.BodySite(joint=row.site_joint, side=row.site_side)


def load_record(session: Session, patient_id: str) -> r.PatientRecord | None:
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        return None
    return load_records(session, [patient])[patient_id]


def load_records(session: Session, patients: list[m.Patient]) -> dict[str, r.PatientRecord]:
    """Records for many patients in one query per table (the worklist reads the whole unit)."""
    ids = [p.id for p in patients]
    by_table: dict[type[Any], dict[str, list[Any]]] = {}
    for table in CLINICAL_TABLES:
        grouped: dict[str, list[Any]] = {pid: [] for pid in ids}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # Plain rows, not ORM objects: a year of exams is thousands of rows, and building
            # tracked ORM instances for them dominated the patient page's time.
            columns = table.__table__
            query = select(columns).where(columns.c.patient_id.in_(chunk)).order_by(columns.c.id)
            for row in session.execute(query):
                grouped[row.patient_id].append(row)
        by_table[table] = grouped
    return {p.id: _record(p, {t: g[p.id] for t, g in by_table.items()}) for p in patients}


def _record(patient: m.Patient, rows_by_table: dict[type[Any], list[Any]]) -> r.PatientRecord:
    def rows(table: type[Any]) -> list[Any]:
        return rows_by_table[table]

    return r.PatientRecord(
        patient=r.Patient(
            id=patient.id,
            sex=patient.sex,  # type: ignore[arg-type]
            birth_date=patient.birth_date,
            deceased=bool(patient.deceased),
            deceased_on=patient.deceased_on,
        ),
        conditions=tuple(
            r.Condition(
                ref=c.ref,
                codings=_codings(c.codings),
                text=c.text,
                onset=c.onset,
                abatement=c.abatement,
                recorded=c.recorded,
                active=c.active,
                site=_site(c),
                unconfirmed=bool(c.unconfirmed),
            )
            for c in rows(m.Condition)
        ),
        procedures=tuple(
            r.Procedure(
                ref=p.ref,
                codings=_codings(p.codings),
                text=p.text,
                performed=p.performed,
                completed=p.completed,
                site=_site(p),
            )
            for p in rows(m.Procedure)
        ),
        observations=tuple(
            r.Observation(
                ref=o.ref,
                codings=_codings(o.codings),
                text=o.text,
                effective=o.effective,
                value_quantity=o.value_quantity,
                unit=o.unit,
                value_bool=o.value_bool,
                value_code=o.value_code,
                interpretation=o.interpretation,
                reference_low=o.reference_low,
                reference_high=o.reference_high,
                site=_site(o),
                evidence=o.evidence,
            )
            for o in rows(m.Observation)
        ),
        medications=tuple(
            r.Medication(
                ref=x.ref,
                codings=_codings(x.codings),
                text=x.text,
                start=x.start,
                end=x.end,
                active=x.active,
            )
            for x in rows(m.Medication)
        ),
        allergies=tuple(
            r.Allergy(
                ref=a.ref,
                codings=_codings(a.codings),
                text=a.text,
                recorded=a.recorded,
                active=a.active,
            )
            for a in rows(m.Allergy)
        ),
    )


def observation_row(
    patient_id: str, obs: r.Observation, entered_by: int | None = None
) -> m.Observation:
    return m.Observation(
        patient_id=patient_id,
        ref=obs.ref,
        codings=_raw_codings(obs.codings),
        text=obs.text,
        site_joint=obs.site.joint,
        site_side=obs.site.side,
        effective=obs.effective,
        value_quantity=obs.value_quantity,
        unit=obs.unit,
        value_bool=obs.value_bool,
        value_code=obs.value_code,
        interpretation=obs.interpretation,
        reference_low=obs.reference_low,
        reference_high=obs.reference_high,
        entered_by=entered_by,
        evidence=obs.evidence,
    )


def condition_row(patient_id: str, c: r.Condition) -> m.Condition:
    return m.Condition(
        patient_id=patient_id,
        ref=c.ref,
        codings=_raw_codings(c.codings),
        text=c.text,
        site_joint=c.site.joint,
        site_side=c.site.side,
        onset=c.onset,
        abatement=c.abatement,
        recorded=c.recorded,
        active=c.active,
        unconfirmed=c.unconfirmed,
    )


def procedure_row(patient_id: str, p: r.Procedure) -> m.Procedure:
    return m.Procedure(
        patient_id=patient_id,
        ref=p.ref,
        codings=_raw_codings(p.codings),
        text=p.text,
        site_joint=p.site.joint,
        site_side=p.site.side,
        performed=p.performed,
        completed=p.completed,
    )


def medication_row(patient_id: str, x: r.Medication) -> m.Medication:
    return m.Medication(
        patient_id=patient_id,
        ref=x.ref,
        codings=_raw_codings(x.codings),
        text=x.text,
        start=x.start,
        end=x.end,
        active=x.active,
    )


def allergy_row(patient_id: str, a: r.Allergy) -> m.Allergy:
    return m.Allergy(
        patient_id=patient_id,
        ref=a.ref,
        codings=_raw_codings(a.codings),
        text=a.text,
        recorded=a.recorded,
        active=a.active,
    )


def store_record(
    session: Session,
    record: r.PatientRecord,
    *,
    display_name: str | None = None,
    unit: str | None = None,
    identifiers: Mapping[str, str] | None = None,
) -> m.Patient:
    """Insert or replace one patient's record (idempotent on the patient id). `identifiers`
    (`PatientIds.given()`: mrn, bed, attending) replace those the import gives."""
    pid = record.patient.id
    patient = session.get(m.Patient, pid)
    if patient is None:
        patient = m.Patient(
            id=pid, display_name=display_name or f"Patient {pid[:8]}", created_at=datetime.now(UTC)
        )
        session.add(patient)
    elif display_name:
        patient.display_name = display_name
    patient.version = (patient.version or 0) + 1
    patient.sex = record.patient.sex
    patient.birth_date = record.patient.birth_date
    patient.deceased = record.patient.deceased
    patient.deceased_on = record.patient.deceased_on
    if unit:
        patient.unit = unit
    set_identifiers(patient, identifiers)
    session.flush()
    for table in CLINICAL_TABLES:
        session.execute(delete(table).where(table.patient_id == pid))
    for c in record.conditions:
        session.add(condition_row(pid, c))
    for p in record.procedures:
        session.add(procedure_row(pid, p))
    for o in record.observations:
        session.add(observation_row(pid, o))
    for x in record.medications:
        session.add(medication_row(pid, x))
    for a in record.allergies:
        session.add(allergy_row(pid, a))
    session.flush()
    return patient


IDENTIFIERS = ("mrn", "bed", "attending")


def set_identifiers(patient: m.Patient, identifiers: Mapping[str, str] | None) -> None:
    """The ward identifiers an import gives; those it does not give are kept."""
    for key, value in (identifiers or {}).items():
        if key in IDENTIFIERS and value:
            setattr(patient, key, value)


def bump_version(session: Session, patient: m.Patient, expected: int | None = None) -> int:
    """Move the patient's record version on by one, in the database: `version = version + 1`,
    so concurrent appends each count (they queue on the row, none is refused). With `expected`,
    only if the version is still that one: otherwise StaleDataError (HTTP 409), nothing
    changed. Returns the new version (also set on `patient`, as committed state)."""
    query = update(m.Patient).where(m.Patient.id == patient.id)
    if expected is not None:
        query = query.where(m.Patient.version == expected)
    new = session.execute(
        query.values(version=m.Patient.version + 1).returning(m.Patient.version),
        execution_options={"synchronize_session": False},
    ).scalar_one_or_none()
    if new is None:
        raise StaleDataError(f"patient {patient.id} is no longer at version {expected}")
    set_committed_value(patient, "version", new)
    return int(new)


def add_observations(
    session: Session,
    patient_id: str,
    observations: list[r.Observation] | tuple[r.Observation, ...],
    entered_by: int | None,
    expected_version: int | None = None,
) -> list[m.Observation]:
    """Append observations to a patient's record (nothing is replaced) and bump the patient's
    version, so cached assessments and the worklist see the change. With `expected_version`
    (an edit based on what the clinician saw), only if the record is still at that version:
    otherwise StaleDataError and nothing is written."""
    patient = session.get(m.Patient, patient_id)
    if patient is None:
        raise LookupError(f"no patient {patient_id}")
    bump_version(session, patient, expected_version)
    rows = [observation_row(patient_id, obs, entered_by) for obs in observations]
    session.add_all(rows)
    session.flush()
    return rows
