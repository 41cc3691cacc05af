"""Implausible values (issue 15: an ALP of 1e7 U/L made a 27 MB patient page, 1e12 never
finished): the chart's axis follows the data with a bounded number of ticks, and a value outside
the plausibility settings is stored as sent, kept out of the charts and shown as implausible."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from hosentinel.app.patient_view import Point, Series, line_chart_svg
from hosentinel.app.plausibility import check, set_aside
from hosentinel.core.record import Coding, Observation
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.knowledge.schema import LocalSetting
from hosentinel.store import models as m
from tests.support.appkit import TODAY, SignedIn

GRIDLINE = re.compile(r'<line class="grid" x1="46"')


@pytest.mark.parametrize("largest", [400.0, 1e7, 1e12, 1e300])
def test_a_chart_has_a_bounded_number_of_gridlines_whatever_the_largest_value(
    largest: float,
) -> None:
    day = date(2026, 5, 1)
    points = (Point(day, 80.0, "Observation/a"), Point(day + timedelta(days=9), largest, "b"))
    start = time.monotonic()
    svg = line_chart_svg("alp-chart", "ALP", (Series("6768-6", "ALP", points),), "U/L", 50.0, 100.0)
    assert time.monotonic() - start < 0.5
    assert 2 <= len(GRIDLINE.findall(svg)) <= 11
    assert len(svg) < 20_000
    # The axis reaches the largest value: the top label is at least it.
    labels = [float(v) for v in re.findall(r'text-anchor="end">([^<]+)</text>', svg)]
    assert max(labels) >= min(largest, 1e300)


def test_ordinary_values_keep_their_usual_steps() -> None:
    day = date(2026, 5, 1)
    points = (Point(day, 90.0, "a"), Point(day + timedelta(days=5), 120.0, "b"))
    svg = line_chart_svg("rom-chart", "ROM", (Series("k", "k", points),), "degrees", 30.0, 150.0)
    labels = re.findall(r'text-anchor="end">([^<]+)</text>', svg)
    assert labels == ["0", "30", "60", "90", "120", "150", "180"]


def obs(code: str, system: str, value: float, unit: str) -> Observation:
    return Observation(
        ref=f"Observation/{code}", codings=(Coding(system, code),), value_quantity=value, unit=unit
    )


def test_the_bounds_and_units() -> None:
    k = default_knowledge()
    assert check(k, obs("6768-6", "loinc", 250, "U/L")) is None
    assert check(k, obs("6768-6", "loinc", 1e7, "U/L")) is not None
    assert check(k, obs("1777-2", "loinc", 0, "U/L")) is not None
    assert check(k, obs("8310-5", "loinc", 98.6, "[degF]")) is None  # converted first
    found = check(k, obs("8310-5", "loinc", 98.6, "Cel"))
    assert found and found.setting == "plausible_body_temperature_max_celsius"
    assert check(k, obs("hip-flexion-rom", "finding", 900, "deg")) is not None
    assert check(k, obs("hip-flexion-rom", "finding", -20, "deg")) is None
    assert check(k, obs("2157-6", "loinc", 1e9, "U/L")) is None  # CK: no bound set


def test_a_setting_in_the_knowledge_release_wins_over_the_fallback() -> None:
    k = default_knowledge()
    setting = LocalSetting(
        id="plausible_alp_max_u_per_l",
        value=500,
        unit="U/L",
        description="test",
        why_local="test",
    )
    narrowed = replace(k, settings={**k.settings, setting.id: setting})
    assert check(narrowed, obs("6768-6", "loinc", 600, "U/L")) is not None
    assert check(k, obs("6768-6", "loinc", 600, "U/L")) is None


def bundle(pid: str) -> dict[str, Any]:
    day = (TODAY - timedelta(days=1)).isoformat()

    def observation(oid: str, system: str, code: str, value: float, unit: str) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "Observation",
            "id": oid,
            "status": "final",
            "code": {"coding": [{"system": system, "code": code}]},
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": day,
            "valueQuantity": {"value": value, "unit": unit},
        }
        if code.endswith("-rom"):
            resource["bodySite"] = {
                "coding": [{"system": "http://snomed.info/sct", "code": "24028007"}]
            }
        return {"resource": resource, "request": {"method": "PUT", "url": f"Observation/{oid}"}}

    finding = "https://hosentinel.org/fhir/CodeSystem/finding"
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {"resourceType": "Patient", "id": pid, "gender": "female"},
                "request": {"method": "PUT", "url": f"Patient/{pid}"},
            },
            observation(f"{pid}-alp", "http://loinc.org", "6768-6", 1e7, "U/L"),
            observation(f"{pid}-alp2", "http://loinc.org", "6768-6", 180, "U/L"),
            observation(f"{pid}-rom", finding, "hip-flexion-rom", 900, "deg"),
            observation(f"{pid}-t", "http://loinc.org", "8310-5", 98.6, "Cel"),
        ],
    }


def test_an_implausible_import_is_stored_as_sent_flagged_and_kept_out_of_the_charts(
    app: FastAPI, signed_in: Callable[[str], SignedIn]
) -> None:
    nurse = signed_in("nurse")
    r: Any = nurse.post(
        "/fhir",
        content=orjson.dumps(bundle("implausible-1")),
        headers={"Content-Type": "application/fhir+json"},
    )
    assert r.status_code == 200, r.text[:300]
    with app.state.sessionmaker() as db:
        stored = db.scalar(
            select(m.Observation.value_quantity).where(
                m.Observation.ref == "Observation/implausible-1-alp"
            )
        )
    assert stored == 1e7  # as the EHR sent it
    start = time.monotonic()
    page = nurse.client.get("/patients/implausible-1")
    assert page.status_code == 200
    assert time.monotonic() - start < 2.0
    html = page.text
    assert len(html) < 500_000
    flagged = html[html.index('id="implausible-values"') :]
    assert "Alkaline phosphatase <strong>1e+07 U/L</strong>" in flagged
    assert "plausible_alp_max_u_per_l" in flagged
    assert "Range of motion <strong>900 deg</strong>" in flagged
    assert "Body temperature <strong>98.6 Cel</strong>" in flagged
    alp = re.search(r'<svg class="chart" id="alp-chart".*?</svg>', html, re.S)
    assert alp and "180 U/L" in alp.group(0) and "1e+07" not in alp.group(0)
    assert 'id="rom-chart"' not in html  # its only value was set aside


def test_set_aside_keeps_the_record_when_nothing_is_implausible() -> None:
    from hosentinel.core.record import Patient, PatientRecord

    record = PatientRecord(Patient(id="p"), observations=(obs("6768-6", "loinc", 250, "U/L"),))
    kept, found = set_aside(record, default_knowledge())
    assert kept is record and found == []
