"""The extraction on DuckDB (embedded, the default engine).

DuckDB reads the files itself (gzip by suffix, several threads), one line per row: the lines view
is `read_csv` with a delimiter that valid JSON text never contains (U+0001) and no quoting, so
every line arrives whole. Lines the CSV reader rejects (a line over `MAX_LINE_BYTES`, invalid
UTF-8) are not fatal: they are kept in DuckDB's reject table and counted as bad lines. The
functions the extraction needs are macros.

Numbering lines in a parallel scan: `row_number() OVER ()` would do it but runs the whole scan on
one thread. Instead the first stage (`extraction.classify`) is written into a table, in parallel,
in insertion order (`keep_order`), so that a row's `rowid` is its place in the export; the
second stage (`extraction.group`) reads that table with `rowid` as the ordinal. The table holds
one narrow row per line (and the text of the lines that matter only), as a temporary table in
memory. Against a scratch database file (compressed as it is written) that saves 0.2-0.3 s at
10k patients, for about 120 MB more resident memory; DuckDB still pages it out to the scratch
directory past `memory_limit`, like any other of its data.

DuckDB's memory is bounded by `memory_limit`: past it, DuckDB spills to the scratch directory.
The grouped result streams back in batches of Python objects (no pyarrow); each batch of patients
goes through the screener, in this process or in a pool of worker processes (forked on Linux
before DuckDB starts its threads, so they start warm).
"""

from __future__ import annotations

import gzip
import re
import shutil
import sys
import tempfile
import threading
import zlib
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import orjson

from hosentinel.screening import compiled_sql
from hosentinel.screening.export import ExportFile
from hosentinel.screening.guard import MAX_LINE_BYTES
from hosentinel.screening.job import Batch, Job, Progress, screen_batch
from hosentinel.screening.patients import Screener, Tally

GROUPS_PER_BATCH = 1024
_DELIMITER = "\x01"
# The sample `hs_memo` is given its answers from (define_memo): the head of each file, about
# 40 ms of a 10k screen; the texts kept are the most frequent (a text not kept is matched by the
# pattern: only speed depends on these numbers).
MEMO_SAMPLE_BYTES = 64 * 1024
MEMO_SAMPLE_TOTAL = 8 * 1024 * 1024
MEMO_TEXTS = 1024
MEMO_TEXT_BYTES = 4096  # the texts are written into the macro's SQL: long ones are left out


@dataclass(frozen=True, slots=True)
class DuckDBOptions:
    memory_limit: str = "512MB"
    threads: int | None = None  # DuckDB's own default: every core
    workers: int = 1  # processes that run `evaluate`; 1 = this process
    temp_directory: Path | None = None  # where the scratch files go (default: the system's)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def keep_order(con: Any) -> None:
    """Make a table written from the lines keep their order, so that its `rowid` numbers them.

    `preserve_insertion_order` alone does not: DuckDB's `in_clause` optimizer turns an IN list of
    more than a few values (the read types) into a hash join, which does not keep the order
    (duckdb/duckdb#24398); here it moved whole files, and could move parts of a file. Without
    it, an IN list is a plain comparison, as fast here (bench/screen_rounds.py)."""
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET disabled_optimizers = 'in_clause'")


def macros() -> list[str]:
    """`hs_resource_head` and `hs_resource_references` (the line parsed once into
    `extraction.HEAD_PATHS`, `REFERENCE_PATHS`), `hs_valid_text` (true: the reader rejects invalid
    UTF-8) and `hs_memo` without answers (`define_memo` gives it some), kept compiled
    (`compiled_sql.py`)."""
    return compiled_sql.macros()


def lines_view(files: list[str], *, rejects: bool = True) -> str:
    """The view `lines` over the files: `file` is the file's place in `files` (from 0; a number
    costs less to carry through the scan than its path: `_scan` names the files at the end);
    with `rejects`, the lines the reader refuses are kept in DuckDB's reject tables."""
    listed = ", ".join(_literal(f) for f in files)
    return (
        "CREATE OR REPLACE VIEW lines AS SELECT file_index AS file, line "
        f"FROM read_csv([{listed}], columns = {{'line': 'VARCHAR'}}, delim = '{_DELIMITER}', "
        "quote = '', escape = '', header = false, auto_detect = false, new_line = '\\r\\n', "
        f"strict_mode = false, ignore_errors = true, store_rejects = {rejects}, "
        f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES})"
    )


def define_memo(con: Any, files: Sequence[ExportFile], relevance: str, scratch: Path) -> int:
    """Give `hs_memo` (extraction.py) the relevance pattern's answers for the coded texts most
    frequent in the first lines of each file, and return how many. The sample is read here,
    through the same view and the same SQL as the scan, so each text is the very string the scan
    will compute. Must run before the view `lines` over the export is made (it replaces it)."""
    sample = scratch / "memo-sample.ndjson"
    budget = MEMO_SAMPLE_TOTAL
    with sample.open("wb") as out:
        for file in files:
            take = min(MEMO_SAMPLE_BYTES, budget)
            if take <= 0:
                break
            head = _head_of(file, take)
            cut = head.rfind(b"\n") + 1  # whole lines only
            out.write(head[:cut])
            budget -= cut
    if budget == MEMO_SAMPLE_TOTAL:
        return 0
    con.execute(lines_view([str(sample)], rejects=False))
    answers = con.execute(
        f"SELECT coded, relevant, hash(coded) FROM ({compiled_sql.memo_sql(relevance)}) "
        f"WHERE strlen(coded) <= {MEMO_TEXT_BYTES} LIMIT {MEMO_TEXTS}"
    ).fetchall()
    con.execute(compiled_sql.memo_macro([(str(t), bool(a), int(h)) for t, a, h in answers]))
    return len(answers)


def _head_of(file: ExportFile, size: int) -> bytes:
    """Up to `size` bytes from the start of the file (decompressed); none when it cannot be read
    (the scan reports the file)."""
    try:
        opener = gzip.open if file.gzip else open
        with opener(file.read_path, "rb") as stream:
            return bytes(stream.read(size))
    except (OSError, EOFError, zlib.error):
        return b""


def run(job: Job, options: DuckDBOptions, progress: Progress) -> Iterator[Batch]:
    import duckdb

    pool = _pool(job, options.workers) if options.workers > 1 else None
    temp = Path(tempfile.mkdtemp(prefix="hosentinel-duckdb-", dir=options.temp_directory))
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = {_literal(options.memory_limit)}")
        con.execute(f"SET temp_directory = {_literal(str(temp))}")
        if options.threads:
            con.execute(f"SET threads = {int(options.threads)}")
        keep_order(con)
        con.execute("SET enable_progress_bar = true")
        con.execute("SET enable_progress_bar_print = false")
        for statement in macros():
            con.execute(statement)
        define_memo(con, job.export.files, job.relevance, temp)
        files = [str(f.read_path.absolute()) for f in job.export.files]
        con.execute(lines_view(files))
        batches = _scan(con, files, job.relevance, progress)
        if pool is None:
            screener = _screener(job)
            for batch in batches:
                yield screen_batch(screener, batch)
                progress.screened(len(batch))
        else:
            yield from _in_pool(pool, batches, options.workers, progress)
        yield [], _rejects(con)
    finally:
        con.close()
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        shutil.rmtree(temp, ignore_errors=True)


def _scan(
    con: Any, files: list[str], relevance: str, progress: Progress
) -> Iterator[list[dict[str, Any]]]:
    """The extraction's rows in batches of GROUPS_PER_BATCH patients, as Python objects (DuckDB
    converts them as fast as Arrow's `to_pylist`, without importing pyarrow); reports DuckDB's
    progress while it reads. `files` are the files of the view `lines`, in its order."""
    classify = f"CREATE TEMP TABLE classified_lines AS {compiled_sql.classify_sql(relevance)}"
    _with_progress(con, lambda: con.execute(classify), progress)
    named = ", ".join(_literal(f) for f in files)
    con.execute(
        f"CREATE TEMP VIEW classified AS SELECT ([{named}])[file::BIGINT + 1] AS file, "
        "rowid AS ordinal, rtype, status, patient, line FROM classified_lines"
    )
    result = con.execute(compiled_sql.group_sql())  # streams: fetched a batch at a time
    columns = [column[0] for column in result.description]
    progress.scanning(1.0)
    while rows := result.fetchmany(GROUPS_PER_BATCH):
        yield [dict(zip(columns, row, strict=True)) for row in rows]


def _with_progress(con: Any, work: Any, progress: Progress) -> None:
    """Run `work` in a thread (DuckDB releases the GIL) while reporting the query's progress."""
    outcome: dict[str, BaseException] = {}

    def target() -> None:
        try:
            work()
        except BaseException as exc:  # re-raised below, in the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.2)
        done = con.query_progress()
        progress.scanning(done / 100 if done is not None and done >= 0 else None)
    if "error" in outcome:
        raise outcome["error"]


def _pool(job: Job, workers: int) -> ProcessPoolExecutor:
    """Worker processes, started (and warmed: knowledge loaded) before DuckDB starts its threads,
    so that on Linux they can be forked from this process, already warm."""
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    if method == "fork":
        _read_sample_notes(job)
        if job.validate:  # the fhir.resources models, imported once here, not in every worker
            import hosentinel.fhir.importer  # noqa: F401
    pool = ProcessPoolExecutor(
        workers, mp_context=get_context(method), initializer=_start_worker, initargs=(job,)
    )
    for warm in [pool.submit(_ready) for _ in range(workers)]:
        warm.result()
    return pool


_NOTE_TYPES = re.compile(rb'"resourceType"\s*:\s*"(?:DocumentReference|DiagnosticReport)"')


def _read_sample_notes(job: Job) -> None:
    """Read the notes and reports among the first 64 kB of each file before the fork. When one
    of them needs ConText, spaCy and its pipeline are loaded here once, not in every worker
    (seconds of CPU each: bench/bench_notes.py); when none does (no modifier can reach what they
    state, notes/reach.py), nobody loads spaCy. A hint only: a note found elsewhere is still
    read, by a worker that loads what it needs itself."""
    from hosentinel.knowledge.loader import default_knowledge
    from hosentinel.notes.reader import NoteReader

    reader: NoteReader | None = None
    for file in job.export.files:
        try:
            opener = gzip.open if file.gzip else open
            with opener(file.read_path, "rb") as stream:
                head = stream.read(65536)
        except (OSError, EOFError, gzip.BadGzipFile):
            continue  # the scan reports the file
        for line in head.split(b"\n")[:-1]:  # whole lines only
            if not _NOTE_TYPES.search(line):
                continue
            try:
                resource = orjson.loads(line)
                kind = resource.get("resourceType") if isinstance(resource, dict) else None
                if kind not in ("DiagnosticReport", "DocumentReference"):
                    continue
                if reader is None:
                    reader = NoteReader(default_knowledge())
                read = reader.report if kind == "DiagnosticReport" else reader.document
                read(resource, "sample", None, [])
            except LookupError:
                return  # a knowledge base without the notes vocabulary: notes are not read
            except Exception:  # a sample only: the worker reads it again and says what is wrong
                continue


def _in_pool(
    pool: ProcessPoolExecutor,
    batches: Iterator[list[dict[str, Any]]],
    workers: int,
    progress: Progress,
) -> Iterator[Batch]:
    """Batches through the pool (pickled), results in order, at most two batches per worker in
    flight."""
    pending: deque[tuple[Future[Batch], int]] = deque()
    for batch in batches:
        pending.append((pool.submit(_work, batch), len(batch)))
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

    return Screener(
        default_knowledge(),
        job.as_of,
        job.export.ranks(),
        validate=job.validate,
        keep_sources=job.keep_sources,
    )


_WORKER: dict[str, Screener] = {}


def _start_worker(job: Job) -> None:
    _WORKER["screener"] = _screener(job)


def _ready() -> bool:
    return "screener" in _WORKER


def _work(batch: list[dict[str, Any]]) -> Batch:
    return screen_batch(_WORKER["screener"], batch)


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
