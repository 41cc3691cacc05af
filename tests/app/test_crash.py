"""Crash safety: the app server is killed with SIGKILL in the middle of writes, restarted, and the
database is checked, trial after trial on the same database, on SQLite and PostgreSQL.

After each kill, with the server down: SQLite's `PRAGMA integrity_check` and
`foreign_key_check` pass (PostgreSQL: no orphan rows), every write acknowledged before the kill
is present and whole (an exam's five observations all or none), nothing of a write refused with
409 is there, and each record's version rose by the acknowledged writes plus at most the writes
cut before their answer (no lost update). The next trial's start is the restart after the
crash: it must come up and serve.

It is the app server that is killed, not the database: PostgreSQL keeps running (the test
server runs with fsync off, which only matters if PostgreSQL itself or the machine goes down)
and rolls back the transactions of the connections that died. Bounded here (5 trials per
backend); `make crash` runs 50 (`bench/bench_crash.py`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hosentinel.testing.checks import crash_trials
from hosentinel.testing.servers import Launcher

TRIALS = 5
WRITERS = 6


@pytest.fixture(scope="module")
def launcher() -> Iterator[Launcher]:
    """Restarts fork a parent that imported the app once (see forkserver.py)."""
    parent = Launcher()
    yield parent
    parent.close()


def test_kill_9_mid_writes_loses_no_acknowledged_write(
    app_db_url: str, tmp_path: Path, launcher: Launcher, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "server.log"
    trials = crash_trials(app_db_url, log, TRIALS, WRITERS, seed=7, launcher=launcher)
    backend = app_db_url.split(":", 1)[0].split("+")[0]
    acknowledged = sum(len(t.run.acknowledged()) for t in trials)
    cut = sum(1 for t in trials for w in t.run.writes if w.status == 0)
    with capsys.disabled():
        sys.stdout.write(
            f"\ncrash, {backend}: {len(trials)} kill -9 trials, {acknowledged} writes"
            f" acknowledged before the kills, all present; {cut} cut mid-flight\n"
        )
    assert len(trials) == TRIALS
    for t in trials:
        assert t.problems == [], (t.number, round(t.kill_after, 2), t.problems[:10])
    assert all(t.run.acknowledged() for t in trials), "each trial wrote before the kill"
    assert "Traceback" not in log.read_text(errors="replace")
