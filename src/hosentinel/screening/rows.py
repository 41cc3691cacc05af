"""The screen's output file: one row per patient, CSV or Parquet by the file's suffix.

Rows are written as they come, in batches (memory stays flat however many patients there are),
to a temporary file beside the target that replaces it only when the screen has finished: a
screen that stops half-way never leaves a file that looks complete.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import pyarrow as pa  # type: ignore[import-untyped]

from hosentinel.screening.patients import ROW_COLUMNS, Row

Format = Literal["csv", "parquet"]
SCHEMA: Any = pa.schema([(name, pa.string()) for name in ROW_COLUMNS])


class OutputError(ValueError):
    """The output file cannot be written. str() is one line."""


def format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise OutputError(f"{path}: the output must end in .csv or .parquet")


class RowWriter:
    """Streams rows into `path` (CSV or Parquet); `commit()` moves the finished file in place."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.format = format_of(path)
        if not path.parent.is_dir():
            raise OutputError(f"{path.parent} is not a directory")
        self.partial = path.with_name(f".{path.name}.partial")
        self._writer: Any = None
        self.rows = 0

    def __enter__(self) -> RowWriter:
        try:
            if self.format == "csv":
                from pyarrow import csv

                self._writer = csv.CSVWriter(str(self.partial), SCHEMA)
            else:
                from pyarrow import parquet

                self._writer = parquet.ParquetWriter(str(self.partial), SCHEMA)
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        return self

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        columns = list(zip(*(row.values() for row in rows), strict=True))
        self._writer.write_table(pa.table(columns, schema=SCHEMA))
        self.rows += len(rows)

    def commit(self) -> None:
        if self.rows == 0:  # the header (CSV) or schema (Parquet) even without patients
            self._writer.write_table(SCHEMA.empty_table())
        self._writer.close()
        self._writer = None
        os.replace(self.partial, self.path)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self.partial.unlink(missing_ok=True)
