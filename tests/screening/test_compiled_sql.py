"""The DuckDB SQL kept in the package (compiled_sql.py) is what Ibis compiles from extraction.py.

Compared token by token (sqlglot's tokenizer): Ibis lays a long line out on several lines, and
names its unnest columns at random in every process (numbered here in order of appearance).
When this fails after a change to extraction.py: `.venv/bin/python -m
hosentinel.screening.compiled_sql` writes the file again.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlglot

from hosentinel.knowledge.loader import default_knowledge
from hosentinel.screening import compiled_sql, extraction
from hosentinel.screening.relevance import relevance_pattern


def _tokens(sql: str) -> list[tuple[str, str]]:
    return [
        (str(t.token_type), t.text)
        for t in sqlglot.tokenize(compiled_sql.normalised(sql), read="duckdb")
    ]


@pytest.mark.parametrize(
    "relevance",
    [
        relevance_pattern(default_knowledge()),
        "it's",
        r'a\b|"code"\s*:\s*"x',
        "two  spaces|é|''",
        "line\nbreak",
    ],
)
def test_classify_is_what_ibis_compiles(relevance: str) -> None:
    kept = compiled_sql.classify_sql(relevance)
    assert _tokens(kept) == _tokens(extraction.classify_sql(relevance, "duckdb"))


def test_group_and_macros_are_what_ibis_and_the_head_paths_give() -> None:
    assert _tokens(compiled_sql.group_sql()) == _tokens(extraction.group_sql("duckdb"))
    assert compiled_sql.macros() == compiled_sql.generate()["macros"]
    (head,) = [m for m in compiled_sql.macros() if "hs_resource_head" in m]
    assert all(f"'{path}'" in head for path in extraction.HEAD_PATHS)
    (references,) = [m for m in compiled_sql.macros() if "hs_resource_references" in m]
    assert all(f"'{path}'" in references for path in extraction.REFERENCE_PATHS)


def test_the_placeholder_appears_once() -> None:
    stored = compiled_sql._compiled()["classify"]
    assert isinstance(stored, str) and stored.count(compiled_sql.PLACEHOLDER) == 1


def test_a_screen_does_not_import_ibis() -> None:
    script = (
        "import sys\n"
        "from hosentinel.screening import census, duckdb_engine, screen\n"
        "duckdb_engine.compiled_sql.classify_sql('x')\n"
        "print('ibis' in sys.modules, 'sqlglot' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.split() == ["False", "False"]
