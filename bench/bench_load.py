"""Load, the long version (`make load`): 50 clinicians at once against the real server
(`hosentinel serve` on loopback) for 30 seconds, on SQLite and on PostgreSQL.

Therapists save exams, physiatrists save exams based on the record version they read (on two
contended patients), nurses decide on the same alert based on the decision number they read,
unit leads read the worklist and patient pages; then 5 physiatrists and 5 nurses save the same
record at the same moment. Afterwards the database is checked: every acknowledged write present
and whole, nothing of a write refused with 409, each record's version counting exactly the
writes acknowledged on it; any 5xx is a failure. Prints the figures and p50/p95/p99 latency per
request kind; exits 1 on any problem. The same harness runs bounded in `make test`
(tests/app/test_load.py).

Options: --clients N, --seconds S, --backend sqlite|postgresql|both.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from hosentinel.store.db import make_engine
from hosentinel.testing.checks import patient_ids, snapshot, verify
from hosentinel.testing.postgres import PostgresServer
from hosentinel.testing.servers import HOT_PATIENTS, Server
from hosentinel.testing.workload import collide, drive


def one_backend(url: str, work: Path, clients: int, seconds: float) -> bool:
    server = Server(url, work / "server.log")
    server.start(demo=True)  # loads the demo patients and users
    server.stop()
    engine = make_engine(url)
    hot = list(HOT_PATIENTS)
    patients = patient_ids(engine)
    before = snapshot(engine, hot)
    server.start()
    try:
        run = drive(server.base, clients, seconds, patients, hot)
        exams, decisions = collide(server.base, run, 5, hot[0])
    finally:
        server.stop()
    problems = verify(engine, run, before, hot, strict=True)
    engine.dispose()
    problems += [f"HTTP {s.status} on {s.kind}" for s in run.unexpected()]
    if (exams, decisions) != (1, 1):
        problems.append(f"one version saved at once by 5: {exams} exams, {decisions} decisions won")
    print(run.report(f"{engine.dialect.name}, {clients} clients"))
    if problems:
        print("  PROBLEMS:\n    " + "\n    ".join(problems[:20]))
    else:
        print(
            f"  all {len(run.acknowledged())} acknowledged writes present and whole; the"
            f" {len(run.refused())} refused with 409 left nothing; versions count every write;"
            " one version saved at once by 5 clinicians: exactly 1 won (exam and alert)"
        )
    return not problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="hosentinel-load-") as tmp:
        work = Path(tmp)
        if args.backend in ("sqlite", "both"):
            ok &= one_backend(f"sqlite:///{work / 'load.db'}", work, args.clients, args.seconds)
        if args.backend in ("postgresql", "both"):
            pg = PostgresServer.start()
            try:
                url = pg.create_database("load")
                ok &= one_backend(url, work, args.clients, args.seconds)
            finally:
                pg.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
