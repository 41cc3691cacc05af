"""What the database holds after a run (`verify`: every acknowledged write present and whole,
nothing of a refused one, no lost update), and the kill -9 trials (`crash_trials`)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, select, text

from hosentinel.store import models as m
from hosentinel.testing.servers import (
    HOT_ALERT,
    HOT_PATIENTS,
    OBSERVATIONS_PER_EXAM,
    Launcher,
    Server,
)
from hosentinel.testing.workload import Run, drive_until_killed

# --- what the database holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Snapshot:
    versions: dict[str, int]
    decisions: dict[str, int]  # hot patient -> app decisions on the hot alert


def snapshot(engine: Engine, hot: list[str]) -> Snapshot:
    with engine.connect() as db:
        versions = {pid: int(v) for pid, v in db.execute(select(m.Patient.id, m.Patient.version))}
        decisions = {
            pid: int(
                db.scalar(
                    select(func.count())
                    .select_from(m.AlertState)
                    .where(
                        m.AlertState.patient_id == pid,
                        m.AlertState.alert_key == HOT_ALERT,
                        m.AlertState.version.is_not(None),
                    )
                )
                or 0
            )
            for pid in hot
        }
    return Snapshot(versions, decisions)


def patient_ids(engine: Engine) -> list[str]:
    with engine.connect() as db:
        return sorted(db.scalars(select(m.Patient.id)))


def verify(engine: Engine, run: Run, before: Snapshot, hot: list[str], strict: bool) -> list[str]:
    """Problems found in the database after a run (empty: all good).

    - every acknowledged exam is present with all its observations, each with its marker
      degrees, and its refs as acknowledged;
    - every acknowledged alert decision is present (its comment);
    - no exam or decision refused with 409 left anything;
    - each patient's record version rose by exactly the exams acknowledged on it, and each hot
      alert's decisions are numbered 1..n without a gap or a repeat (no lost update).

    `strict` (load runs): every write got an answer, so the version counts must match
    exactly. After a kill, a write cut before its answer may or may not have committed: it is
    allowed either way, and the counts are checked as bounds.
    """
    problems: list[str] = []
    with engine.connect() as db:
        rom = {
            repr(round(float(v), 7)): (pid, ref)
            for pid, ref, v in db.execute(
                select(m.Observation.patient_id, m.Observation.ref, m.Observation.value_quantity)
                .where(m.Observation.ref.like("Observation/exam-%"))
                .where(m.Observation.value_quantity.is_not(None))
            )
            if v is not None  # (the query's filter already; for the type checker)
        }
        present_refs = set(
            db.scalars(
                select(m.Observation.ref).where(m.Observation.ref.like("Observation/exam-%"))
            )
        )
        comments = {
            (pid, c): v
            for pid, c, v in db.execute(
                select(m.AlertState.patient_id, m.AlertState.comment, m.AlertState.version).where(
                    m.AlertState.alert_key == HOT_ALERT, m.AlertState.comment.like("load %")
                )
            )
        }
        numbered: dict[str, list[int]] = defaultdict(list)
        for pid, v in db.execute(
            select(m.AlertState.patient_id, m.AlertState.version)
            .where(m.AlertState.alert_key == HOT_ALERT, m.AlertState.version.is_not(None))
            .order_by(m.AlertState.version)
        ):
            if v is not None:  # (the query's filter already; for the type checker)
                numbered[pid].append(int(v))
        after = {pid: int(v) for pid, v in db.execute(select(m.Patient.id, m.Patient.version))}
    for w in run.acknowledged():
        if w.kind in ("exam", "edit"):
            if rom.get(w.marker, ("", ""))[0] != w.patient:
                problems.append(f"acknowledged {w.kind} {w.marker} on {w.patient} is missing")
            missing = [ref for ref in w.refs if ref not in present_refs]
            if len(w.refs) != OBSERVATIONS_PER_EXAM or missing:
                problems.append(f"acknowledged {w.kind} {w.marker}: refs {w.refs}, lost {missing}")
        elif (w.patient, w.marker) not in comments:
            problems.append(f"acknowledged alert decision {w.marker!r} on {w.patient} is missing")
    for w in run.refused():
        if w.kind == "edit" and w.marker in rom:
            problems.append(f"refused edit {w.marker} on {w.patient} was written anyway")
        if w.kind == "alert" and (w.patient, w.marker) in comments:
            problems.append(f"refused decision {w.marker!r} on {w.patient} was written anyway")
    exams_on: Counter[str] = Counter(
        w.patient for w in run.acknowledged() if w.kind in ("exam", "edit")
    )
    # Writes without an answer (cut by a kill): committed or not, either is allowed.
    cut_on: Counter[str] = Counter(
        w.patient for w in run.writes if w.status == 0 and w.kind in ("exam", "edit")
    )
    for pid, start in before.versions.items():
        rose = after.get(pid, start) - start
        low, high = exams_on[pid], exams_on[pid] + (0 if strict else cut_on[pid])
        if not low <= rose <= high:
            problems.append(
                f"patient {pid}: version rose by {rose}, acknowledged exams {exams_on[pid]}"
                f" (unanswered {cut_on[pid]}): a lost or phantom update"
            )
    for pid in hot:
        got = numbered.get(pid, [])
        if got != list(range(1, len(got) + 1)):
            problems.append(f"alert decisions on {pid} are numbered {got}")
        acked = sum(1 for w in run.acknowledged("alert") if w.patient == pid)
        new = len(got) - before.decisions.get(pid, 0)
        if new < acked or (strict and new != acked):
            problems.append(f"{pid}: {new} new decisions, {acked} acknowledged")
    # Every exam is whole: its observations were committed together or not at all.
    if OBSERVATIONS_PER_EXAM:
        with engine.connect() as db:
            partial = db.scalar(
                text(
                    "SELECT count(*) FROM (SELECT patient_id, effective, entered_by, count(*) AS n"
                    " FROM observations WHERE ref LIKE 'Observation/exam-%'"
                    " AND entered_by IS NOT NULL"
                    " GROUP BY patient_id, effective, entered_by) AS g"
                    f" WHERE n % {OBSERVATIONS_PER_EXAM} != 0"
                )
            )
        if partial:
            problems.append(f"{partial} exam groups hold a partial exam")
    return problems


def integrity(engine: Engine) -> list[str]:
    """The database's own consistency checks: SQLite `PRAGMA integrity_check` and
    `foreign_key_check`; PostgreSQL: every foreign key holds (checked by query: the server
    enforces them, this proves nothing slipped through) and the audit log matches the writes."""
    problems: list[str] = []
    with engine.connect() as db:
        if engine.dialect.name == "sqlite":
            result = [row[0] for row in db.execute(text("PRAGMA integrity_check"))]
            if result != ["ok"]:
                problems.append(f"integrity_check: {result[:5]}")
            bad = list(db.execute(text("PRAGMA foreign_key_check")))
            if bad:
                problems.append(f"foreign_key_check: {bad[:5]}")
        for table in ("observations", "alert_states", "conditions", "medications"):
            orphans = db.scalar(
                text(
                    f"SELECT count(*) FROM {table} t"
                    " LEFT JOIN patients p ON p.id = t.patient_id WHERE p.id IS NULL"
                )
            )
            if orphans:
                problems.append(f"{orphans} rows of {table} without their patient")
    return problems


@dataclass
class Trial:
    number: int
    kill_after: float
    run: Run
    problems: list[str]


def crash_trials(
    database: str,
    log: Path,
    trials: int,
    clients: int,
    seed: int,
    demo: bool = False,
    fork: bool = False,
    launcher: Launcher | None = None,
) -> list[Trial]:
    """`trials` times: start the server on the database, drive writers, kill -9 it at a random
    moment (0 to 1 s after the first write is acknowledged), then check the database with the
    server down: its own integrity checks, every acknowledged write present and whole, nothing
    of a refused write, no lost update. The next trial's start is the restart after the crash.
    `launcher` (or `fork`: a new one): restart through a `Launcher` (a fresh process, without
    paying the imports again); else a new `hosentinel serve` subprocess each time."""
    rng = random.Random(seed)
    results: list[Trial] = []
    own = Launcher() if fork and launcher is None else None
    server = Server(database, log, launcher or own)
    try:
        _trials(server, trials, clients, rng, demo, results)
    finally:
        server.kill()
        if own is not None:
            own.close()
    return results


def _trials(
    server: Server, trials: int, clients: int, rng: random.Random, demo: bool, results: list[Trial]
) -> None:
    from hosentinel.store.db import make_engine

    database = server.database
    signed: dict[int, tuple[dict[str, str], str]] = {}  # sign in once, reuse after restarts
    for number in range(1, trials + 1):
        engine = make_engine(database)
        try:
            if number == 1 and demo:
                server.start(demo=True)
                server.stop()
            patients = patient_ids(engine)
            hot = [p for p in patients if p in HOT_PATIENTS] or patients[:1]
            before = snapshot(engine, hot)
            server.start()
            kill_after = rng.uniform(0.0, 1.0)
            try:
                run = drive_until_killed(server, clients, kill_after, patients, hot, signed)
            finally:
                server.kill()
            problems = integrity(engine) + verify(engine, run, before, hot, strict=False)
            problems += [f"HTTP {s.status} on {s.kind}" for s in run.samples if s.status >= 500]
        finally:
            engine.dispose()
        results.append(Trial(number, kill_after, run, problems))
