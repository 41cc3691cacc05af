"""`hosentinel screen --into-app UNIT`: the night's screen puts the patients who need the team on
the unit's worklist, through the app's own import path, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from hosentinel.core.engine import evaluate
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.screening.into_app import ACTOR, IntoAppError, WorklistLoader
from hosentinel.screening.patients import Row, needs_the_team, row_of
from hosentinel.screening.screen import ScreenOptions, screen
from hosentinel.screening.synth import SynthOptions, synthesize
from hosentinel.store import models as m
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.records import CLINICAL_TABLES, load_record
from tests.support.appkit import TODAY, SignedIn

UNIT = "Spinal cord unit"
PATIENTS = 80


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("into-app-export")
    synthesize(out, SynthOptions(patients=PATIENTS, seed=23, max_lines=400))
    return out


def _rows(path: Path) -> dict[str, Row]:
    with path.open(newline="", encoding="utf-8") as f:
        return {r["patient"]: Row(**r) for r in csv.DictReader(f)}


def _screen_into(export: Path, out: Path, url: str) -> WorklistLoader:
    loader = WorklistLoader(url, UNIT, default_knowledge(), TODAY)
    try:
        screen(export, out, ScreenOptions(as_of=TODAY), into=loader)
    finally:
        loader.close()
    return loader


def _clinical_rows(url: str) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return sum(
                session.scalar(select(func.count()).select_from(table)) or 0
                for table in CLINICAL_TABLES
            )
    finally:
        engine.dispose()


def test_the_patients_who_need_the_team_land_on_the_worklist_as_screened(
    app: FastAPI,
    app_db_url: str,
    export: Path,
    tmp_path: Path,
    signed_in: Callable[[str], SignedIn],
) -> None:
    loader = _screen_into(export, tmp_path / "rows.csv", app_db_url)
    rows = _rows(tmp_path / "rows.csv")
    wanted = {pid for pid, row in rows.items() if needs_the_team(row)}
    assert 0 < len(wanted) < len(rows), "the synthetic census has both kinds"
    loaded = loader.loaded
    assert (loaded.patients, loaded.new_patients, loaded.failures) == (len(wanted), len(wanted), 0)

    knowledge = default_knowledge()
    engine = make_engine(app_db_url)
    with make_sessionmaker(engine)() as session:
        stored = session.scalars(select(m.Patient).where(m.Patient.unit == UNIT)).all()
        assert {f"Patient/{p.id}" for p in stored} == wanted
        for patient in stored:
            record = load_record(session, patient.id)
            assert record is not None
            # What the app assesses from the stored rows is what the screen wrote.
            assert row_of(evaluate(record, knowledge, TODAY)) == rows[f"Patient/{patient.id}"]
            assert not patient.display_name.startswith("Patient "), "named from the Patient"
        audited = session.scalars(
            select(m.AuditEntry.patient_id).where(m.AuditEntry.username == ACTOR)
        ).all()
        assert {f"Patient/{pid}" for pid in audited} == wanted
    # Another unit's clinicians do not see them (units, issue 15); this unit's do.
    outside = signed_in("physiatrist").client.get("/api/worklist", params={"unit": UNIT})
    assert outside.status_code == 200 and outside.json() == []
    with make_sessionmaker(engine).begin() as session:
        for user in session.scalars(
            select(m.User).where(m.User.role.in_(("physiatrist", "nurse")))
        ):
            user.unit = UNIT
    engine.dispose()

    worklist = signed_in("physiatrist").client.get("/api/worklist", params={"unit": UNIT})
    assert worklist.status_code == 200
    assert {f"Patient/{item['patient']}" for item in worklist.json()} == wanted
    page = signed_in("nurse").client.get("/", params={"unit": UNIT})
    for patient in stored:
        assert patient.display_name in page.text

    # Tomorrow's screen of the same export changes nothing: idempotent on resource ids.
    before = _clinical_rows(app_db_url)
    again = _screen_into(export, tmp_path / "rows-again.csv", app_db_url).loaded
    assert (again.patients, again.new_patients, again.failures) == (len(wanted), 0, 0)
    assert _clinical_rows(app_db_url) == before


def test_a_patient_that_cannot_be_stored_is_named_and_the_others_are_kept(
    app_db_url: str, export: Path, tmp_path: Path
) -> None:
    loader = WorklistLoader(app_db_url, UNIT, default_knowledge(), TODAY)
    good: list[Row] = []
    screen(export, tmp_path / "rows.csv", ScreenOptions(as_of=TODAY), into=good.extend)
    first = next(row for row in good if row.source is not None)
    broken = Row("Patient/broken", "high", "in-window", "none", "", "", source='{"entry": 3}')
    try:
        loader([broken, first])
    finally:
        loader.close()
    assert (loader.loaded.patients, loader.loaded.failures) == (1, 1)
    assert loader.loaded.messages[0].startswith("Patient/broken: ")


def test_only_rows_that_need_the_team_carry_their_resources(export: Path, tmp_path: Path) -> None:
    kept: list[Row] = []
    screen(export, tmp_path / "rows.csv", ScreenOptions(as_of=TODAY), into=kept.extend)
    assert kept and all((row.source is not None) == needs_the_team(row) for row in kept)
    screen(export, tmp_path / "plain.csv", ScreenOptions(as_of=TODAY))
    assert (tmp_path / "rows.csv").read_bytes() == (tmp_path / "plain.csv").read_bytes()


@pytest.mark.parametrize("unit", ["", " ", "x" * 81])
def test_a_bad_unit_name_is_refused_before_any_work(unit: str, tmp_path: Path) -> None:
    with pytest.raises(IntoAppError, match="unit name"):
        WorklistLoader(f"sqlite:///{tmp_path / 'app.db'}", unit, default_knowledge(), TODAY)
    assert not (tmp_path / "app.db").exists()
