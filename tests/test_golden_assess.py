"""`hosentinel assess` on every demo patient, byte for byte against tests/golden/*.json.

A refactoring must not change a single byte of the assessment. A change that means to change the
output (a clinical rule, the knowledge base) regenerates the files and shows the difference in
review:

    HOSENTINEL_REGEN_GOLDEN=1 .venv/bin/pytest -q tests/test_golden_assess.py   # or: make golden

Each file is the exact stdout of `hosentinel assess BUNDLE --as-of AS_OF` for the patient's
catalog date.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hosentinel.cli import app
from hosentinel.demo.catalog import DemoPatient, load_catalog

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("HOSENTINEL_REGEN_GOLDEN") == "1"
CATALOG = load_catalog()


def assess_stdout(entry: DemoPatient) -> bytes:
    result = CliRunner().invoke(
        app, ["assess", str(entry.path), "--as-of", entry.as_of.isoformat()]
    )
    assert result.exit_code == 0, result.output
    return result.stdout_bytes


@pytest.mark.parametrize("entry", CATALOG, ids=[entry.file for entry in CATALOG])
def test_assess_output_is_byte_identical_to_golden(entry: DemoPatient) -> None:
    golden = GOLDEN / entry.file
    produced = assess_stdout(entry)
    if REGENERATE:
        golden.write_bytes(produced)
    assert golden.exists(), f"no golden file {golden}; regenerate with HOSENTINEL_REGEN_GOLDEN=1"
    assert produced == golden.read_bytes(), (
        f"`hosentinel assess` output for {entry.file} differs from {golden}; if the change is "
        "intended, regenerate with HOSENTINEL_REGEN_GOLDEN=1 and review the diff"
    )


def test_every_golden_file_belongs_to_a_demo_patient() -> None:
    # A demo case renamed or removed leaves no stale golden file behind that nothing compares.
    names = {entry.file for entry in CATALOG}
    stale = sorted(path.name for path in GOLDEN.glob("*.json") if path.name not in names)
    if REGENERATE:
        for name in stale:
            (GOLDEN / name).unlink()
        stale = []
    assert not stale, f"golden files without a demo patient: {stale}"
    assert len(names) == len(CATALOG) > 0
