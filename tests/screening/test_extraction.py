"""One extraction definition, compiled for both engines."""

from __future__ import annotations

import re

import pytest

from hosentinel.fhir.builders import BUILDERS
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.screening.extraction import HEAD_PATHS, READ_TYPES, Dialect, to_sql
from hosentinel.screening.relevance import relevance_pattern
from hosentinel.screening.spark_engine import head_schema


@pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])
def test_the_same_expression_compiles_for_each_engine(dialect: Dialect) -> None:
    sql = to_sql(relevance_pattern(default_knowledge()), dialect)
    # Each line is parsed once: one call of the head function, over the table `lines`.
    assert len(re.findall(r"hs_resource_head\(", sql, re.IGNORECASE)) == 1
    assert re.search(r"FROM [`\"]lines[`\"]", sql)
    assert "ORDER BY" in sql


def test_the_engine_reads_the_types_the_builders_read() -> None:
    assert set(READ_TYPES) == set(BUILDERS)


def test_sparks_schema_follows_the_head_paths() -> None:
    schema = head_schema()
    assert schema.startswith("`resourceType` STRING, `id` STRING, `subject` STRUCT<`reference`")
    assert schema.count("`") == 2 * sum(path.count(".") for path in HEAD_PATHS)
