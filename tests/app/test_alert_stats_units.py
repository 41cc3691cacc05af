"""Alert statistics by unit (issue 15; DESIGN.md: the unit lead follows alert burden and override
rates): a unit lead sees their own unit's patients and the decisions about them only; an admin
sees every unit, one by one and in total."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import update

from hosentinel.app.security import hash_password
from hosentinel.store import models as m
from tests.support.appkit import SignedIn, sign_in

WARD = "Ward 9"
MOVED = ("04-sci-day-18-swollen-thigh.json", "03-sci-hip-rom-loss-probable.json")
DVT = "rec:rule-out-dvt"


@pytest.fixture
def two_units(app: FastAPI, demo_patient_ids: dict[str, str]) -> list[str]:
    """Two demo patients moved to Ward 9 (with a lead of their own), and one override there."""
    moved = [demo_patient_ids[f] for f in MOVED]
    with app.state.sessionmaker.begin() as session:
        session.execute(update(m.Patient).where(m.Patient.id.in_(moved)).values(unit=WARD))
        session.add(
            m.User(
                username="ward9-lead",
                display_name="Ward 9 lead",
                role="unit-lead",
                unit=WARD,
                password_hash=hash_password("ward-nine-password"),
                created_at=datetime.now(UTC),
            )
        )
        session.add(
            m.AlertState(
                patient_id=moved[0],
                alert_key=DVT,
                status="overridden",
                reason_code="patient-refuses",
                source="app",
                at=datetime.now(UTC),
            )
        )
    return moved


def _stats(client: SignedIn, query: str = "") -> dict[str, Any]:
    response = client.client.get("/api/alerts/stats" + query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _overridden(body: dict[str, Any]) -> int:
    return sum(a["overridden"] for a in body["alerts"])


def test_a_unit_lead_sees_their_unit_only(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    two_units: list[str],
) -> None:
    rehab = _stats(signed_in("lead"))
    assert rehab["patients"] == len(demo_patient_ids) - len(two_units)
    assert rehab["unit"] == "Rehab unit" and rehab["units"] is None
    assert _overridden(rehab) == 0  # the Ward 9 override is not the Rehab unit's
    ward = _stats(sign_in(app, "ward9-lead", "ward-nine-password"))
    assert ward["patients"] == len(two_units) and ward["unit"] == WARD
    assert _overridden(ward) == 1
    # Asking for another unit does not widen a lead's view.
    assert _stats(signed_in("lead"), f"?unit={WARD}")["unit"] == "Rehab unit"
    page = signed_in("lead").client.get("/alerts/stats").text
    assert "Alert statistics: Rehab unit" in page and "By unit" not in page


def test_an_admin_sees_every_unit_and_the_total(
    app: FastAPI,
    signed_in: Callable[[str], SignedIn],
    demo_patient_ids: dict[str, str],
    two_units: list[str],
) -> None:
    admin = signed_in("admin")
    everything = _stats(admin)
    assert everything["unit"] is None and everything["patients"] == len(demo_patient_ids)
    units = {u["unit"]: u for u in everything["units"]}
    assert set(units) == {"Rehab unit", WARD}
    assert units[WARD]["patients"] == len(two_units) and units[WARD]["overridden"] == 1
    assert sum(u["firing"] for u in units.values()) == sum(
        a["firing"] for a in everything["alerts"]
    )
    assert _overridden(everything) == 1
    # One unit's detail is what that unit's lead sees.
    ward = _stats(admin, f"?unit={WARD}")
    lead = _stats(sign_in(app, "ward9-lead", "ward-nine-password"))
    assert ward["alerts"] == lead["alerts"] and ward["patients"] == lead["patients"]
    page = admin.client.get("/alerts/stats").text
    assert "Alert statistics: all units" in page and 'id="per-unit">By unit' in page
    assert f'<tr data-unit="{WARD}">' in page and '<tr data-unit="Rehab unit">' in page
    assert 'href="/alerts/stats">All units</a>' in page
    detail = admin.client.get("/alerts/stats", params={"unit": WARD}).text
    assert f"Alert statistics: {WARD}" in detail and f"{WARD}, per alert" in detail
