"""`hosentinel screen ... --into-app UNIT`: the morning worklist, loaded from the night's screen.

The rows that need the team (`patients.needs_the_team`) come with the resources they were judged
on, as a collection Bundle; each goes through the app's own import path (`read_bundle`, then
`merge_record`: idempotent on resource ids, as `POST /fhir` and `hosentinel import`), into the
unit's worklist. The app then assesses them with the same engine, so the worklist shows what the
screen found, with its basis on each patient's page.

One transaction per batch of rows (memory stays flat), one savepoint per patient: a patient that
cannot be stored is counted and named, and the others are kept. Each stored patient gets an audit
entry by the actor "hosentinel screen".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError

from hosentinel.fhir.identifiers import bundle_ids
from hosentinel.fhir.importer import BundleError, read_bundle
from hosentinel.fhir.names import display_name
from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening.patients import Row
from hosentinel.store import models as m
from hosentinel.store.audit import audit
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.merge import merge_record
from hosentinel.store.migrate import upgrade

ACTOR = "hosentinel screen"
_MAX_MESSAGES = 5
UNIT_MAX = 80  # the width of patients.unit


class IntoAppError(ValueError):
    """The worklist cannot be loaded at all (bad unit name, database unreachable)."""


@dataclass
class Loaded:
    """What `--into-app` did."""

    unit: str
    patients: int = 0  # stored (new or updated)
    new_patients: int = 0
    resources: int = 0
    failures: int = 0
    messages: list[str] = field(default_factory=list)


class WorklistLoader:
    """Receives the screen's batches of rows; stores those that carry their resources."""

    def __init__(self, database_url: str, unit: str, knowledge: Knowledge, as_of: date) -> None:
        unit = unit.strip()
        if not unit or len(unit) > UNIT_MAX:
            raise IntoAppError(f"the unit name must be 1 to {UNIT_MAX} characters")
        self.knowledge = knowledge
        self.as_of = as_of
        self.loaded = Loaded(unit)
        try:
            self.engine = make_engine(database_url)
            upgrade(self.engine)
        except (SQLAlchemyError, ValueError) as exc:
            raise IntoAppError(f"cannot open the app's database: {exc}") from None
        self.sessions = make_sessionmaker(self.engine)

    def __call__(self, rows: Sequence[Row]) -> None:
        wanted = [row for row in rows if row.source is not None]
        if not wanted:
            return
        with self.sessions.begin() as session:
            for row in wanted:
                self._store(session, row)

    def _store(self, session: Any, row: Row) -> None:
        loaded = self.loaded
        assert row.source is not None
        try:
            bundle = orjson.loads(row.source)
            record = read_bundle(bundle, self.knowledge, strict_dates=False)
            with session.begin_nested():
                pid = record.patient.id
                new = session.get(m.Patient, pid) is None
                name = next(
                    (
                        display_name(e["resource"])
                        for e in bundle["entry"]
                        if e["resource"].get("resourceType") == "Patient"
                    ),
                    None,
                )
                ids = bundle_ids(bundle).given()
                written = merge_record(session, record, display_name=name, identifiers=ids)
                patient = session.get(m.Patient, pid)
                assert patient is not None
                patient.unit = loaded.unit
            loaded.resources += written
            # Audited once the patient's savepoint has held (entries are written at the commit).
            audit(
                session,
                None,
                "write",
                f"screen as of {self.as_of.isoformat()}: into the {loaded.unit} worklist",
                pid,
                actor=ACTOR,
            )
        except (BundleError, SQLAlchemyError, ValueError) as exc:
            loaded.failures += 1
            if len(loaded.messages) < _MAX_MESSAGES:
                first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                loaded.messages.append(f"{row.patient}: {first}")
            return
        loaded.patients += 1
        loaded.new_patients += int(new)

    def close(self) -> None:
        self.engine.dispose()
