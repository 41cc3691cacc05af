"""One extraction definition, compiled for both engines."""

from __future__ import annotations

import re

import pytest

from hosentinel.fhir.builders import BUILDERS
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.screening.extraction import (
    HEAD_PATHS,
    READ_TYPES,
    REFERENCE_PATHS,
    Dialect,
    to_sql,
)
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
    assert schema.startswith("`resourceType` STRING, `code` STRING, `medicationCodeableConcept`")
    assert schema.count("`") == 2 * sum(path.count(".") for path in HEAD_PATHS)
    references = head_schema(REFERENCE_PATHS)
    assert references == (
        "`id` STRING, `subject` STRUCT<`reference`: STRING>, `patient` STRUCT<`reference`: STRING>"
    )


@pytest.mark.parametrize("dialect", ["duckdb", "pyspark"])
def test_references_are_read_only_for_the_lines_that_need_them(dialect: Dialect) -> None:
    """Every line's head is parsed once; its id and subject only for a Patient or a relevant
    resource (a second parse of one line in sixty or so)."""
    sql = to_sql(relevance_pattern(default_knowledge()), dialect)
    assert len(re.findall(r"hs_resource_references\(", sql, re.IGNORECASE)) == 1
    # CASE WHEN rtype = 'Patient' OR relevant THEN ... (DuckDB); IF(..., ..., NULL) (Spark)
    guarded = re.search(
        r"'Patient'\s*\)?\s*OR\s*[`\"]\w+[`\"]\.[`\"]relevant[`\"]\s*(?:THEN|,)\s*"
        r"HS_RESOURCE_REFERENCES",
        sql,
        re.IGNORECASE,
    )
    assert guarded, sql
