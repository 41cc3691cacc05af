"""Harnesses shared by the test suite and the benchmarks (`bench/` imports them from here, never
from `tests/`): a private PostgreSQL server, and load and crash trials against a real server.

- `postgres.py`: `PostgresServer`, initdb + pg_ctl on a temporary directory.
- `servers.py`: `hosentinel serve` on a free loopback port (`Server`, `Launcher` + `forkserver.py`).
- `workload.py`: the clinicians' workload (asyncio + httpx) and its record of writes.
- `checks.py`: what the database holds afterwards, and the kill -9 trials.

Nothing in the application imports this package.
"""
