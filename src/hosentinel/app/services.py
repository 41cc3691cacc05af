"""What the pages and the API need from the store and the engine. Services never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from hosentinel.app.errors import NotFound
from hosentinel.caching import LruCache
from hosentinel.core.assessment import SUSPICION_ORDER, Assessment
from hosentinel.core.engine import evaluate
from hosentinel.knowledge.loader import Knowledge
from hosentinel.store import models as m
from hosentinel.store.records import load_records

_RISK_ORDER = {"low": 0, "moderate": 1, "high": 2}


class AssessmentCache:
    """Assessments by (patient, record version, as-of date, knowledge digest). A write bumps the
    patient's version, so a cached assessment is never stale; the worklist reads mostly hits."""

    def __init__(self, limit: int = 20_000) -> None:
        self._items: LruCache[tuple[str, int, date, str], Assessment] = LruCache(limit)

    def get(self, patient: m.Patient, as_of: date, digest: str) -> Assessment | None:
        return self._items.get((patient.id, patient.version, as_of, digest))

    def put(self, patient: m.Patient, as_of: date, digest: str, assessment: Assessment) -> None:
        self._items.put((patient.id, patient.version, as_of, digest), assessment)


_NO_CACHE = AssessmentCache(limit=0)


def assess(
    db: Session,
    knowledge: Knowledge,
    patient_id: str,
    as_of: date,
    cache: AssessmentCache | None = None,
) -> Assessment:
    patient = db.get(m.Patient, patient_id)
    if patient is None:
        raise NotFound("No such patient.")
    return assess_many(db, knowledge, [patient], as_of, cache)[patient_id]


def assess_many(
    db: Session,
    knowledge: Knowledge,
    patients: list[m.Patient],
    as_of: date,
    cache: AssessmentCache | None = None,
) -> dict[str, Assessment]:
    cache = cache or _NO_CACHE
    found: dict[str, Assessment] = {}
    missing: list[m.Patient] = []
    for patient in patients:
        hit = cache.get(patient, as_of, knowledge.digest)
        if hit is None:
            missing.append(patient)
        else:
            found[patient.id] = hit
    by_id = {p.id: p for p in missing}
    for patient_id, record in load_records(db, missing).items():
        assessment = evaluate(record, knowledge, as_of)
        found[patient_id] = assessment
        cache.put(by_id[patient_id], as_of, knowledge.digest, assessment)
    return found


@dataclass(frozen=True)
class WorklistRow:
    patient: m.Patient
    assessment: Assessment
    overdue: int
    due_now: int
    contraindicated_orders: int
    score: tuple[int, ...]

    @property
    def attention(self) -> list[str]:
        """Why this patient is on top, in words, most urgent first."""
        a = self.assessment
        reasons: list[str] = []
        if any(r.priority == "urgent" for r in a.recommendations):
            reasons.append("urgent action")
        if self.contraindicated_orders:
            reasons.append("unsafe drug order")
        if a.suspicion.level != "none":
            reasons.append(f"HO {a.suspicion.level}")
        if self.overdue:
            reasons.append(f"{self.overdue} exam(s) overdue")
        if a.risk.level == "high":
            reasons.append("high risk")
        return reasons


def worklist_row(patient: m.Patient, a: Assessment) -> WorklistRow:
    overdue = sum(1 for d in a.surveillance.due if d.overdue)
    due_now = sum(1 for d in a.surveillance.due if d.due <= a.as_of)
    # A contraindicated drug that is also recommended or already on the record's orders.
    unsafe = sum(1 for c in a.cautions if c.level == "contraindicated" and c.recommended)
    urgent = any(r.priority == "urgent" for r in a.recommendations)
    score = (
        int(urgent),
        unsafe,
        SUSPICION_ORDER[a.suspicion.level],
        overdue,
        _RISK_ORDER[a.risk.level],
        due_now,
    )
    return WorklistRow(patient, a, overdue, due_now, unsafe, score)


def worklist(
    db: Session,
    knowledge: Knowledge,
    as_of: date,
    unit: str | None = None,
    cache: AssessmentCache | None = None,
) -> list[WorklistRow]:
    """Every patient of the unit, most in need of attention first."""
    query = select(m.Patient).order_by(m.Patient.display_name)
    if unit:
        query = query.where(m.Patient.unit == unit)
    patients = list(db.scalars(query))
    assessments = assess_many(db, knowledge, patients, as_of, cache)
    rows = [worklist_row(patient, assessments[patient.id]) for patient in patients]
    rows.sort(key=lambda row: row.score, reverse=True)
    return rows
