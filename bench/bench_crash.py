"""Crash safety, the long version (`make crash`): 50 times per backend, the app server is killed
with SIGKILL at a random moment in the middle of writes and restarted on the same database.

After each kill, with the server down: SQLite `PRAGMA integrity_check` and `foreign_key_check`
(PostgreSQL: no orphan rows), every write acknowledged before the kill present and whole, nothing
of a write refused with 409, no lost update; the restart must come up and serve. It is the app
server that is killed; PostgreSQL keeps running (its test server runs with fsync off, which
matters only if PostgreSQL itself or the machine goes down). Restarts fork a parent that has
imported the app once (hosentinel.testing.forkserver); `--subprocess` starts a new
`hosentinel serve` each time instead (slower). Exits 1 on any problem. Bounded to 5 trials in
`make test` (tests/app/test_crash.py).

Options: --trials N, --writers N, --seed S, --backend sqlite|postgresql|both, --subprocess.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from hosentinel.testing.checks import crash_trials
from hosentinel.testing.postgres import PostgresServer


def one_backend(url: str, work: Path, args: argparse.Namespace, name: str) -> bool:
    started = time.perf_counter()
    trials = crash_trials(
        url,
        work / f"server-{name}.log",
        args.trials,
        args.writers,
        args.seed,
        demo=True,
        fork=not args.subprocess,
    )
    acknowledged = sum(len(t.run.acknowledged()) for t in trials)
    refused = sum(len(t.run.refused()) for t in trials)
    cut = sum(1 for t in trials for w in t.run.writes if w.status == 0)
    failed = [t for t in trials if t.problems]
    print(
        f"{name}: {len(trials)} kill -9 trials in {time.perf_counter() - started:.0f} s,"
        f" {len(trials) - len(failed)} survived; {acknowledged} writes acknowledged before the"
        f" kills, {'all' if not failed else 'NOT all'} present; {refused} refused with 409;"
        f" {cut} cut mid-flight (committed or not, both allowed)"
    )
    for t in failed:
        print(f"  trial {t.number} (kill after {t.kill_after:.2f} s): {t.problems[:5]}")
    return not failed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--writers", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--subprocess", action="store_true")
    args = parser.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory(prefix="hosentinel-crash-") as tmp:
        work = Path(tmp)
        if args.backend in ("sqlite", "both"):
            ok &= one_backend(f"sqlite:///{work / 'crash.db'}", work, args, "sqlite")
        if args.backend in ("postgresql", "both"):
            pg = PostgresServer.start()
            try:
                ok &= one_backend(pg.create_database("crash"), work, args, "postgresql")
            finally:
                pg.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
