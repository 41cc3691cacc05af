"""The screen's output file: one row per patient, CSV or Parquet by the file's suffix.

Rows are written as they come, in batches (memory stays flat however many patients there are),
to a temporary file beside the target that replaces it only when the screen has finished: a
screen that stops half-way never leaves a file that looks complete. The temporary file is created
exclusively under a random name (`mkstemp`), so a link planted where it would go is never
followed; the final rename replaces a link at the target itself, not what it points to. The
file is readable by its owner only (mkstemp's 0600): it names patients. CSV is written with Python's
`csv` module (RFC 4180, a header row); Parquet with pyarrow, every column a string.
"""

from __future__ import annotations

import csv
import os
import tempfile
from array import array
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TextIO

from hosentinel.screening.patients import ROW_COLUMNS, Row

Format = Literal["csv", "parquet"]


@cache
def schema() -> Any:
    """The Parquet schema: every column a string. (pyarrow is imported for Parquet only: a
    tenth of a second of start-up that a CSV screen does not pay.)"""
    import pyarrow as pa

    return pa.schema([(name, pa.string()) for name in ROW_COLUMNS])


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
        self.partial: Path | None = None
        self._writer: Any = None
        self._file: TextIO | None = None
        self._sink: Any = None
        self.rows = 0

    def __enter__(self) -> RowWriter:
        try:
            fd, name = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
            self.partial = Path(name)
            if self.format == "csv":
                self._file = os.fdopen(fd, "w", newline="", encoding="utf-8")
                self._writer = csv.writer(self._file)
                self._writer.writerow(ROW_COLUMNS)
            else:
                from pyarrow import parquet

                self._sink = os.fdopen(fd, "wb")
                self._writer = parquet.ParquetWriter(self._sink, schema())
        except OSError as exc:
            raise OutputError(f"cannot write {self.path}: {exc}") from None
        return self

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        if self.format == "csv":
            self._writer.writerows(row.values() for row in rows)
        else:
            import pyarrow as pa

            columns = zip(*(row.values() for row in rows), strict=True)
            arrays = [_strings(column) for column in columns]
            self._writer.write_table(pa.Table.from_arrays(arrays, schema=schema()))
        self.rows += len(rows)

    def commit(self) -> None:
        self._close()
        assert self.partial is not None
        os.replace(self.partial, self.path)
        self.partial = None

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        elif self._writer is not None:
            if self.rows == 0:  # the schema, even without patients
                self._writer.write_table(schema().empty_table())
            self._writer.close()
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        self._writer = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._close()
        if self.partial is not None:
            self.partial.unlink(missing_ok=True)


def _strings(values: Sequence[str]) -> Any:
    """A string column built from its buffers. `pa.array` would do the same, but its first call
    imports pandas to check whether `values` is a pandas object: over a second of start-up."""
    import pyarrow as pa

    encoded = [value.encode("utf-8") for value in values]
    offsets = [0]
    for item in encoded:
        offsets.append(offsets[-1] + len(item))
    if offsets[-1] >= 2**31:  # past 32-bit offsets (never for a batch of rows): let pyarrow do it
        return pa.array(values, pa.string())
    buffers = [None, pa.py_buffer(array("i", offsets).tobytes()), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(values), buffers, null_count=0)
