"""Concurrent edits of one record: exactly one wins, the other gets a clear 409, nothing is lost
and nothing is half-written. On SQLite and PostgreSQL (the `app` fixture runs each test on both).

Exam forms and calls carry the patient's record version; alert decisions the alert's decision
number; admin edits the user's version. Stale: 409. Two writers on the same version at the same
moment: the versioned UPDATE (patients, users) or the unique decision number (alert_states)
lets exactly one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from hosentinel.core import record as r
from hosentinel.store import models as m
from hosentinel.store.records import add_observations
from tests.support.appkit import SignedIn
from tests.support.examkit import count_observations, form_values

HIP = "03-sci-hip-rom-loss-probable.json"  # prefilled hip values; fires rec:rule-out-dvt
DVT = "rec:rule-out-dvt"
OBS = r.Observation(ref="Observation/concurrent-1", codings=(), site=r.BodySite("knee", "left"))


def version_of(app: FastAPI, patient_id: str) -> int:
    with app.state.sessionmaker() as session:
        patient = session.get(m.Patient, patient_id)
        assert patient is not None
        return patient.version


def test_exam_form_based_on_an_old_version_is_refused_and_keeps_the_entered_joints(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    first, second = signed_in("therapist"), signed_in("physiatrist")
    form_a = form_values(first.client.get(f"/patients/{pid}/exam").text)
    form_b = form_values(second.client.get(f"/patients/{pid}/exam").text)
    assert form_a["version"] == form_b["version"] == str(version_of(app, pid))

    form_a["hip-left-flexion"] = "61"  # the therapist measures the left hip
    saved = first.post(f"/patients/{pid}/exam", data=form_a, follow_redirects=False)
    assert saved.status_code == 303  # type: ignore[attr-defined]
    after_first = count_observations(app, pid)

    form_b["knee-right-flexion"] = "101"  # the physiatrist measured the right knee
    form_b["hip-left-examined"] = "yes"  # and found the left hip as last time (105, they think)
    refused: Any = second.post(f"/patients/{pid}/exam", data=form_b)
    assert refused.status_code == 409
    assert "Not saved: someone else changed this patient" in refused.text
    assert "changed by therapist at" in refused.text
    assert count_observations(app, pid) == after_first, "nothing of the refused save is stored"

    again = form_values(refused.text)
    assert again["version"] == str(version_of(app, pid))
    assert again["knee-right-flexion"] == "101", "the joint they entered is kept"
    assert "Last: 61° on 2026-06-01" in refused.text, "the newer last value is shown"
    resaved = second.post(f"/patients/{pid}/exam", data=again, follow_redirects=False)
    assert resaved.status_code == 303  # type: ignore[attr-defined]
    with app.state.sessionmaker() as session:
        written = {
            (o.site_joint, o.site_side, o.value_quantity, o.entered_by)
            for o in session.scalars(
                select(m.Observation).where(
                    m.Observation.patient_id == pid, m.Observation.ref.like("Observation/exam-%")
                )
            )
            if o.value_quantity is not None
        }
        users = {u.username: u.id for u in session.scalars(select(m.User))}
    assert ("hip", "left", 61.0, users["therapist"]) in written
    assert ("knee", "right", 101.0, users["physiatrist"]) in written
    # "No change" repeated the newer last value they were shown, not the stale one.
    assert ("hip", "left", 61.0, users["physiatrist"]) in written
    assert ("hip", "left", 105.0, users["physiatrist"]) not in written


def test_exam_api_with_a_stale_version_gets_409_and_saves_nothing(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    nurse = signed_in("nurse")
    version = nurse.client.get(f"/api/patients/{pid}").json()["version"]
    exam = {
        "exam_date": "2026-06-01",
        "joints": [{"joint": "knee", "side": "left", "pain": False}],
    }
    ok: Any = nurse.post(f"/api/patients/{pid}/exams", json={**exam, "version": version})
    assert ok.status_code == 201 and ok.json()["version"] == version + 1
    before = count_observations(app, pid)
    stale: Any = nurse.post(f"/api/patients/{pid}/exams", json={**exam, "version": version})
    assert stale.status_code == 409
    assert "was changed by nurse at" in stale.json()["error"]
    assert count_observations(app, pid) == before
    unconditional: Any = nurse.post(f"/api/patients/{pid}/exams", json=exam)
    assert unconditional.status_code == 201  # no version: an append of new measurements


def test_two_writers_on_the_same_version_exactly_one_commits(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    """Both read version N and edit based on it: the conditional UPDATE of the patient row lets
    the first commit and refuses the second (StaleDataError, mapped to HTTP 409)."""
    pid = demo_patient_ids[HIP]
    start = version_of(app, pid)
    before = count_observations(app, pid)
    maker = app.state.sessionmaker
    with maker() as one, maker() as two:
        # Both hold the patient as read (a request holds it for its whole transaction).
        held = [one.get(m.Patient, pid), two.get(m.Patient, pid)]
        assert all(p is not None and p.version == start for p in held)
        add_observations(one, pid, [OBS], None, expected_version=start)
        one.commit()
        with pytest.raises(StaleDataError):
            add_observations(two, pid, [OBS], None, expected_version=start)
        two.rollback()
    assert version_of(app, pid) == start + 1
    assert count_observations(app, pid) == before + 1


def test_concurrent_appends_without_a_version_all_count(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    """Exams sent without a version (appends) are never refused, and each moves the version on:
    the bump is `version = version + 1` in SQL, not a value computed from a stale read."""
    pid = demo_patient_ids[HIP]
    start = version_of(app, pid)
    before = count_observations(app, pid)
    maker = app.state.sessionmaker
    with maker() as one, maker() as two:
        held = [one.get(m.Patient, pid), two.get(m.Patient, pid)]
        assert all(p is not None and p.version == start for p in held)
        add_observations(one, pid, [OBS], None)
        one.commit()
        add_observations(two, pid, [OBS], None)
        two.commit()
        assert held[1] is not None and held[1].version == start + 2
    assert version_of(app, pid) == start + 2
    assert count_observations(app, pid) == before + 2


def test_alert_decision_based_on_an_old_number_gets_409(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    doctor, nurse = signed_in("physiatrist"), signed_in("nurse")
    seen = [a for a in nurse.client.get(f"/api/patients/{pid}/alerts").json() if a["key"] == DVT]
    assert seen[0]["version"] == 0 and seen[0]["state"] is None
    ack: Any = doctor.post(f"/api/patients/{pid}/alerts/{DVT}/acknowledge", json={"version": 0})
    assert ack.status_code == 200 and ack.json()["version"] == 1
    body = {"reason": "cds-not-applicable", "version": 0}
    late: Any = nurse.post(f"/api/patients/{pid}/alerts/{DVT}/override", json=body)
    assert late.status_code == 409
    assert "acknowledged this alert" in late.json()["error"]
    # The HTMX form: the alert's block comes back as a 409 showing the decision made meanwhile.
    block: Any = nurse.post(
        f"/patients/{pid}/alerts/{DVT}/override",
        data={"reason": "cds-not-applicable", "version": "0"},
        headers={"HX-Request": "true"},
    )
    assert block.status_code == 409
    assert "Acknowledged" in block.text and "Nothing was saved" in block.text
    assert 'name="version" value="1"' in block.text
    with app.state.sessionmaker() as session:
        rows = list(
            session.scalars(
                select(m.AlertState).where(
                    m.AlertState.patient_id == pid, m.AlertState.alert_key == DVT
                )
            )
        )
    assert [(s.status, s.version) for s in rows] == [("acknowledged", 1)]
    again: Any = nurse.post(
        f"/api/patients/{pid}/alerts/{DVT}/override", json={**body, "version": 1}
    )
    assert again.status_code == 200 and again.json()["version"] == 2


def test_two_decisions_with_the_same_number_cannot_both_commit(
    app: FastAPI, demo_patient_ids: dict[str, str]
) -> None:
    pid = demo_patient_ids[HIP]
    at = datetime(2026, 6, 1, 9, tzinfo=UTC)
    maker = app.state.sessionmaker
    with maker.begin() as session:
        session.add(
            m.AlertState(patient_id=pid, alert_key=DVT, status="acknowledged", version=1, at=at)
        )
    with pytest.raises(IntegrityError), maker.begin() as session:
        session.add(
            m.AlertState(patient_id=pid, alert_key=DVT, status="overridden", version=1, at=at)
        )
    with maker.begin() as session:  # EHR feedback is unnumbered: never in conflict
        for status in ("accepted", "overridden"):
            row = m.AlertState(patient_id=pid, alert_key=DVT, status=status, at=at)
            row.source = "cds-hooks"
            session.add(row)
    with maker() as session:
        count = session.scalar(select(func.count()).where(m.AlertState.patient_id == pid))
    assert count == 3


def test_admin_edit_based_on_an_old_user_version_gets_409(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    admin = signed_in("admin")
    users = admin.client.get("/api/admin/users").json()
    nurse = next(u for u in users if u["username"] == "nurse")
    first: Any = admin.client.patch(
        f"/api/admin/users/{nurse['id']}",
        json={"active": False, "version": nurse["version"]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert first.status_code == 200 and first.json()["version"] == nurse["version"] + 1
    stale: Any = admin.client.patch(
        f"/api/admin/users/{nurse['id']}",
        json={"role": "therapist", "version": nurse["version"]},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert stale.status_code == 409 and "another admin" in stale.json()["error"]
    page: Any = admin.post(
        f"/admin/users/{nurse['id']}",
        data={"role": "therapist", "active": "no", "version": str(nurse["version"])},
    )
    assert page.status_code == 409 and "changed by another admin" in page.text
    final = next(u for u in admin.client.get("/api/admin/users").json() if u["username"] == "nurse")
    assert final["role"] == "nurse" and final["active"] is False


def test_migration_numbers_existing_decisions_and_downgrades(app_db_url: str) -> None:
    """7e0c9a1b2d30 on a database with decisions made before it: the app's are numbered per
    alert in the order they were made, EHR feedback stays unnumbered; down and up again."""
    from alembic import command
    from sqlalchemy import text

    from hosentinel.store.db import make_engine
    from hosentinel.store.migrate import alembic_config, upgrade

    engine = make_engine(app_db_url)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "4c11cb834fda")
        with engine.begin() as connection:
            pid = connection.scalar(text("SELECT id FROM patients ORDER BY id LIMIT 1"))
            rows = [
                ("rec:a", "acknowledged", "app", "2026-05-01 10:00:00"),
                ("rec:b", "overridden", "app", "2026-05-01 09:00:00"),
                ("rec:a", "overridden", "app", "2026-05-02 10:00:00"),
                ("rec:a", "accepted", "cds-hooks", "2026-05-01 11:00:00"),
            ]
            for key, status, source, at in rows:
                connection.execute(
                    text(
                        "INSERT INTO alert_states (patient_id, alert_key, status, source, at)"
                        " VALUES (:p, :k, :s, :src, :at)"
                    ),
                    {"p": pid, "k": key, "s": status, "src": source, "at": at},
                )
        upgrade(engine)
        with engine.connect() as connection:
            numbered = list(
                connection.execute(
                    text(
                        "SELECT alert_key, status, version FROM alert_states"
                        " WHERE patient_id = :p ORDER BY alert_key, at"
                    ),
                    {"p": pid},
                )
            )
            user_versions = set(connection.scalars(text("SELECT version FROM users")))
        assert [tuple(r) for r in numbered] == [
            ("rec:a", "acknowledged", 1),
            ("rec:a", "accepted", None),
            ("rec:a", "overridden", 2),
            ("rec:b", "overridden", 1),
        ]
        assert user_versions == {1}
    finally:
        engine.dispose()
