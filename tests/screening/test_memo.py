"""`hs_memo`: the relevance pattern's answers for frequent coded texts, looked up instead of
matched (extraction.py, duckdb_engine.define_memo). Only the speed may depend on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import orjson
import pytest

from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening import compiled_sql
from hosentinel.screening.duckdb_engine import (
    MEMO_TEXT_BYTES,
    define_memo,
    keep_order,
    lines_view,
    macros,
)
from hosentinel.screening.export import discover
from hosentinel.screening.relevance import relevance_pattern
from tests.support.screenkit import ExportRun, corrupted_copy


def _classified(directory: Path, relevance: str, scratch: Path, *, memo: bool) -> tuple[int, Any]:
    """The classify stage's rows in the order of the export, and how many answers the memo had."""
    con = duckdb.connect()
    keep_order(con)
    for statement in macros():
        con.execute(statement)
    export = discover(directory)
    answers = define_memo(con, export.files, relevance, scratch) if memo else 0
    con.execute(lines_view([str(f.path.absolute()) for f in export.files]))
    con.execute(f"CREATE TABLE classified AS {compiled_sql.classify_sql(relevance)}")
    rows = con.execute("SELECT * FROM classified ORDER BY rowid").fetchall()
    con.close()
    return answers, rows


def _escaped_export(directory: Path) -> None:
    """Coded texts that only case folding or a JSON escape reveal, next to plain ones."""
    directory.mkdir()
    spellings = ["Stro\u212ae", "\u017ftroke", "\\u0053troke", "stroke", "Blood pressure"]
    lines = [
        f'{{"resourceType":"Condition","id":"c{n}","code":{{"text":"{text}"}},'
        f'"subject":{{"reference":"Patient/p{n}"}}}}\n'
        for n, text in enumerate(spellings * 3)
    ]
    (directory / "Condition.000.ndjson").write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize("which", ["small", "corrupted", "escaped"])
def test_the_memo_changes_no_line_of_the_classification(
    which: str, small_export: ExportRun, knowledge: Knowledge, tmp_path: Path
) -> None:
    if which == "small":
        directory = small_export.directory
    elif which == "corrupted":
        directory = tmp_path / "corrupted"
        corrupted_copy(small_export.directory, directory)
    else:
        directory = tmp_path / "escaped"
        _escaped_export(directory)
    relevance = relevance_pattern(knowledge)
    answers, looked_up = _classified(directory, relevance, tmp_path, memo=True)
    none, matched = _classified(directory, relevance, tmp_path, memo=False)
    assert answers > 0 and none == 0  # the memo was given answers, and used
    assert looked_up == matched
    assert any(row[2] == "kept" for row in matched) and any(row[2] == "skipped" for row in matched)


def _hash(con: Any, text: str) -> int:
    (hashed,) = con.execute("SELECT hash(?)", [text]).fetchone()
    return int(hashed)


def _bucket_mates(con: Any, size: int) -> tuple[str, str, str]:
    """Two texts whose hashes share a bucket of a `size`-bucket table, and a third elsewhere."""
    seen: dict[int, str] = {}
    for n in range(10_000):
        text = f'{{"text":"t{n}"}}'
        bucket = _hash(con, text) % size
        if bucket in seen:
            candidates = (f'{{"text":"u{m}"}}' for m in range(10_000))
            other = next(t for t in candidates if _hash(con, t) % size != bucket)
            return seen[bucket], text, other
        seen[bucket] = text
    raise AssertionError("no two texts share a bucket")  # pragma: no cover


def test_a_text_that_shares_a_bucket_falls_through_to_the_pattern() -> None:
    con = duckdb.connect()
    first, second, elsewhere = _bucket_mates(con, 16)  # two answers: a table of 16 buckets
    answers = [(first, True, _hash(con, first)), (second, False, _hash(con, second))]
    con.execute(compiled_sql.memo_macro(answers))
    assert con.execute("SELECT hs_memo(?)", [first]).fetchone() == (True,)
    # In the same bucket as `first`: no answer (the pattern decides), never `first`'s answer.
    assert con.execute("SELECT hs_memo(?)", [second]).fetchone() == (None,)
    assert con.execute("SELECT hs_memo(?)", [elsewhere]).fetchone() == (None,)


def test_without_answers_the_memo_answers_nothing() -> None:
    con = duckdb.connect()
    for statement in macros():
        con.execute(statement)
    assert con.execute('SELECT hs_memo(\'{"text":"stroke"}\')').fetchone() == (None,)


def test_a_file_that_cannot_be_read_gives_no_sample(tmp_path: Path, knowledge: Knowledge) -> None:
    directory = tmp_path / "export"
    directory.mkdir()
    (directory / "Condition.000.ndjson.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip after all")
    con = duckdb.connect()
    for statement in macros():
        con.execute(statement)
    assert define_memo(con, discover(directory).files, relevance_pattern(knowledge), tmp_path) == 0


@pytest.mark.parametrize("memo", [True, False])
def test_each_coded_element_alone_makes_a_line_relevant(
    memo: bool, knowledge: Knowledge, tmp_path: Path
) -> None:
    """Whatever element holds the coded text the knowledge base matches (the coded elements of
    extraction.CODED), with or without the others, the line is kept; the text is taken from one
    element alone or from several joined (extraction._typed)."""
    finding = {
        "coding": [{"system": "https://hosentinel.org/fhir/codesystem/finding", "code": "x"}]
    }
    plain = {"text": "a plain observation"}
    elements: dict[str, object] = {
        "code": finding,
        "medicationCodeableConcept": finding,
        "medicationReference": {
            "reference": "#m",
            "display": "hosentinel.org/fhir/codesystem/finding",
        },
        "contained": [{"resourceType": "Medication", "id": "m", "code": finding}],
        "conclusionCode": [finding],
    }
    lines: list[dict[str, object]] = [{"resourceType": "Patient", "id": "p"}]
    for n, (key, value) in enumerate(elements.items()):
        base: dict[str, object] = {
            "resourceType": "Observation",
            "id": f"o{n}",
            "subject": {"reference": "Patient/p"},
        }
        lines.append({**base, "code": plain, key: value})  # `code` replaced when it is the key
        lines.append({**base, "id": f"q{n}", key: value})  # the element alone
    lines.append(
        {
            "resourceType": "Observation",
            "id": "z",
            "subject": {"reference": "Patient/p"},
            "code": plain,
        }
    )
    directory = tmp_path / "export"
    directory.mkdir()
    (directory / "Observation.000.ndjson").write_bytes(
        b"".join(orjson.dumps(line) + b"\n" for line in lines)
    )
    _, rows = _classified(directory, relevance_pattern(knowledge), tmp_path, memo=memo)
    statuses = [row[2] for row in rows]
    assert statuses == ["patient"] + ["kept"] * (2 * len(elements)) + ["skipped"]


def test_long_texts_are_left_to_the_pattern(knowledge: Knowledge, tmp_path: Path) -> None:
    """The memo's texts are written into SQL: a text past MEMO_TEXT_BYTES is not memoised."""
    directory = tmp_path / "export"
    directory.mkdir()
    long_text = {"text": "stroke " + "x" * MEMO_TEXT_BYTES}
    lines = [
        {"resourceType": "Condition", "id": f"c{n}", "code": code}
        for n, code in enumerate([long_text, {"text": "stroke"}] * 3)
    ]
    (directory / "Condition.000.ndjson").write_bytes(
        b"".join(orjson.dumps(line) + b"\n" for line in lines)
    )
    con = duckdb.connect()
    for statement in macros():
        con.execute(statement)
    answers = define_memo(con, discover(directory).files, relevance_pattern(knowledge), tmp_path)
    assert answers == 1
    assert con.execute(
        "SELECT hs_memo(?)", [orjson.dumps({"text": "stroke"}).decode()]
    ).fetchone() == (True,)
    assert con.execute("SELECT hs_memo(?)", [orjson.dumps(long_text).decode()]).fetchone() == (
        None,
    )
