"""The classified table keeps the export's order: its `rowid` numbers the lines
(duckdb_engine.keep_order). A patient's resources are read in that order, and the census keeps
the last version of a resource by it."""

from __future__ import annotations

from pathlib import Path

import duckdb

from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening import compiled_sql
from hosentinel.screening.duckdb_engine import keep_order, lines_view, macros
from hosentinel.screening.export import discover
from hosentinel.screening.relevance import relevance_pattern
from tests.support.screenkit import ExportRun


def _connection(files: list[str]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    keep_order(con)
    for statement in macros():
        con.execute(statement)
    con.execute(lines_view(files))
    return con


def test_no_join_can_reorder_the_lines(small_export: ExportRun, knowledge: Knowledge) -> None:
    """DuckDB turns `rtype IN (<the eight read types>)` into a hash join, which does not keep
    the order (duckdb/duckdb#24398), unless `keep_order` turns that rewrite off."""
    files = [str(f.path.absolute()) for f in discover(small_export.directory).files]
    con = _connection(files)
    sql = compiled_sql.classify_sql(relevance_pattern(knowledge))
    explained = con.execute(f"EXPLAIN CREATE TABLE t AS {sql}").fetchall()
    plan = "\n".join(str(row[1]) for row in explained)
    assert "Create Table As" in plan or "CREATE_TABLE_AS" in plan
    assert "Join" not in plan and "JOIN" not in plan, plan


def test_rowid_follows_the_files_line_by_line(
    small_export: ExportRun, knowledge: Knowledge
) -> None:
    export = discover(small_export.directory)
    files = [str(f.path.absolute()) for f in export.files]
    # `file` is the file's place in the list given to the view (duckdb_engine.lines_view)
    expected = [
        (index, line)
        for index, file in enumerate(files)
        for line in Path(file).read_text(encoding="utf-8").split("\n")
        if line
    ]
    sql = compiled_sql.classify_sql(relevance_pattern(knowledge))
    for _ in range(5):  # the hash join moved whole files in about one run of three
        con = _connection(files)
        con.execute(f"CREATE TABLE t AS {sql}")
        got = [row[0] for row in con.execute("SELECT file FROM t ORDER BY rowid").fetchall()]
        assert got == [file for file, _ in expected]
        carried = con.execute(
            "SELECT file, line FROM t WHERE line IS NOT NULL ORDER BY rowid"
        ).fetchall()
        wanted = set(carried)
        assert len(carried) > 100
        assert carried == [item for item in expected if item in wanted]
        con.close()
