"""The incremental census: `screen DIR --census PATH` merges an export into a kept census and
re-evaluates only the patients whose resources changed.

A patient's row depends only on the lines the screen carries: the Patient resource and the
resources of the types `assess` reads that the relevance pattern keeps (`extraction.classify`).
The census keeps exactly those lines (with type, id, patient and a sequence number giving their
order), and the last rows. A night's export (`bulk fetch --since`) is classified, then merged:

- upsert by type and id: a resource seen again replaces its earlier version in place (same
  sequence number); a resource that is no longer carried (say, a code changed) leaves the census;
- Bulk Data v2 `deleted` entries (Bundles of `DELETE Type/id` requests) remove resources;
- the patients whose carried lines changed (before or after) are re-screened, from the census's
  lines, with the chosen engine; every other patient keeps their row.

So the rows equal a full screen of the merged data. When the census was screened as of another
day, or with another knowledge release, every patient is re-screened from the census's lines
(still without reading any export again). The census is a DuckDB file (`*.duckdb`) or a folder of
Parquet files (any other path): `resources.parquet`, `rows.parquet`, `meta.json`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from hosentinel.knowledge.loader import Knowledge, default_knowledge
from hosentinel.screening import guard, staging
from hosentinel.screening.compiled_sql import classify_sql, extracted
from hosentinel.screening.duckdb_engine import define_memo, keep_order, lines_view, macros
from hosentinel.screening.export import Export, ExportError, deleted_files, discover
from hosentinel.screening.job import NoProgress, Progress
from hosentinel.screening.patients import ROW_COLUMNS, Row
from hosentinel.screening.relevance import relevance_pattern
from hosentinel.screening.rows import RowWriter, format_of
from hosentinel.screening.screen import ScreenOptions, Summary, screen

_RESOURCES = (
    "CREATE TABLE IF NOT EXISTS census.resources (rtype VARCHAR, id VARCHAR, patient VARCHAR, "
    "seq BIGINT, line VARCHAR)"
)
_ROWS = (
    "CREATE TABLE IF NOT EXISTS census.rows ("
    + ", ".join(f"{c} VARCHAR" for c in ROW_COLUMNS)
    + ")"
)
_META = "CREATE TABLE IF NOT EXISTS census.meta (key VARCHAR, value VARCHAR)"


class CensusError(ValueError):
    """The census cannot be used. str() is one line."""


@dataclass
class CensusResult:
    export: Export
    output: Path
    census: Path
    rows: int = 0
    patients: int = 0  # in the census
    reevaluated: int = 0
    everyone: bool = False  # all re-screened (new census, another day or knowledge release)
    why_everyone: str = ""
    upserted: int = 0
    removed: int = 0  # carried resources that left (deleted, or no longer carried)
    deleted_entries: int = 0
    without_id: int = 0
    summary: Summary | None = None  # the screen of the re-evaluated patients
    warnings: list[str] = field(default_factory=list)


def is_duckdb_file(path: Path) -> bool:
    return path.suffix.lower() in (".duckdb", ".db")


def screen_census(
    directory: Path,
    output: Path,
    census: Path,
    options: ScreenOptions,
    progress: Progress | None = None,
    knowledge: Knowledge | None = None,
) -> CensusResult:
    import duckdb

    format_of(output)
    knowledge = knowledge or default_knowledge()
    export = guard.check(discover(directory), options.caps)
    result = CensusResult(export, output, census)
    deletions = _deletions(export, result)
    con = duckdb.connect()
    scratch = Path(tempfile.mkdtemp(prefix="hosentinel-census-"))
    try:
        con.execute(f"SET memory_limit = '{options.memory_limit}'")
        con.execute(f"SET temp_directory = '{scratch}'")
        keep_order(con)
        _open(con, census)
        for statement in macros():
            con.execute(statement)
        with staging.staged(export) as readable:
            _classify(con, readable, relevance_pattern(knowledge), scratch, result)
        _merge(con, deletions, result)
        day, digest = options.as_of.isoformat(), knowledge.digest
        meta = dict(con.execute("SELECT key, value FROM census.meta").fetchall())
        if not meta:
            result.everyone, result.why_everyone = True, "a new census"
        elif meta.get("as_of") != day:
            result.everyone, result.why_everyone = True, f"the census was as of {meta.get('as_of')}"
        elif meta.get("knowledge") != digest:
            result.everyone, result.why_everyone = True, "another knowledge release"
        if result.everyone:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE redo AS SELECT DISTINCT patient "
                "FROM census.resources WHERE patient IS NOT NULL"
            )
            con.execute("DELETE FROM census.rows")
        else:
            con.execute("CREATE OR REPLACE TEMP TABLE redo AS SELECT patient FROM changed")
        result.reevaluated = _count(con, "SELECT count(*) FROM redo")
        if result.reevaluated:
            result.summary = _rescreen(con, scratch, options, progress, knowledge)
        con.execute("DELETE FROM census.meta")
        con.execute("INSERT INTO census.meta VALUES ('as_of', ?), ('knowledge', ?)", [day, digest])
        result.patients = _count(
            con, "SELECT count(DISTINCT patient) FROM census.resources WHERE rtype = 'Patient'"
        )
        result.rows = _write_rows(con, output)
        _save(con, census)
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _open(con: Any, census: Path) -> None:
    """The census, loaded into the in-memory schema `census` (created empty when missing). The
    work happens there; `_save` writes the result to a new file that replaces the old one, so a
    screen that stops half-way leaves the census as it was."""
    con.execute("ATTACH ':memory:' AS census")
    if is_duckdb_file(census):
        if not census.parent.is_dir():
            raise CensusError(f"{census.parent} is not a directory")
        if census.exists():
            con.execute(f"ATTACH '{_quoted(census)}' AS stored (READ_ONLY)")
            found = {
                r[0]
                for r in con.execute(
                    "SELECT table_name FROM duckdb_tables() WHERE database_name = 'stored'"
                ).fetchall()
            }
            if not {"resources", "rows", "meta"} <= found:
                raise CensusError(f"{census} is not a census (no resources, rows and meta tables)")
            for table in ("resources", "rows", "meta"):
                con.execute(f"CREATE TABLE census.{table} AS SELECT * FROM stored.{table}")
            con.execute("DETACH stored")
    else:
        if census.exists() and not census.is_dir():
            raise CensusError(f"{census}: a census is a .duckdb file or a folder of Parquet files")
        for table in ("resources", "rows"):
            path = census / f"{table}.parquet"
            if path.is_file():
                con.execute(
                    f"CREATE TABLE census.{table} AS SELECT * FROM read_parquet('{_quoted(path)}')"
                )
        meta = census / "meta.json"
        if meta.is_file():
            con.execute(_META)
            for key, value in json.loads(meta.read_text(encoding="utf-8")).items():
                con.execute("INSERT INTO census.meta VALUES (?, ?)", [key, str(value)])
    for statement in (_RESOURCES, _ROWS, _META):
        con.execute(statement)


def _save(con: Any, census: Path) -> None:
    if is_duckdb_file(census):
        partial = census.with_name(f".{census.name}.partial")
        partial.unlink(missing_ok=True)
        con.execute(f"ATTACH '{_quoted(partial)}' AS fresh")
        for table in ("resources", "rows", "meta"):
            con.execute(f"CREATE TABLE fresh.{table} AS SELECT * FROM census.{table} ORDER BY ALL")
        con.execute("DETACH fresh")
        os.replace(partial, census)
        return
    census.mkdir(parents=True, exist_ok=True)
    for table in ("resources", "rows"):
        partial = census / f".{table}.parquet.partial"
        con.execute(
            f"COPY (SELECT * FROM census.{table} ORDER BY ALL) "
            f"TO '{_quoted(partial)}' (FORMAT parquet)"
        )
        os.replace(partial, census / f"{table}.parquet")
    meta = dict(con.execute("SELECT key, value FROM census.meta").fetchall())
    partial = census / ".meta.json.partial"
    partial.write_text(json.dumps(meta), encoding="utf-8")
    os.replace(partial, census / "meta.json")


def _count(con: Any, sql: str) -> int:
    rows = con.execute(sql).fetchall()
    return int(rows[0][0]) if rows else 0


def _quoted(path: Path) -> str:
    return str(path.absolute()).replace("'", "''")


def _deletions(export: Export, result: CensusResult) -> list[tuple[str, str]]:
    """(type, id) of every DELETE request in the manifest's `deleted` files."""
    paths, warnings = deleted_files(export)
    result.warnings += warnings
    keys: list[tuple[str, str]] = []
    for path in paths:
        for line in path.read_bytes().splitlines():
            try:
                bundle = orjson.loads(line)
            except orjson.JSONDecodeError:
                if line.strip():
                    result.warnings.append(f"{path.name}: a deleted entry that is not JSON skipped")
                continue
            for request in _delete_requests(bundle):
                rtype, _, rid = request.partition("/")
                if rtype and rid:
                    keys.append((rtype, rid.split("/", 1)[0]))
    result.deleted_entries = len(keys)
    return keys


def _delete_requests(bundle: Any) -> Iterator[str]:
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        request = entry.get("request") if isinstance(entry, dict) else None
        if isinstance(request, dict) and request.get("method") == "DELETE":
            url = request.get("url")
            if isinstance(url, str):
                parts = url.split("?", 1)[0].strip("/").split("/")
                if "_history" in parts:
                    parts = parts[: parts.index("_history")]
                if len(parts) >= 2:
                    yield f"{parts[-2]}/{parts[-1]}"


def _classify(
    con: Any, export: Export, relevance: str, scratch: Path, result: CensusResult
) -> None:
    """`delta`: the export's carried lines, last version of each (type, id), in export order;
    `touched`: the (type, id) of every resource in the export, carried or not."""
    define_memo(con, export.files, relevance, scratch)
    files = [str(f.read_path.absolute()) for f in export.files]
    con.execute(lines_view(files))
    con.execute(f"CREATE TEMP TABLE classified AS {classify_sql(relevance)}")
    con.execute(
        "CREATE TEMP TABLE carried AS SELECT rowid AS pos, rtype, patient, line, "
        "json_extract_string(line, '$.id') AS id FROM classified "
        "WHERE status IN ('kept', 'patient')"
    )
    result.without_id = _count(con, "SELECT count(*) FROM carried WHERE id IS NULL")
    con.execute(
        "CREATE TEMP TABLE delta AS SELECT * FROM carried WHERE id IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY rtype, id ORDER BY pos DESC) = 1"
    )
    empty = _count(con, "SELECT count(*) FROM census.resources") == 0
    if empty:  # nothing to replace: no second pass over the export
        con.execute("CREATE TEMP TABLE touched AS SELECT rtype, id FROM delta")
    else:
        con.execute(
            "CREATE TEMP TABLE touched AS SELECT DISTINCT h[1] AS rtype, h[2] AS id FROM "
            f"(SELECT {extracted(('$.resourceType', '$.id'))} AS h FROM lines) "
            "WHERE h[2] IS NOT NULL"
        )


def _merge(con: Any, deletions: list[tuple[str, str]], result: CensusResult) -> None:
    """Upserts and deletions into census.resources; `changed`: the patients they touch."""
    con.execute("CREATE TEMP TABLE deleted (rtype VARCHAR, id VARCHAR)")
    if deletions:
        con.executemany("INSERT INTO deleted VALUES (?, ?)", deletions)
    con.execute(
        "CREATE TEMP TABLE gone AS SELECT r.* FROM census.resources r SEMI JOIN "
        "(SELECT rtype, id FROM touched UNION SELECT rtype, id FROM deleted) k USING (rtype, id)"
    )
    con.execute(
        "CREATE TEMP TABLE changed AS SELECT patient FROM gone WHERE patient IS NOT NULL "
        "UNION SELECT patient FROM delta WHERE patient IS NOT NULL"
    )
    con.execute(
        "DELETE FROM census.resources r USING gone g WHERE r.rtype = g.rtype AND r.id = g.id"
    )
    top = _count(con, "SELECT coalesce(max(seq), 0) FROM census.resources")
    top = max(int(top), _count(con, "SELECT coalesce(max(seq), 0) FROM gone"))
    con.execute(
        "INSERT INTO census.resources SELECT d.rtype, d.id, d.patient, "
        f"coalesce(g.seq, {top} + row_number() OVER (ORDER BY d.pos)), d.line "
        "FROM delta d LEFT JOIN gone g USING (rtype, id) ORDER BY d.pos"
    )
    upserted = _count(con, "SELECT count(*) FROM delta")
    kept = _count(con, "SELECT count(*) FROM gone SEMI JOIN delta USING (rtype, id)")
    gone = _count(con, "SELECT count(*) FROM gone")
    result.upserted = int(upserted)
    result.removed = int(gone) - int(kept)


def _rescreen(
    con: Any, scratch: Path, options: ScreenOptions, progress: Progress | None, knowledge: Knowledge
) -> Summary:
    """The carried lines of the patients in `redo`, in census order, screened as an export."""
    folder = scratch / "export"
    folder.mkdir()
    reader = con.sql(
        "SELECT line FROM census.resources SEMI JOIN redo USING (patient) ORDER BY seq"
    ).to_arrow_reader(65536)
    with open(folder / "census.ndjson", "wb") as sink:
        for batch in reader:
            for line in batch.column(0).to_pylist():
                sink.write(line.encode("utf-8") + b"\n")
    rows_file = scratch / "rows.parquet"
    summary = screen(folder, rows_file, options, progress or NoProgress(), knowledge)
    con.execute("DELETE FROM census.rows WHERE patient IN (SELECT 'Patient/' || patient FROM redo)")
    con.execute(f"INSERT INTO census.rows SELECT * FROM read_parquet('{_quoted(rows_file)}')")
    return summary


def _write_rows(con: Any, output: Path) -> int:
    reader = con.sql(
        f"SELECT {', '.join(ROW_COLUMNS)} FROM census.rows ORDER BY patient"
    ).to_arrow_reader(65536)
    with RowWriter(output) as writer:
        for batch in reader:
            columns = [batch.column(i).to_pylist() for i in range(len(ROW_COLUMNS))]
            writer.write([Row(*(v or "" for v in values)) for values in zip(*columns, strict=True)])
        writer.commit()
        return writer.rows


__all__ = ["CensusError", "CensusResult", "ExportError", "is_duckdb_file", "screen_census"]
