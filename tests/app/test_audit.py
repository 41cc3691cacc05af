"""Every read and write of a patient added by the alerts, family and admin pages is audited:
who, what action, which patient."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from hosentinel.store import models as m
from tests.support.appkit import SignedIn

PATIENT = "03-sci-hip-rom-loss-probable.json"
DVT = "rec:rule-out-dvt"


def new_entries(app: FastAPI, after: int) -> list[m.AuditEntry]:
    with app.state.sessionmaker() as session:
        return list(
            session.scalars(
                select(m.AuditEntry).where(m.AuditEntry.id > after).order_by(m.AuditEntry.id)
            )
        )


def last_id(app: FastAPI) -> int:
    with app.state.sessionmaker() as session:
        return session.scalar(select(func.max(m.AuditEntry.id))) or 0


# (user, method, url with {p} for the patient id, request keywords, action, what, has patient)
CALLS: list[tuple[str, str, str, dict[str, Any], str, str, bool]] = [
    ("physiatrist", "GET", "/patients/{p}/alerts", {}, "read", "alerts", True),
    ("nurse", "GET", "/api/patients/{p}/alerts", {}, "read", "alerts api", True),
    (
        "nurse",
        "POST",
        "/patients/{p}/alerts/rec:serial-joint-exam/acknowledge",
        {"data": {}, "follow_redirects": False},
        "write",
        "alert rec:serial-joint-exam acknowledged",
        True,
    ),
    (
        "physiatrist",
        "POST",
        "/patients/{p}/alerts/" + DVT + "/override",
        {"data": {"reason": "action-completed"}, "follow_redirects": False},
        "write",
        f"alert {DVT} overridden (action-completed)",
        True,
    ),
    (
        "lead",
        "POST",
        "/api/patients/{p}/alerts/" + DVT + "/acknowledge",
        {"json": {}},
        "write",
        f"alert {DVT} acknowledged",
        True,
    ),
    (
        "nurse",
        "POST",
        "/api/patients/{p}/alerts/" + DVT + "/override",
        {"json": {"reason": "patient-refuses"}},
        "write",
        f"alert {DVT} overridden (patient-refuses)",
        True,
    ),
    ("family", "GET", "/patients/{p}/family", {}, "read", "family view", True),
    ("family", "GET", "/patients/{p}/family/handout.pdf", {}, "read", "family handout pdf", True),
    ("family", "GET", "/api/patients/{p}/education", {}, "read", "education api", True),
    ("therapist", "GET", "/patients/{p}/family", {}, "read", "family view", True),
    ("lead", "GET", "/alerts/stats", {}, "read", "alert statistics (27 patients)", False),
    ("admin", "GET", "/api/alerts/stats", {}, "read", "alert statistics api (27 patients)", False),
    ("admin", "GET", "/admin/audit?patient={p}", {}, "read", "audit log", True),
]


@pytest.mark.parametrize(
    ("username", "method", "url", "kwargs", "action", "what", "has_patient"),
    CALLS,
    ids=[f"{c[0]} {c[1]} {c[2]}" for c in CALLS],
)
def test_each_patient_read_and_write_is_audited(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    username: str,
    method: str,
    url: str,
    kwargs: dict[str, Any],
    action: str,
    what: str,
    has_patient: bool,
) -> None:
    patient = demo_patient_ids[PATIENT]
    user = signed_in(username)
    before = last_id(app)
    target = url.format(p=patient)
    call = user.client.get if method == "GET" else user.post
    response = call(target, **kwargs)  # type: ignore[operator]
    assert response.status_code in (200, 303), response.text[:300]
    entries = [(e.username, e.action, e.what, e.patient_id) for e in new_entries(app, before)]
    assert entries == [(username, action, what, patient if has_patient else None)]


def test_user_administration_is_audited_with_the_linked_patient(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    patient = demo_patient_ids[PATIENT]
    admin = signed_in("admin")
    before = last_id(app)
    response = admin.post(  # type: ignore[attr-defined]
        "/api/admin/users",
        json={
            "username": "son",
            "display_name": "A Son",
            "role": "family",
            "password": "a long password",
            "patient_id": patient,
        },
    )
    assert response.status_code == 201
    user_id = response.json()["id"]
    admin.client.patch(
        f"/api/admin/users/{user_id}", json={"active": False}, headers={"X-CSRF-Token": admin.csrf}
    )
    entries = [(e.username, e.action, e.what, e.patient_id) for e in new_entries(app, before)]
    assert entries == [
        ("admin", "admin", "created user son (family)", patient),
        ("admin", "admin", "changed user son: deactivated", patient),
    ]


def test_refused_requests_leave_no_patient_data_behind(
    app: FastAPI, signed_in: Callable[[str], SignedIn], demo_patient_ids: dict[str, str]
) -> None:
    other = demo_patient_ids["04-sci-day-18-swollen-thigh.json"]
    family = signed_in("family")
    before = last_id(app)
    assert family.client.get(f"/patients/{other}/family").status_code == 404
    assert family.client.get(f"/api/patients/{other}/education").status_code == 404
    assert new_entries(app, before) == []


def test_the_audit_log_is_append_only(app: FastAPI, signed_in: Callable[[str], SignedIn]) -> None:
    signed_in("nurse")
    with app.state.sessionmaker() as session:
        entry = session.scalars(select(m.AuditEntry)).first()
        assert entry is not None
        entry.what = "rewritten"
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
    with app.state.sessionmaker() as session:
        entry = session.scalars(select(m.AuditEntry)).first()
        assert entry is not None and entry.what != "rewritten"
        session.delete(entry)
        with pytest.raises(PermissionError):
            session.flush()
        session.rollback()
    with app.state.sessionmaker.begin() as session:
        session.add(
            m.AuditEntry(at=datetime.now(UTC), username="x", action="read", what="append works")
        )
    assert any(e.what == "append works" for e in new_entries(app, 0))


def test_the_database_itself_refuses_to_change_the_audit_log(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    """Past the ORM (as the CDS ledger's Core statements, or any other database client): the
    migration's triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL)."""
    signed_in("nurse")
    engine = app.state.engine
    audit = m.AuditEntry.__table__
    before = new_entries(app, 0)
    attempts = [update(audit).values(what="rewritten"), delete(audit)]
    if engine.dialect.name == "postgresql":
        attempts.append(text("TRUNCATE audit_log"))
    for statement in attempts:
        with engine.connect() as connection, pytest.raises(DBAPIError, match="append-only"):
            connection.execute(statement)
    with engine.begin() as connection:
        connection.execute(
            audit.insert().values(at=datetime.now(UTC), username="x", action="read", what="core")
        )
    after = new_entries(app, 0)
    assert [(e.id, e.what) for e in after[:-1]] == [(e.id, e.what) for e in before]
    assert after[-1].what == "core"
