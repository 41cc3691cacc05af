"""`hosentinel screen`: a whole Bulk Data export -> one row per patient.

    summary = screen(Path("export"), Path("rows.parquet"), ScreenOptions(as_of=date(2025, 12, 1)))

The chosen engine runs the one extraction definition over the export; the rows it yields (sorted
by patient id) are written as they come; the counts of every batch add up to the `Summary`.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from hosentinel.knowledge.loader import Knowledge, default_knowledge
from hosentinel.screening import guard, staging
from hosentinel.screening.export import Export, discover
from hosentinel.screening.job import Batch, Job, NoProgress, Progress
from hosentinel.screening.patients import Row, Tally
from hosentinel.screening.relevance import relevance_pattern
from hosentinel.screening.rows import RowWriter, format_of

Engine = Literal["duckdb", "spark"]
SPARK_MASTER_ENV = "HOSENTINEL_SPARK_MASTER"
# Below this much NDJSON, starting worker processes costs more than it saves.
_POOL_FROM_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class ScreenOptions:
    as_of: date
    engine: Engine = "duckdb"
    validate: bool = False
    workers: int | None = None  # DuckDB: processes for `evaluate` (None: by export size)
    memory_limit: str = "512MB"  # DuckDB: past it, DuckDB spills to disk
    spark_master: str | None = None  # Spark: None -> $HOSENTINEL_SPARK_MASTER or local[*]
    caps: guard.Caps = field(default_factory=guard.Caps)  # line and file size (guard.py)


@dataclass
class Summary:
    export: Export
    output: Path
    engine: Engine
    as_of: date
    seconds: float = 0.0
    tally: Tally = field(default_factory=Tally)

    @property
    def rows(self) -> int:
        return self.tally.rows

    def lines_by_status(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for (_, status), n in self.tally.lines.items():
            out[status] += n
        return out

    def bad_lines_by_file(self) -> dict[str, int]:
        """File name -> lines that are not resources (every file listed, zeros included)."""
        bad = {f.name: 0 for f in self.export.files}
        for location, n in self.tally.bad_lines().items():
            bad[self.export.file_of(location).name] += n
        return bad

    @property
    def lines(self) -> int:
        return sum(n for (_, status), n in self.tally.lines.items() if status != "blank")


def screen(
    directory: Path,
    output: Path,
    options: ScreenOptions,
    progress: Progress | None = None,
    knowledge: Knowledge | None = None,
    into: Callable[[Sequence[Row]], None] | None = None,
) -> Summary:
    """Screen the export in `directory` into `output` (.csv or .parquet). With `into`, the rows
    that need the team carry their resources (`Row.source`) and each batch goes to `into` too,
    after it is written (see `into_app.py`)."""
    format_of(output)  # a bad suffix fails before any work
    started = time.perf_counter()
    export = guard.check(discover(directory), options.caps)
    knowledge = knowledge or default_knowledge()
    progress = progress or NoProgress()
    summary = Summary(export, output, options.engine, options.as_of)
    if not export.files:
        with RowWriter(output) as writer:
            writer.commit()  # every file refused: an empty result, and the summary says why
        summary.seconds = time.perf_counter() - started
        return summary
    with staging.staged(export) as readable:
        summary.export = readable
        job = Job(
            readable,
            options.as_of,
            relevance_pattern(knowledge),
            options.validate,
            keep_sources=into is not None,
        )
        with RowWriter(output) as writer:
            for rows, tally in _batches(job, options, progress):
                writer.write(rows)
                summary.tally.merge(tally)
                if into is not None:
                    into(rows)
            writer.commit()
    summary.seconds = time.perf_counter() - started
    return summary


def _batches(job: Job, options: ScreenOptions, progress: Progress) -> Iterator[Batch]:
    if options.engine == "spark":
        from hosentinel.screening import spark_engine
        from hosentinel.settings import Settings  # pydantic-settings: 25 ms a DuckDB screen spares

        master = options.spark_master or Settings().spark_master or "local[*]"
        return spark_engine.run(job, spark_engine.SparkOptions(master=master), progress)
    from hosentinel.screening import duckdb_engine

    workers = options.workers
    if workers is None:
        big = job.export.size >= _POOL_FROM_BYTES
        workers = min(os.cpu_count() or 1, 8) if big else 1
    duck = duckdb_engine.DuckDBOptions(memory_limit=options.memory_limit, workers=workers)
    return duckdb_engine.run(job, duck, progress)
