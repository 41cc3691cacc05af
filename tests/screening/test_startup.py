"""Start-up costs of a screen: what it loads, and only when it needs it."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hosentinel.screening.rows import _strings
from tests.support.screenkit import ExportRun


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


_REPORT = (
    '{"resourceType":"DiagnosticReport","id":"r","subject":{"reference":"Patient/p"},'
    '"code":{"text":"Three-phase bone scan"},"conclusion":"%s"}\n'
)
_SAMPLE = """
import sys
from pathlib import Path
from hosentinel.screening.duckdb_engine import _read_sample_notes
from hosentinel.screening.export import discover
from hosentinel.screening.job import Job
from datetime import date

_read_sample_notes(Job(discover(Path(sys.argv[1])), date(2025, 12, 1), "x"))
print("spacy" in sys.modules)
"""


def _sampled_loads_spacy(directory: Path) -> bool:
    done = subprocess.run(
        [sys.executable, "-c", _SAMPLE, str(directory)],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return done.stdout.strip() == "True"


def test_notes_sample_loads_spacy_before_the_fork_only_when_a_note_needs_it(
    tmp_path: Path,
) -> None:
    """A report that ConText must read (plain or gzipped) loads spaCy before the workers are
    forked; an export whose sampled reports need no ConText, or with no notes, does not."""
    negated, zipped, plain, none = (tmp_path / n for n in ("negated", "zipped", "plain", "none"))
    for folder in (negated, zipped, plain, none):
        folder.mkdir()
        (folder / "Patient.ndjson").write_text('{"resourceType":"Patient","id":"p"}\n')
    (negated / "DiagnosticReport.ndjson").write_text(_REPORT % "No heterotopic ossification.")
    with gzip.open(zipped / "x.ndjson.gz", "wt") as out:
        out.write(_REPORT % "Heterotopic ossification of the right hip is not seen.")
    (plain / "DiagnosticReport.ndjson").write_text(
        _REPORT % "Early heterotopic ossification of the right hip."
    )
    (none / "Condition.ndjson").write_text('{"resourceType":"Condition","id":"c"}\n')
    assert _sampled_loads_spacy(negated)
    assert _sampled_loads_spacy(zipped)
    assert not _sampled_loads_spacy(plain)
    assert not _sampled_loads_spacy(none)


_SCREEN = """
import sys
from hosentinel.cli import main

sys.argv = ["hosentinel", "screen", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = ("spacy", "medspacy", "pyarrow", "fhir.resources", "pandas", "ibis", "pydantic_settings")
print(" ".join(name for name in heavy if name in sys.modules) or "none")
"""


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_csv_screen_of_reports_no_modifier_reaches_imports_nothing_heavy(
    small_export: ExportRun, tmp_path: Path, workers: str
) -> None:
    """The synthetic exports' bone-scan reports state their findings where no ConText modifier
    reaches them (notes/reach.py): a CSV screen then needs neither spaCy, nor pyarrow (Parquet
    only), nor the FHIR models (--validate only), nor pandas or Ibis, nor pydantic-settings
    (Spark's master only)."""
    assert any(p.name.startswith("DiagnosticReport") for p in small_export.directory.iterdir())
    out = tmp_path / "rows.csv"
    args = [str(small_export.directory), "--as-of", "2025-12-01", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-c", _SCREEN, *args, "--workers", workers],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    assert done.stdout.strip().splitlines()[-1] == "none"
    assert len(out.read_text().splitlines()) == small_export.patients + 1
