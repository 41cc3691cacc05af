"""The extraction on DuckDB (embedded, the default engine).

DuckDB reads the files itself (gzip by suffix, several threads), one line per row: the lines view
is `read_csv` with a delimiter that valid JSON text never contains (U+0001) and no quoting, so
every line arrives whole; `row_number() OVER ()` numbers them in file order. Lines the CSV reader
rejects (a line over `MAX_LINE_BYTES`, invalid UTF-8) are not fatal: they are kept in DuckDB's
reject table and counted as bad lines. The extraction's SQL (`extraction.to_sql`) then runs as is,
with the two functions it needs defined as macros. Memory is bounded by `memory_limit`: past it,
DuckDB spills to a temporary directory. The grouped result streams back in Arrow batches; each
batch of patients goes through the screener, in this process or in a pool of worker processes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from hosentinel.screening.extraction import HEAD_PATHS, to_sql
from hosentinel.screening.job import Batch, Job, Progress, screen_batch
from hosentinel.screening.patients import Screener, Tally

MAX_LINE_BYTES = 32 * 1024 * 1024
GROUPS_PER_BATCH = 1024
_DELIMITER = "\x01"


@dataclass(frozen=True, slots=True)
class DuckDBOptions:
    memory_limit: str = "2GB"
    threads: int | None = None  # DuckDB's own default: every core
    workers: int = 1  # processes that run `evaluate`; 1 = this process
    temp_directory: Path | None = None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def macros() -> list[str]:
    paths = ", ".join(_literal(p) for p in HEAD_PATHS)
    return [
        f"CREATE MACRO hs_resource_head(line) AS try(json_extract_string(line, [{paths}]))",
        "CREATE MACRO hs_octets(text) AS strlen(text)",
        "CREATE MACRO hs_valid_text(line) AS true",  # the reader rejects invalid UTF-8
    ]


def lines_view(files: list[str]) -> str:
    listed = ", ".join(_literal(f) for f in files)
    return (
        "CREATE VIEW lines AS SELECT filename AS file, row_number() OVER () AS ordinal, line "
        f"FROM read_csv([{listed}], columns = {{'line': 'VARCHAR'}}, delim = '{_DELIMITER}', "
        "quote = '', escape = '', header = false, auto_detect = false, new_line = '\\n', "
        "filename = true, strict_mode = false, ignore_errors = true, store_rejects = true, "
        f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES})"
    )


def run(job: Job, options: DuckDBOptions, progress: Progress) -> Iterator[Batch]:
    import duckdb

    pool = _pool(job, options.workers) if options.workers > 1 else None
    temp = options.temp_directory or Path(tempfile.mkdtemp(prefix="hosentinel-duckdb-"))
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {_literal(options.memory_limit)}")
        con.execute(f"SET temp_directory = {_literal(str(temp))}")
        if options.threads:
            con.execute(f"SET threads = {int(options.threads)}")
        con.execute("SET preserve_insertion_order = true")  # row_number() follows the files
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        for statement in macros():
            con.execute(statement)
        files = [str(f.path.resolve()) for f in job.export.files]
        con.execute(lines_view(files))
        batches = _scan(con, to_sql(job.relevance, "duckdb"), progress)
        if pool is None:
            screener = _screener(job)
            for groups in batches:
                yield screen_batch(screener, groups)
                progress.screened(len(groups))
        else:
            yield from _in_pool(pool, batches, options.workers, progress)
        yield [], _rejects(con)
    finally:
        con.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        if options.temp_directory is None:
            shutil.rmtree(temp, ignore_errors=True)


def _scan(con: Any, sql: str, progress: Progress) -> Iterator[list[dict[str, Any]]]:
    """The extraction's rows in batches; reports DuckDB's progress until the first batch."""
    reader = con.sql(sql).to_arrow_reader(GROUPS_PER_BATCH)
    first: dict[str, Any] = {}

    def fetch() -> None:
        try:
            first["batch"] = reader.read_next_batch()
        except StopIteration:
            first["batch"] = None
        except BaseException as exc:  # re-raised below, in the caller's thread
            first["error"] = exc

    worker = threading.Thread(target=fetch, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        done = con.query_progress()
        progress.scanning(done / 100 if done is not None and done >= 0 else None)
    if "error" in first:
        raise first["error"]
    progress.scanning(1.0)
    batch = first.get("batch")
    while batch is not None:
        yield batch.to_pylist()
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            batch = None


def _pool(job: Job, workers: int) -> ProcessPoolExecutor:
    """Worker processes, started (and warmed: knowledge loaded) before DuckDB starts its threads,
    so that on Linux they can be forked from this process, already warm."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context(method), initializer=_start_worker, initargs=(job,)
    )
    for warm in [pool.submit(_ready) for _ in range(workers)]:
        warm.result()
    return pool


def _in_pool(
    pool: ProcessPoolExecutor,
    batches: Iterator[list[dict[str, Any]]],
    workers: int,
    progress: Progress,
) -> Iterator[Batch]:
    """Batches through the pool, results in order, at most two batches per worker in flight."""
    pending: deque[tuple[Future[Batch], int]] = deque()
    for groups in batches:
        pending.append((pool.submit(_work, groups), len(groups)))
        while len(pending) >= 2 * workers:
            future, size = pending.popleft()
            yield future.result()
            progress.screened(size)
    while pending:
        future, size = pending.popleft()
        yield future.result()
        progress.screened(size)


def _screener(job: Job) -> Screener:
    from hosentinel.knowledge.loader import default_knowledge

    return Screener(default_knowledge(), job.as_of, job.export.ranks(), validate=job.validate)


_WORKER: dict[str, Screener] = {}


def _start_worker(job: Job) -> None:
    _WORKER["screener"] = _screener(job)


def _ready() -> bool:
    return "screener" in _WORKER


def _work(groups: list[dict[str, Any]]) -> Batch:
    return screen_batch(_WORKER["screener"], groups)


def _rejects(con: Any) -> Tally:
    """Lines DuckDB's reader refused (too long, not UTF-8): bad lines of their file."""
    tally = Tally()
    found = con.sql(
        "SELECT s.file_path, count(*) FROM reject_errors e "
        "JOIN reject_scans s USING (scan_id, file_id) GROUP BY 1"
    ).fetchall()
    for file, n in found:
        tally.lines[(str(file), "bad")] += int(n)
    return tally
