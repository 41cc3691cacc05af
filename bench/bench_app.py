"""How fast the web app answers. Run by `make bench`; not part of the test suite.

Figures, on an SQLite file in a temporary directory (or `--database URL`), server time only
(measured by a middleware around the whole request: routing, dependencies, database, engine,
template), with the in-process ASGI client so no network is timed:

* the unit worklist (`GET /` and `GET /api/worklist`) for 500 patients: the 27 synthetic demo
  patients cloned under new ids. p50 and p95 over 30 requests after one warm-up request (the
  warm-up fills the assessment cache, as the first visitor of the day does; it is printed too).
  Target: p95 under 100 ms on SQLite.
* the patient page (`GET /patients/{id}`) and the exam form (`GET /patients/{id}/exam`) of a
  patient with a year of data: a spinal cord injury a year ago, weekly joint exams of all 8
  joint-sides (saved through the exam API, as a therapist would) and monthly ALP and CRP.

Options: --patients N, --requests N, --weeks N, --database URL, --strict (exit 1 when the
worklist target is missed).
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from sqlalchemy import select

from hosentinel.app.config import AppConfig
from hosentinel.app.demo import shift_dates
from hosentinel.app.main import create_app
from hosentinel.app.services import AssessmentCache
from hosentinel.core import record as r
from hosentinel.demo.catalog import load_catalog
from hosentinel.store import models as m
from hosentinel.store.records import add_observations, load_record, store_record

TODAY = date(2026, 6, 1)
TARGET_P95_MS = 100.0
PASSWORD = "demo-password"
YEAR_BASE = "02-sci-complete-day-40-exams-due.json"  # a complete SCI: surveillance all year
MOTIONS = {"hip": ("flexion", "abduction"), "knee": ("flexion",), "elbow": ("flexion", "extension"),
           "shoulder": ("flexion", "abduction")}  # fmt: skip
NORMAL_ROM = {"flexion": 120.0, "abduction": 40.0, "extension": 5.0}


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


class ServerTimer:
    """Records the server time of every request (a middleware around the whole app)."""

    def __init__(self, app: FastAPI) -> None:
        self.last_ms = 0.0

        @app.middleware("http")
        async def timed(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            start = time.perf_counter()
            response = await call_next(request)
            # A streamed body is sent after call_next returns: read it inside the timing.
            body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
            self.last_ms = (time.perf_counter() - start) * 1000
            return Response(body, response.status_code, dict(response.headers), response.media_type)


def sign_in(client: TestClient, username: str) -> str:
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text[:300]
    page = str(response.text)
    marker = 'name="csrf_token" value="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


def measure(
    client: TestClient, timer: ServerTimer, path: str, runs: int
) -> tuple[float, list[float]]:
    """(warm-up ms, [ms of each timed request]). The warm-up starts from an empty assessment
    cache: it is the first visit after a restart."""
    app: FastAPI = client.app  # type: ignore[assignment]
    app.state.assessments = AssessmentCache()
    first = client.get(path)
    assert first.status_code == 200, (path, first.status_code, first.text[:300])
    warmup = timer.last_ms
    samples = []
    for _ in range(runs):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        samples.append(timer.last_ms)
    return warmup, samples


def clone_demo_patients(app: FastAPI, total: int) -> int:
    """Clone the demo patients under new ids until the unit has `total` patients."""
    factory = app.state.sessionmaker
    with factory() as session:
        patients = list(session.scalars(select(m.Patient).order_by(m.Patient.id)))
        records = [(p, load_record(session, p.id)) for p in patients]
    count = len(patients)
    with factory.begin() as session:
        i = 0
        while count < total:
            patient, record = records[i % len(records)]
            assert record is not None
            new_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-clone-{i}"))
            clone = dataclasses.replace(
                record, patient=dataclasses.replace(record.patient, id=new_id)
            )
            store_record(session, clone, display_name=f"{patient.display_name} (#{i + 1})")
            count += 1
            i += 1
    return count


def year_patient(app: FastAPI, client: TestClient, csrf: str, weeks: int) -> tuple[str, int]:
    """A patient injured a year ago with weekly exams of 8 joint-sides and monthly labs.
    Returns (patient id, observations on the record)."""
    entry = next(e for e in load_catalog() if e.file == YEAR_BASE)
    factory = app.state.sessionmaker
    with factory() as session:
        base = load_record(session, entry.patient.removeprefix("Patient/"))
    assert base is not None
    injury = min(c.onset for c in base.conditions if c.onset)
    year_ago = TODAY - timedelta(days=7 * weeks + 7)
    record = shift_dates(base, year_ago - injury)
    pid = str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-year-patient"))
    record = dataclasses.replace(record, patient=dataclasses.replace(record.patient, id=pid))
    alp = next(o for o in _demo_labs() if o.codings[0].code == "6768-6")
    crp = next(o for o in _demo_labs() if o.codings[0].code == "1988-5")
    with factory.begin() as session:
        store_record(session, record, display_name="One year of data (benchmark)")
        labs = []
        for month in range(12):
            day = year_ago + timedelta(days=30 * month + 10)
            for lab, value in ((alp, 90.0 + 12 * month), (crp, 3.0 + month % 4)):
                labs.append(
                    dataclasses.replace(
                        lab, ref=f"Observation/bench-{lab.codings[0].code}-{month}",
                        effective=day, value_quantity=value,
                    )
                )  # fmt: skip
        add_observations(session, pid, labs, None)
    for week in range(weeks):
        day = year_ago + timedelta(days=7 * (week + 1))
        joints = [
            {
                "joint": joint,
                "side": side,
                "rom": {mo: NORMAL_ROM[mo] - (week % 5) for mo in motions},
                "pain": False,
            }
            for joint, motions in MOTIONS.items()
            for side in ("left", "right")
        ]
        response = client.post(
            f"/api/patients/{pid}/exams",
            json={"exam_date": day.isoformat(), "confirm_date": True, "joints": joints},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 201, response.text[:500]
    with factory() as session:
        loaded = load_record(session, pid)
    assert loaded is not None
    return pid, len(loaded.observations)


def _demo_labs() -> list[r.Observation]:
    from hosentinel.fhir.importer import read_bundle
    from hosentinel.knowledge.loader import default_knowledge

    knowledge = default_knowledge()
    labs: list[r.Observation] = []
    for entry in load_catalog():
        record = read_bundle(entry.path.read_bytes(), knowledge)
        labs.extend(o for o in record.observations if o.codings and o.codings[0].system == "loinc")
    return labs


def row(what: str, warmup: float, samples: list[float], target: float | None = None) -> bool:
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    ok = target is None or p95 < target
    verdict = (
        "" if target is None else f"  target p95 < {target:.0f} ms: {'met' if ok else 'MISSED'}"
    )
    print(f"  {what:<44} cold {warmup:7.1f} ms   p50 {p50:6.1f} ms   p95 {p95:6.1f} ms{verdict}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--database", help="SQLAlchemy URL of an empty database")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="hosentinel-bench-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        start = time.perf_counter()
        loader = create_app(AppConfig(database_url=url, demo=True, today=TODAY))
        total = clone_demo_patients(loader, args.patients)
        loader.state.engine.dispose()
        app = create_app(AppConfig(database_url=url, today=TODAY))
        timer = ServerTimer(app)
        with TestClient(app) as client:
            csrf = sign_in(client, "physiatrist")
            pid, observations = year_patient(app, client, csrf, args.weeks)
            setup = time.perf_counter() - start
            print(f"HO Sentinel web app, {app.state.engine.dialect.name}, today {TODAY}")
            print(f"  setup: {total} patients (+1 with a year of data) in {setup:.1f} s")
            print("  server time: cold (first request, empty assessment cache), then")
            print(f"  p50/p95 over {args.requests} requests after that warm-up:")
            ok = row(
                f"worklist page, {total + 1} patients",
                *measure(client, timer, "/", args.requests),
                TARGET_P95_MS,
            )
            ok &= row(
                f"worklist API, {total + 1} patients",
                *measure(client, timer, "/api/worklist", args.requests),
                TARGET_P95_MS,
            )
            print(f"  a patient with a year of data ({args.weeks} weekly exams of 8 joint-sides,")
            print(f"  monthly ALP and CRP; {observations} observations):")
            row("patient page", *measure(client, timer, f"/patients/{pid}", args.requests))
            row(
                "assessment API",
                *measure(client, timer, f"/api/patients/{pid}/assessment", args.requests),
            )
            row("exam form (prefilled)", *measure(client, timer, f"/patients/{pid}/exam", 10))
        app.state.engine.dispose()
    if args.strict and not ok:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
