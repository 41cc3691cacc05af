"""The extraction on Apache Spark, for exports that outgrow one machine.

Spark reads the files as text (gzip by suffix; a line per row, with its file from `_metadata` and
`monotonically_increasing_id()`, which grows with the position within a file). The functions the
extraction needs are SQL functions of the session (`from_json` parses a line once; a string's
bytes are its `octet_length`; `is_valid_utf8`). The extraction's first stage (`classify`) is
persisted (memory, then disk), the second (`group`) runs over it; its sorted, grouped rows go to
Python workers (`mapInArrow`), where the same screener as DuckDB's runs per patient, and the rows
come back to the driver one partition at a time (`toLocalIterator`), so neither side holds the
whole result.

`master` is `local[*]` by default; a cluster URL (`spark://host:7077`, `yarn`, `k8s://...`) runs the
same job on a cluster, given the export on storage every executor sees at the same path and
HO Sentinel installed in the executors' Python.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hosentinel.screening.export import FileRanks
from hosentinel.screening.extraction import HEAD_PATHS, REFERENCE_PATHS, classify_sql, group_sql
from hosentinel.screening.job import Batch, Job, Progress, screen_batch
from hosentinel.screening.patients import ROW_COLUMNS, Row, Screener, Tally

# Rows come back with the batch's counts on one extra row per batch (`tally` set, the rest null).
_RESULT_COLUMNS = (*ROW_COLUMNS, "source", "tally")
_RESULT_SCHEMA = ", ".join(f"{name} string" for name in _RESULT_COLUMNS)
_PANDAS_WARNING = "PySpark does not yet fully support pandas"


@dataclass(frozen=True, slots=True)
class SparkOptions:
    master: str = "local[*]"
    app_name: str = "hosentinel-screen"
    shuffle_partitions: int | None = None  # default: 4 per core in local mode, Spark's otherwise
    config: dict[str, str] = field(default_factory=dict)


def head_schema(paths: tuple[str, ...] = HEAD_PATHS) -> str:
    """`from_json`'s schema for `paths`: "$.a" -> a STRING, "$.a.b" -> a STRUCT<b: STRING>."""
    fields: dict[str, list[str]] = {}
    for path in paths:
        first, _, rest = path.removeprefix("$.").partition(".")
        fields.setdefault(first, [])
        if rest:
            fields[first].append(rest)
    parts = [
        f"`{name}` STRUCT<" + ", ".join(f"`{c}`: STRING" for c in children) + ">"
        if children
        else f"`{name}` STRING"
        for name, children in fields.items()
    ]
    return ", ".join(parts)


def _extracting(name: str, paths: tuple[str, ...]) -> str:
    """A function `name(line)`: the line parsed once into the strings at `paths`."""
    picks = []
    for path in paths:
        field = ".".join(f"`{part}`" for part in path.removeprefix("$.").split("."))
        picks.append(f"h.{field}")
    schema = head_schema(paths).replace("'", "\\'")
    return (
        f"CREATE OR REPLACE TEMPORARY FUNCTION {name}(line STRING) RETURNS ARRAY<STRING> "
        f"RETURN transform(array(from_json(line, '{schema}')), h -> array({', '.join(picks)}))[0]"
    )


def functions() -> list[str]:
    return [
        _extracting("hs_resource_head", HEAD_PATHS),
        _extracting("hs_resource_references", REFERENCE_PATHS),
        "CREATE OR REPLACE TEMPORARY FUNCTION hs_valid_text(line STRING) RETURNS BOOLEAN "
        "RETURN is_valid_utf8(line)",
        # No memo (extraction.py): every coded text goes through the pattern.
        "CREATE OR REPLACE TEMPORARY FUNCTION hs_memo(coded STRING) RETURNS BOOLEAN "
        "RETURN CAST(NULL AS BOOLEAN)",
    ]


def session(options: SparkOptions) -> Any:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = (
        SparkSession.builder.master(options.master)
        .appName(options.app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    partitions = options.shuffle_partitions
    if partitions is None and options.master.startswith("local"):
        partitions = 4 * (os.cpu_count() or 1)
    if partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(partitions))
    for key, value in options.config.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def run(job: Job, options: SparkOptions, progress: Progress) -> Iterator[Batch]:
    spark = session(options)
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    for statement in functions():
        spark.sql(statement)
    paths = [f.read_path.absolute().as_uri() for f in job.export.files]
    lines = spark.read.text(paths).select(
        F.col("_metadata.file_path").alias("file"),
        F.monotonically_increasing_id().alias("ordinal"),
        F.col("value").alias("line"),
    )
    suffix = f"{os.getpid()}_{threading.get_ident()}"
    lines.createOrReplaceTempView(f"lines_{suffix}")
    classify = classify_sql(job.relevance, "pyspark", numbered=True)
    classified = spark.sql(classify.replace("`lines`", f"`lines_{suffix}`"))
    classified = classified.persist(StorageLevel.MEMORY_AND_DISK)
    classified.createOrReplaceTempView(f"classified_{suffix}")
    sql = group_sql("pyspark").replace("`classified`", f"`classified_{suffix}`")
    screen = _screen_partitions(job.as_of, job.validate, job.keep_sources, job.export.rank_table())
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_PANDAS_WARNING, category=FutureWarning)
        results = spark.sql(sql).mapInArrow(screen, _RESULT_SCHEMA)
        watcher = _Watcher(spark, progress)
        watcher.start()
        try:
            rows: list[Row] = []
            for item in results.toLocalIterator(prefetchPartitions=True):
                watcher.first_row()
                if item["tally"] is not None:
                    yield rows, Tally.from_json(item["tally"])
                    rows = []
                    continue
                values = {name: item[name] for name in ROW_COLUMNS}
                rows.append(Row(**values, source=item["source"]))
            if rows:
                yield rows, Tally()
        finally:
            watcher.stop()
            classified.unpersist()
            spark.catalog.dropTempView(f"classified_{suffix}")
            spark.catalog.dropTempView(f"lines_{suffix}")


def _screen_partitions(
    as_of: date, validate: bool, keep_sources: bool, ranks: dict[str, int]
) -> Any:
    """The function each Python worker runs over its Arrow batches of patient groups."""

    def screen(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from hosentinel.knowledge.loader import default_knowledge

        screener = Screener(
            default_knowledge(),
            as_of,
            FileRanks(ranks),
            validate=validate,
            keep_sources=keep_sources,
        )
        for batch in batches:
            rows, tally = screen_batch(screener, batch.to_pylist())
            columns: dict[str, list[str | None]] = {name: [] for name in _RESULT_COLUMNS}
            for row in rows:
                for name, value in zip(ROW_COLUMNS, row.values(), strict=True):
                    columns[name].append(value)
                columns["source"].append(row.source)
                columns["tally"].append(None)
            for name in _RESULT_COLUMNS[:-1]:
                columns[name].append(None)
            columns["tally"].append(tally.to_json().decode())
            yield pa.RecordBatch.from_pydict(columns)

    return screen


class _Watcher(threading.Thread):
    """Reports Spark's task progress until the first row reaches the driver."""

    def __init__(self, spark: Any, progress: Progress) -> None:
        super().__init__(daemon=True)
        self.tracker = spark.sparkContext.statusTracker()
        self.progress = progress
        self.done = threading.Event()

    def first_row(self) -> None:
        if not self.done.is_set():
            self.done.set()
            self.progress.scanning(1.0)

    def run(self) -> None:
        while not self.done.wait(0.5):
            total = finished = 0
            for stage in self.tracker.getActiveStageIds():
                info = self.tracker.getStageInfo(stage)
                if info is not None:
                    total += info.numTasks
                    finished += info.numCompletedTasks
            self.progress.scanning(finished / total if total else None)

    def stop(self) -> None:
        self.done.set()


def stop_session() -> None:
    """Stop this process's Spark session, if any (tests, the CLI at exit)."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        active.stop()
