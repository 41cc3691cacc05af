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
import itertools
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

from hosentinel.testing.servers import (
    CSRF,
    HOT_ALERT,
    KINDS,
    PASSWORD,
    ROLE_OF,
    TODAY,
    Server,
    percentile,
)

# Every write's marker is unique in the process, across runs and trials on one database.
_MARKERS = itertools.count(1)


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
