"""`screen --engine spark` (local[2]): the same extraction, the same rows as DuckDB and assess.

Spark takes a while to start, so this module starts it once and keeps to a few checks.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hosentinel.knowledge.loader import Knowledge
from hosentinel.screening.patients import Row
from hosentinel.screening.screen import ScreenOptions, screen
from hosentinel.screening.spark_engine import stop_session
from tests.support.screenkit import (
    AS_OF,
    SMALL,
    SYNTHEA,
    ExportRun,
    assess,
    bundles,
    corrupted_copy,
    expected_row,
    read_rows,
)

MASTER = "local[2]"


@pytest.fixture(scope="module", autouse=True)
def one_session() -> Iterator[None]:
    yield
    stop_session()


def test_spark_and_duckdb_agree_on_a_messy_export(
    small_export: ExportRun, knowledge: Knowledge, tmp_path: Path
) -> None:
    """Gzipped files, several per type, bad and blank lines: the same rows on both engines,
    the same counts, and every row equal to what assess says."""
    expected_bad = corrupted_copy(small_export.directory, tmp_path / "export")
    spark = screen(
        tmp_path / "export",
        tmp_path / "spark.csv",
        ScreenOptions(as_of=AS_OF, engine="spark", spark_master=MASTER),
    )
    duck = screen(tmp_path / "export", tmp_path / "duck.csv", ScreenOptions(as_of=AS_OF))
    assert (tmp_path / "spark.csv").read_bytes() == (tmp_path / "duck.csv").read_bytes()
    assert spark.rows == duck.rows == SMALL
    assert spark.bad_lines_by_file() == duck.bad_lines_by_file() == expected_bad
    assert spark.lines_by_status() == duck.lines_by_status()
    assert spark.tally.orphan_patients == duck.tally.orphan_patients
    assert spark.tally.unknown_codes == duck.tally.unknown_codes
    patients = bundles(small_export.directory)
    for row in read_rows(tmp_path / "spark.csv"):
        pid = row["patient"].removeprefix("Patient/")
        assert row == expected_row(assess(patients[pid], AS_OF, knowledge)), pid


@pytest.mark.skipif(not SYNTHEA.is_dir(), reason="the Synthea sample is in ../shared")
def test_spark_screens_the_real_synthea_sample(tmp_path: Path, knowledge: Knowledge) -> None:
    day = date(2018, 12, 1)
    summary = screen(
        SYNTHEA,
        tmp_path / "rows.parquet",
        ScreenOptions(as_of=day, engine="spark", spark_master=MASTER),
    )
    rows = read_rows(tmp_path / "rows.parquet")
    patients = bundles(SYNTHEA)
    assert summary.rows == len(rows) == 13
    for row in rows:
        pid = row["patient"].removeprefix("Patient/")
        assert row == expected_row(assess(patients[pid], day, knowledge)), pid
    forearm = next(r for r in rows if r["patient"].endswith("cbaf753578a4"))
    assert forearm["phase"] == "in-window"


def test_spark_rows_carry_the_same_resources_for_the_worklist(
    small_export: ExportRun, tmp_path: Path
) -> None:
    """`--into-app` on Spark: the rows that need the team come back with the same Bundles."""
    spark: list[Row] = []
    duck: list[Row] = []
    options = ScreenOptions(as_of=AS_OF, engine="spark", spark_master=MASTER)
    screen(small_export.directory, tmp_path / "s.csv", options, into=spark.extend)
    screen(small_export.directory, tmp_path / "d.csv", ScreenOptions(as_of=AS_OF), into=duck.extend)
    assert any(row.source for row in duck)
    assert spark == duck
