"""Start-up costs of a screen: what it loads, and only when it needs it."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hosentinel.screening.duckdb_engine import _holds_notes
from hosentinel.screening.export import discover
from hosentinel.screening.job import Job
from hosentinel.screening.rows import _strings
from tests.support.screenkit import AS_OF


@pytest.mark.parametrize(
    "values", [[], [""], ["a", "", "é✓ joint", "x" * 10_000], ["low", "high; moderate"]]
)
def test_string_columns_equal_pyarrows_own(values: list[str]) -> None:
    built = _strings(values)
    built.validate(full=True)
    assert built.equals(pa.array(values, pa.string()))
    assert built.null_count == 0


def test_writing_parquet_rows_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas (over a second) the first time `pa.array` is called."""
    script = f"""
import sys
from pathlib import Path
from hosentinel.screening.patients import ROW_COLUMNS
from hosentinel.screening.rows import RowWriter

class Row:
    def values(self):
        return tuple(f"{{c}}-value" for c in ROW_COLUMNS)

with RowWriter(Path({str(tmp_path / "rows.parquet")!r})) as writer:
    writer.write([Row(), Row()])
    writer.commit()
print("pandas" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=300
    )
    assert done.stdout.strip() == "False"
    table = pq.read_table(tmp_path / "rows.parquet")
    assert table.num_rows == 2
    assert table.column("patient").to_pylist() == ["patient-value", "patient-value"]


def _job(directory: Path) -> Job:
    return Job(discover(directory), AS_OF, "x")


def test_notes_hint_finds_a_note_file_plain_or_gzipped(tmp_path: Path) -> None:
    plain, zipped, none = tmp_path / "plain", tmp_path / "zipped", tmp_path / "none"
    for folder in (plain, zipped, none):
        folder.mkdir()
        (folder / "Patient.ndjson").write_text('{"resourceType":"Patient","id":"p"}\n')
    (plain / "DocumentReference.ndjson").write_text('{"resourceType": "DocumentReference"}\n')
    with gzip.open(zipped / "x.ndjson.gz", "wt") as out:
        out.write('{"resourceType":"DiagnosticReport","id":"r"}\n')
    (none / "Condition.ndjson").write_text('{"resourceType":"Condition","id":"c"}\n')
    assert _holds_notes(_job(plain))
    assert _holds_notes(_job(zipped))
    assert not _holds_notes(_job(none))
