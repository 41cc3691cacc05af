"""Load: concurrent clinicians against the real server (`hosentinel serve` on loopback), on SQLite
and on PostgreSQL. Every acknowledged write is in the database afterwards, whole; no write
refused with 409 left anything; no lost update (each record's version counts exactly the writes
acknowledged on it); no 5xx. Latency percentiles per request kind are printed.

Bounded here (12 clients for 4 seconds per backend); `make load` runs the long version
(`bench/bench_load.py`: 50 clients, 30 seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hosentinel.demo.catalog import load_catalog
from hosentinel.store.db import make_engine
from hosentinel.testing.checks import patient_ids, snapshot, verify
from hosentinel.testing.servers import Server
from hosentinel.testing.workload import collide, drive

CLIENTS = 12
SECONDS = 4.0
COLLIDING = 5  # clinicians saving the same record at the same moment, twice over
HOT_FILES = ("03-sci-hip-rom-loss-probable.json", "04-sci-day-18-swollen-thigh.json")


def hot_patients() -> list[str]:
    ids = {e.file: e.patient.removeprefix("Patient/") for e in load_catalog()}
    return [ids[f] for f in HOT_FILES]


def test_concurrent_clinicians_lose_no_write(
    app_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = make_engine(app_db_url)
    hot = hot_patients()
    patients = patient_ids(engine)
    before = snapshot(engine, hot)
    server = Server(app_db_url, tmp_path / "server.log")
    server.start()
    try:
        run = drive(server.base, CLIENTS, SECONDS, patients, hot)
        exams, decisions = collide(server.base, run, COLLIDING, hot[0])
    finally:
        server.stop()
        engine.dispose()
    with capsys.disabled():
        sys.stdout.write(f"\n{run.report(f'load, {engine.dialect.name}, {CLIENTS} clients')}\n")
    log = (tmp_path / "server.log").read_text(errors="replace")
    assert not run.unexpected(), ([(s.kind, s.status) for s in run.unexpected()][:10], log[-2000:])
    assert "Traceback" not in log, log[-3000:]
    assert (exams, decisions) == (1, 1), "of clinicians saving one version at once, one wins"
    assert len(run.refused()) >= 2 * (COLLIDING - 1)
    assert len(run.acknowledged("exam")) >= CLIENTS // 4, "the therapists' saves went through"
    assert len(run.acknowledged("alert")) >= 1 and len(run.acknowledged("edit")) >= 1
    try:
        problems = verify(engine, run, before, hot, strict=True)
    finally:
        engine.dispose()
    assert problems == []
