"""How fast the clinician directory answers "specialty within 50 miles of a ZIP code" over one
million clinicians. Run by `make bench` (or alone); not part of the test suite.

The directory is synthetic (`hosentinel.directory.synth`: real ZIP codes, nobody real), spread
evenly over the US ZIP codes, 40 % physiatry, 45 % orthopaedic surgery, 15 % radiation oncology.
It is bulk-inserted (executemany on SQLite, COPY on PostgreSQL) into tables made by the app's own
migrations, then `search()` — the function behind the page and the JSON API, including reading
the page of clinicians and their specialties — runs for random ZIP codes and specialties.
Figures: p50 and p95 in milliseconds per backend, and the worst case (Manhattan, 10001).

Backends: SQLite in a temporary file, and PostgreSQL: `--postgres URL`, or else a private server
started here (hosentinel.testing.postgres, as the test suite does). Options: --clinicians N,
--queries N, --radius MILES, --seed S, --sqlite-only, --strict (exit 1 when a p95 is over 50 ms).
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from hosentinel.directory.geo import zip_table
from hosentinel.directory.load import refresh_statistics
from hosentinel.directory.records import ClinicianIn
from hosentinel.directory.store import (
    SearchQuery,
    clinician_row,
    search,
    search_rows,
    taxonomy_rows,
)
from hosentinel.directory.synth import synth_clinicians
from hosentinel.directory.taxonomy import taxonomy
from hosentinel.store.db import make_engine, make_sessionmaker
from hosentinel.store.migrate import upgrade

TARGET_P95_MS = 50.0
CHUNK = 50_000
TABLES = {
    "clinicians": list(clinician_row(next(synth_clinicians(1, 0)), datetime.now(UTC))),
    "clinician_taxonomies": ["npi", "code", "is_primary"],
    "clinician_search": ["npi", "specialty_group", "lat_cell", "lon_cell", "x", "y", "z"],
}


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def chunks(count: int, seed: int) -> Iterator[list[ClinicianIn]]:
    iterator = synth_clinicians(count, seed)
    while chunk := list(islice(iterator, CHUNK)):
        yield chunk


def rows_of(chunk: list[ClinicianIn], at: datetime) -> dict[str, list[dict[str, Any]]]:
    return {
        "clinicians": [clinician_row(c, at) for c in chunk],
        "clinician_taxonomies": [r for c in chunk for r in taxonomy_rows(c)],
        "clinician_search": [r for c in chunk for r in search_rows(c)],
    }


def load_sqlite(engine: Engine, count: int, seed: int) -> None:
    at = datetime.now(UTC)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for chunk in chunks(count, seed):
            for table, rows in rows_of(chunk, at).items():
                columns = TABLES[table]
                sql = (
                    f"INSERT INTO {table} ({', '.join(columns)}) "
                    f"VALUES ({', '.join('?' for _ in columns)})"
                )
                cursor.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
        raw.commit()
    finally:
        raw.close()
    refresh_statistics(engine)


def _copy_value(value: Any) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def load_postgres(engine: Engine, count: int, seed: int) -> None:
    at = datetime.now(UTC)
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        for chunk in chunks(count, seed):
            for table, rows in rows_of(chunk, at).items():
                columns = TABLES[table]
                buffer = io.StringIO()
                for r in rows:
                    buffer.write("\t".join(_copy_value(r[c]) for c in columns) + "\n")
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    copy.write(buffer.getvalue())
        raw.commit()
    except Exception:
        raw.rollback()
        raise
    finally:
        raw.close()
    refresh_statistics(engine)


def run_queries(
    engine: Engine, queries: int, radius: float, seed: int
) -> tuple[list[float], list[int], float]:
    rng = random.Random(seed + 1)
    table = zip_table()
    zips = sorted(table)
    groups = list(taxonomy().groups.values())
    sessions = make_sessionmaker(engine)
    timings: list[float] = []
    totals: list[int] = []
    with sessions() as session:
        for _ in range(5):  # warm-up: connection, statement caches, the ZIP table
            search(session, SearchQuery(groups[0], None, table["60611"], radius))
        for _ in range(queries):
            query = SearchQuery(rng.choice(groups), None, table[rng.choice(zips)], radius)
            started = time.perf_counter()
            result = search(session, query)
            timings.append((time.perf_counter() - started) * 1000)
            totals.append(result.total)
        ortho = taxonomy().groups["orthopaedic-surgery"]
        worst = []
        for _ in range(20):
            started = time.perf_counter()
            search(session, SearchQuery(ortho, None, table["10001"], radius))
            worst.append((time.perf_counter() - started) * 1000)
    return timings, totals, statistics.median(worst)


def report(
    name: str, load_seconds: float, timings: list[float], totals: list[int], worst: float
) -> float:
    p50, p95 = percentile(timings, 0.5), percentile(timings, 0.95)
    print(
        f"{name:<10} load {load_seconds:6.1f} s | search p50 {p50:5.1f} ms  p95 {p95:5.1f} ms  "
        f"max {max(timings):5.1f} ms | found per search: median {statistics.median(totals):.0f}, "
        f"max {max(totals)} | 10001 orthopaedic surgery median {worst:.1f} ms"
    )
    return p95


def bench(name: str, url: str, args: argparse.Namespace) -> float:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    if url.startswith("sqlite"):
        load_sqlite(engine, args.clinicians, args.seed)
    else:
        load_postgres(engine, args.clinicians, args.seed)
    load_seconds = time.perf_counter() - started
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM clinicians")).scalar_one()
    assert count == args.clinicians, count
    timings, totals, worst = run_queries(engine, args.queries, args.radius, args.seed)
    engine.dispose()
    return report(name, load_seconds, timings, totals, worst)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinicians", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--radius", type=float, default=50.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", help="A PostgreSQL URL (an empty database) to use.")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    print(
        f"Directory search: {args.clinicians:,} synthetic clinicians, specialty within "
        f"{args.radius:g} miles of a random ZIP code, {args.queries} searches per backend"
    )
    worst_p95 = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'directory.db'}"
        worst_p95 = max(worst_p95, bench("SQLite", url, args))
    if not args.sqlite_only:
        if args.postgres:
            worst_p95 = max(worst_p95, bench("PostgreSQL", args.postgres, args))
        else:
            from hosentinel.testing.postgres import PostgresServer  # as the test suite uses

            server = PostgresServer.start()
            try:
                pg_url = server.create_database("bench_directory")
                worst_p95 = max(worst_p95, bench("PostgreSQL", pg_url, args))
            finally:
                server.stop()
    verdict = "met" if worst_p95 < TARGET_P95_MS else "MISSED"
    print(f"target: p95 under {TARGET_P95_MS:g} ms -> {verdict}")
    return 1 if args.strict and worst_p95 >= TARGET_P95_MS else 0


if __name__ == "__main__":
    sys.exit(main())
