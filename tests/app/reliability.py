"""Load and crash trials against a real server: `hosentinel serve` (uvicorn, one process) as a
subprocess on 127.0.0.1, driven by a small asyncio + httpx client. Used by `test_load.py`,
`test_crash.py` (bounded sizes, in `make test`) and by `bench/bench_load.py` and
`bench/bench_crash.py` (`make load`, `make crash`: the long versions).

The workload mixes what a rehabilitation unit does at once:

- `exam`: therapists saving exams (JSON API) on any patient, without a version (appends);
- `edit`: physiatrists saving exams based on the version they just read, all on a few "hot"
  patients, so saves collide: each gets 201 or a 409 (optimistic locking);
- `alert`: nurses acknowledging the same alerts based on the decision number they read: 200
  or 409;
- `read`: unit leads reading the worklist (JSON and HTML) and patient pages.

Every write carries a unique marker (an exam's ROM degrees, an alert decision's comment), so
afterwards the database shows which writes are in it: `verify` checks that every acknowledged
write (2xx) is present and whole, that no refused one (409) left anything, and that each hot
record's version counts exactly the writes acknowledged on it (no lost update).

Every loop is bounded in count and in time; all traffic stays on loopback.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text

from hosentinel.store import models as m

TODAY = "2026-06-01"
PASSWORD = "demo-password"
KINDS = ("exam", "edit", "alert", "read")
ROLE_OF = {"exam": "therapist", "edit": "physiatrist", "alert": "nurse", "read": "lead"}
HOT_ALERT = "rec:rule-out-dvt"
# Demo patients the alert fires for (03 hip ROM loss, 04 swollen thigh): the contended records.
HOT_PATIENTS = ("9db08d92-41a6-5db4-b625-522471029a5e", "1a56eeee-aca4-5d49-a267-d623a2788aa9")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# An exam of one joint-side writes its ROM and the four signs assessed, in one transaction.
OBSERVATIONS_PER_EXAM = 5
# Every write's marker is unique in the process, across runs and trials on one database.
_MARKERS = itertools.count(1)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


# --- the server -------------------------------------------------------------------------------

FORKSERVER = Path(__file__).with_name("forkserver.py")


class Launcher:
    """`forkserver.py`: a parent with the app imported that forks `hosentinel serve` children
    (fast restarts for the crash trials; see its docstring)."""

    def __init__(self) -> None:
        env = {**os.environ, "HOSENTINEL_TODAY": TODAY}
        self.process = subprocess.Popen(
            [sys.executable, str(FORKSERVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            self.close()
            raise RuntimeError("the fork server did not start")

    def start(self, port: int, log: Path, database: str) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"start {port} {log} {database}\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class Server:
    """`hosentinel serve` on a free loopback port, in its own process group: a subprocess, or
    a child of a `Launcher`."""

    database: str
    log: Path
    launcher: Launcher | None = None
    port: int = 0
    pid: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, demo: bool = False, timeout: float = 120.0) -> None:
        self.port = free_port()
        if self.launcher is not None and not demo:
            self.process = None
            self.pid = self.launcher.start(self.port, self.log, self.database)
        else:
            command = [
                sys.executable, "-m", "hosentinel.cli", "serve", "--host", "127.0.0.1",
                "--port", str(self.port), "--database", self.database,
            ]  # fmt: skip
            if demo:
                command.append("--demo")
            env = {**os.environ, "HOSENTINEL_TODAY": TODAY}
            with self.log.open("ab") as log:
                self.process = subprocess.Popen(
                    command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
                )
            self.pid = self.process.pid
        self.wait_ready(timeout)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        try:
            os.kill(self.pid, 0)  # the launcher reaps its children: a dead one is gone
        except ProcessLookupError:
            return False
        return True

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"the server exited:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.base}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s")

    def _signal(self, sig: signal.Signals, timeout: float) -> bool:
        """Send `sig` to the server's process group; True when it is gone within `timeout`."""
        if not self.pid or not self.alive():
            return True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.05)
            if not self.alive():
                return True
            time.sleep(0.02)
        return False

    def kill(self) -> None:
        """kill -9: no shutdown code runs, transactions in flight are cut."""
        if not self._signal(signal.SIGKILL, 30.0):
            raise RuntimeError(f"server {self.pid} survived SIGKILL")

    def stop(self) -> None:
        if not self._signal(signal.SIGTERM, 30.0):
            self.kill()


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str  # exam | edit | alert | worklist | worklist-html | patient-page | ...
    status: int  # 0: no answer (connection cut, timeout)
    seconds: float


@dataclass
class Write:
    kind: str  # exam | edit | alert
    patient: str
    marker: str  # ROM degrees (exams) or the decision's comment (alerts)
    status: int
    refs: list[str] = field(default_factory=list)


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    seconds: float = 0.0

    def acknowledged(self, kind: str | None = None) -> list[Write]:
        return [w for w in self.writes if 200 <= w.status < 300 and kind in (None, w.kind)]

    def refused(self) -> list[Write]:
        return [w for w in self.writes if w.status == 409]

    @property
    def server_errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status >= 500]

    @property
    def unanswered(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 0]

    def unexpected(self) -> list[Sample]:
        """Anything but 2xx, or 409 on a versioned write."""
        return [
            s
            for s in self.samples
            if not (200 <= s.status < 400 or (s.status == 409 and s.kind in ("edit", "alert")))
        ]

    def percentiles(self) -> dict[str, tuple[int, float, float, float]]:
        """Per request kind: count, p50, p95, p99 in milliseconds (answered requests)."""
        by_kind: dict[str, list[float]] = defaultdict(list)
        for s in self.samples:
            if s.status:
                by_kind[s.kind].append(s.seconds * 1000)
        return {
            kind: (len(v), percentile(v, 0.5), percentile(v, 0.95), percentile(v, 0.99))
            for kind, v in sorted(by_kind.items())
        }

    def report(self, title: str) -> str:
        statuses = Counter(s.status for s in self.samples)
        lines = [
            f"{title}: {len(self.samples)} requests in {self.seconds:.1f} s"
            f" ({len(self.samples) / max(self.seconds, 1e-9):.0f}/s);"
            f" writes acknowledged {len(self.acknowledged())}, refused with 409"
            f" {len(self.refused())}; statuses {dict(sorted(statuses.items()))}",
            f"  {'kind':<14}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}",
        ]
        for kind, (n, p50, p95, p99) in self.percentiles().items():
            lines.append(f"  {kind:<14}{n:>6}{p50:>10.1f}{p95:>10.1f}{p99:>10.1f}")
        return "\n".join(lines)


class Client:
    """One signed-in user on one connection pool."""

    def __init__(self, base: str, kind: str, index: int, timeout: float) -> None:
        self.kind = kind
        self.index = index
        self.http = httpx.AsyncClient(base_url=base, timeout=timeout)
        self.csrf = ""
        self.seq = 0
        self.rng = random.Random(index)

    async def sign_in(self, signed: dict[int, tuple[dict[str, str], str]] | None = None) -> None:
        """Sign in; with `signed`, reuse this client's earlier session when there is one (the
        sessions live in the database, so they outlive a server restart)."""
        if signed is not None and self.index in signed:
            cookies, self.csrf = signed[self.index]
            self.http.cookies.update(cookies)
            return
        await self._sign_in()
        if signed is not None:
            signed[self.index] = (dict(self.http.cookies), self.csrf)

    async def _sign_in(self) -> None:
        response = await self.http.post(
            "/login",
            data={"username": ROLE_OF[self.kind], "password": PASSWORD},
            follow_redirects=True,
        )
        match = CSRF.search(response.text)
        if response.status_code != 200 or match is None:
            raise RuntimeError(f"sign-in as {ROLE_OF[self.kind]} failed: {response.status_code}")
        self.csrf = match.group(1)

    def marker(self) -> float:
        """ROM degrees unique in this process for the next exam: 100.nnnnnnn."""
        self.seq += 1
        n = next(_MARKERS)
        if n >= 10_000_000:
            raise RuntimeError("markers are unique for 9,999,999 writes")
        return round(100 + n / 10_000_000, 7)

    def comment(self) -> str:
        """A decision's comment unique in this process."""
        self.seq += 1
        return f"load {self.index}.{next(_MARKERS)}"


async def _timed(run: Run, kind: str, request: Any) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response: httpx.Response = await request
    except httpx.HTTPError:
        run.samples.append(Sample(kind, 0, time.perf_counter() - started))
        return None
    run.samples.append(Sample(kind, response.status_code, time.perf_counter() - started))
    return response


def _exam(degrees: float, version: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "exam_date": TODAY,
        "confirm_date": True,  # the date is right even outside a surveillance window
        "joints": [
            {
                "joint": "knee",
                "side": "left",
                "rom": {"flexion": degrees},
                # Each sign assessed (a sign left out is "not assessed" and writes nothing).
                **dict.fromkeys(("pain", "swelling", "warmth", "redness"), False),
            }
        ],
    }
    if version is not None:
        body["version"] = version
    return body


def _exam_write(kind: str, pid: str, degrees: float, response: httpx.Response | None) -> Write:
    """The write as the client knows it: status 0 when no answer came (cut by a kill)."""
    if response is None:
        return Write(kind, pid, repr(degrees), 0)
    refs = response.json().get("saved", []) if response.status_code == 201 else []
    return Write(kind, pid, repr(degrees), response.status_code, refs)


async def _step(client: Client, run: Run, patients: list[str], hot: list[str]) -> None:
    rng = client.rng
    headers = {"X-CSRF-Token": client.csrf}
    http = client.http
    if client.kind == "exam":
        pid = rng.choice(patients)
        degrees = client.marker()
        response = await _timed(
            run,
            "exam",
            http.post(f"/api/patients/{pid}/exams", json=_exam(degrees), headers=headers),
        )
        run.writes.append(_exam_write("exam", pid, degrees, response))
    elif client.kind == "edit":
        pid = rng.choice(hot)
        read = await _timed(run, "patient-api", http.get(f"/api/patients/{pid}"))
        if read is None or read.status_code != 200:
            return
        degrees = client.marker()
        body = _exam(degrees, read.json()["version"])
        response = await _timed(
            run, "edit", http.post(f"/api/patients/{pid}/exams", json=body, headers=headers)
        )
        run.writes.append(_exam_write("edit", pid, degrees, response))
    elif client.kind == "alert":
        pid = rng.choice(hot)
        read = await _timed(run, "alerts-api", http.get(f"/api/patients/{pid}/alerts"))
        if read is None or read.status_code != 200:
            return
        versions = {a["key"]: a["version"] for a in read.json()}
        if HOT_ALERT not in versions:
            raise RuntimeError(f"{HOT_ALERT} does not fire for the hot patient {pid}")
        comment = client.comment()
        body = {"comment": comment, "version": versions[HOT_ALERT]}
        url = f"/api/patients/{pid}/alerts/{HOT_ALERT}/acknowledge"
        response = await _timed(run, "alert", http.post(url, json=body, headers=headers))
        status = response.status_code if response is not None else 0
        run.writes.append(Write("alert", pid, comment, status))
    else:
        choice = rng.random()
        if choice < 0.5:
            await _timed(run, "worklist-api", http.get("/api/worklist"))
        elif choice < 0.75:
            await _timed(run, "worklist-html", http.get("/"))
        else:
            await _timed(run, "patient-page", http.get(f"/patients/{rng.choice(patients)}"))


async def _drive(
    base: str,
    clients: int,
    seconds: float,
    max_requests: int,
    patients: list[str],
    hot: list[str],
    timeout: float,
) -> Run:
    run = Run()
    pool = [Client(base, KINDS[i % len(KINDS)], i, timeout) for i in range(clients)]
    try:
        await asyncio.gather(*(c.sign_in() for c in pool))
        started = time.perf_counter()
        deadline = time.monotonic() + seconds

        async def worker(client: Client) -> None:
            for _ in range(max_requests):  # bounded in count and in time
                if time.monotonic() >= deadline:
                    return
                await _step(client, run, patients, hot)

        await asyncio.gather(*(worker(c) for c in pool))
        run.seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.http.aclose() for c in pool), return_exceptions=True)
    return run


def drive(
    base: str,
    clients: int,
    seconds: float,
    patients: list[str],
    hot: list[str],
    max_requests: int = 10_000,
    timeout: float = 60.0,
) -> Run:
    """Run the mixed workload for `seconds` (at most `max_requests` per client)."""
    return asyncio.run(_drive(base, clients, seconds, max_requests, patients, hot, timeout))


async def _collide(base: str, run: Run, clients: int, patient: str) -> tuple[int, int]:
    """`clients` clinicians read the same record, then all save at once, based on what they
    read: an exam each (physiatrists) and a decision on the same alert (nurses). Exactly one of
    each should win. Returns (exam saves acknowledged, decisions acknowledged)."""
    pool = [Client(base, kind, 90 + i, 60.0) for i, kind in enumerate(("edit", "alert") * clients)]
    try:
        await asyncio.gather(*(c.sign_in() for c in pool))
        version = (await pool[0].http.get(f"/api/patients/{patient}")).json()["version"]
        alerts = (await pool[1].http.get(f"/api/patients/{patient}/alerts")).json()
        decided = next(a["version"] for a in alerts if a["key"] == HOT_ALERT)

        async def save(client: Client) -> None:
            headers = {"X-CSRF-Token": client.csrf}
            if client.kind == "edit":
                degrees = client.marker()
                url = f"/api/patients/{patient}/exams"
                body = _exam(degrees, version)
                response = await _timed(
                    run, "edit", client.http.post(url, json=body, headers=headers)
                )
                run.writes.append(_exam_write("edit", patient, degrees, response))
            else:
                comment = client.comment()
                url = f"/api/patients/{patient}/alerts/{HOT_ALERT}/acknowledge"
                body = {"comment": comment, "version": decided}
                response = await _timed(
                    run, "alert", client.http.post(url, json=body, headers=headers)
                )
                status = response.status_code if response is not None else 0
                run.writes.append(Write("alert", patient, comment, status))

        first = len(run.writes)
        await asyncio.gather(*(save(c) for c in pool))
        mine = run.writes[first:]
        exams = sum(1 for w in mine if w.kind == "edit" and w.status == 201)
        decisions = sum(1 for w in mine if w.kind == "alert" and w.status == 200)
        return exams, decisions
    finally:
        await asyncio.gather(*(c.http.aclose() for c in pool), return_exceptions=True)


def collide(base: str, run: Run, clients: int, patient: str) -> tuple[int, int]:
    """See `_collide`; the writes and samples are added to `run`."""
    return asyncio.run(_collide(base, run, clients, patient))


async def _drive_until_killed(
    server: Server,
    clients: int,
    kill_after: float,
    patients: list[str],
    hot: list[str],
    signed: dict[int, tuple[dict[str, str], str]],
) -> Run:
    run = Run()
    kinds = ("exam", "edit", "alert")
    writers = [Client(server.base, kinds[i % 3], i, 10.0) for i in range(clients)]
    try:
        await asyncio.gather(*(c.sign_in(signed) for c in writers))
        deadline = time.monotonic() + kill_after + 60.0
        stop = asyncio.Event()

        async def worker(client: Client) -> None:
            for _ in range(100_000):
                if stop.is_set() or time.monotonic() >= deadline:
                    return
                await _step(client, run, patients, hot)

        async def killer() -> None:
            # Mid-writes: once the first write is acknowledged, `kill_after` seconds more.
            while not run.acknowledged() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
            await asyncio.sleep(kill_after)
            server.kill()
            stop.set()

        started = time.perf_counter()
        await asyncio.gather(killer(), *(worker(c) for c in writers))
        run.seconds = time.perf_counter() - started
    finally:
        await asyncio.gather(*(c.http.aclose() for c in writers), return_exceptions=True)
    return run


def drive_until_killed(
    server: Server,
    clients: int,
    kill_after: float,
    patients: list[str],
    hot: list[str],
    signed: dict[int, tuple[dict[str, str], str]] | None = None,
) -> Run:
    """Writers (exams, versioned exams, alert decisions) until the server is killed with
    SIGKILL, `kill_after` seconds after the first acknowledged write; requests cut by the kill
    count as unanswered. `signed`: sessions to reuse (and to fill) across restarts."""
    sessions = {} if signed is None else signed
    return asyncio.run(_drive_until_killed(server, clients, kill_after, patients, hot, sessions))


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
