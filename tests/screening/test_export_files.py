"""Which files `screen` reads, and what it does with files it must not trust (issue 18).

Over the real Synthea sample (../shared/data/synthea-bulk-10): a manifest's files are read
whatever their names, names without a manifest in any letter case, every file left out is named,
a file past the line or size cap is refused while the rest is screened, the output never follows
a planted link, file names cannot restyle the terminal, CRLF lines count as lines.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import zlib
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hosentinel.cli import app
from hosentinel.screening.guard import Caps
from hosentinel.screening.screen import ScreenOptions, Summary, screen
from tests.support.screenkit import SYNTHEA, read_rows

AS_OF_TEXT = "2026-01-01"
PLAIN = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


def run(directory: Path, out: Path, **options: Any) -> tuple[Summary, list[dict[str, str]]]:
    from datetime import date

    summary = screen(directory, out, ScreenOptions(as_of=date(2026, 1, 1), **options))
    return summary, read_rows(out)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, str]]:
    """The sample's rows, screened as it is."""
    summary, rows = run(SYNTHEA, tmp_path_factory.mktemp("ref") / "rows.csv")
    assert summary.rows == 13
    assert summary.export.warnings == (
        "README.md skipped: not .ndjson or .ndjson.gz (and no manifest)",
    )
    # The sample is only of use here if the Condition file changes some patient's row.
    copy = tmp_path_factory.mktemp("no-conditions")
    for path in SYNTHEA.glob("*.ndjson"):
        if not path.name.startswith("Condition"):
            shutil.copy(path, copy / path.name)
    _, without = run(copy, copy.parent / "without.csv")
    assert without != rows
    return rows


def sample_copy(target: Path) -> list[Path]:
    target.mkdir()
    out = []
    for path in sorted(SYNTHEA.glob("*.ndjson")):
        out.append(Path(shutil.copy(path, target / path.name)))
    return out


def write_manifest(directory: Path, urls: list[tuple[str, str]], **extra: Any) -> None:
    manifest = {
        "transactionTime": "2026-01-01T00:00:00Z",
        "request": "https://ehr.example/fhir/$export",
        "requiresAccessToken": True,
        "output": [{"type": t, "url": u} for t, u in urls],
        "error": [],
        **extra,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest))


def test_manifest_files_are_read_whatever_their_names(
    reference: list[dict[str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "hapi"
    urls = []
    for number, path in enumerate(sample_copy(export), start=40):
        rtype = path.name.split(".")[0]
        if rtype == "Condition":  # gzipped, under an upper-case suffix
            renamed = path.with_name("Condition.000.ndjson.GZ")
            renamed.write_bytes(gzip.compress(path.read_bytes()))
            path.unlink()
            urls.append((rtype, f"https://ehr.example/files/{renamed.name}"))
        else:  # HAPI style: Binary/<number>, saved under the number
            path.rename(path.with_name(str(number)))
            urls.append((rtype, f"https://ehr.example/fhir/Binary/{number}"))
    write_manifest(export, urls)
    summary, rows = run(export, tmp_path / "rows.csv")
    assert rows == reference
    assert summary.export.warnings == ()
    assert summary.bad_lines_by_file() == {str(n): 0 for n in range(40, 48) if n != 41} | {
        "Condition.000.ndjson.GZ": 0
    }
    assert not list(export.glob(".hosentinel-stage-*"))  # the links are gone


def test_without_manifest_any_letter_case_and_gzip_by_content(
    reference: list[dict[str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "renamed"
    for path in sample_copy(export):
        if path.name.startswith("Condition"):
            path.with_name("CONDITION.000.NDJSON.GZ").write_bytes(gzip.compress(path.read_bytes()))
            path.unlink()
        elif path.name.startswith("Procedure"):  # gzip content under a plain name
            path.write_bytes(gzip.compress(path.read_bytes()))
    (export / "notes.txt").write_text("not data")
    (export / "Observation.000.ndjson.zip").write_bytes(b"PK")
    summary, rows = run(export, tmp_path / "rows.csv")
    assert rows == reference
    assert summary.export.warnings == (
        "Observation.000.ndjson.zip skipped: not .ndjson or .ndjson.gz (and no manifest)",
        "notes.txt skipped: not .ndjson or .ndjson.gz (and no manifest)",
    )


def test_every_file_left_out_and_every_error_entry_is_named(
    reference: list[dict[str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "partial"
    paths = sample_copy(export)
    listed = [(p.name.split(".")[0], p.name) for p in paths if not p.name.startswith("Device")]
    listed.append(("Observation", "Observation.000.ndjson"))  # not in the folder
    error = {"type": "OperationOutcome", "url": "https://ehr.example/files/err1"}
    write_manifest(export, listed, error=[error])
    summary, rows = run(export, tmp_path / "rows.csv")
    assert rows == reference  # Device is not read by assess
    warnings = "\n".join(summary.export.warnings)
    assert "https://ehr.example/files/err1" in warnings and "incomplete" in warnings
    assert "Observation.000.ndjson, not found" in warnings
    assert "Device.000.ndjson skipped: not listed in manifest.json" in warnings


def line_bomb(path: Path, line_bytes: int) -> None:
    """A gzip file of one Observation line of `line_bytes` bytes (compresses about 1000:1)."""
    deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"a" * (1 << 20)
    with open(path, "wb") as f:
        f.write(deflate.compress(b'{"resourceType":"Observation","id":"x","note":"'))
        for _ in range(line_bytes >> 20):
            f.write(deflate.compress(block))
        f.write(deflate.compress(b'"}\n') + deflate.flush())


def test_a_one_gib_line_in_a_one_mb_gzip_is_refused_and_the_rest_screened(
    reference: list[dict[str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "bomb"
    sample_copy(export)
    bomb = export / "Observation.999.ndjson.gz"
    line_bomb(bomb, 1 << 30)
    assert bomb.stat().st_size < 1.2e6
    out = tmp_path / "rows.csv"
    done = CliRunner(env=PLAIN).invoke(
        app, ["screen", str(export), "--as-of", AS_OF_TEXT, "--out", str(out)]
    )
    assert done.exit_code == 1, done.output
    assert "not screened: Observation.999.ndjson.gz: a line longer than 33,554,432 bytes" in (
        done.stdout
    )
    assert read_rows(out) == reference


def test_a_file_decompressing_past_the_size_cap_is_refused(
    reference: list[dict[str, str]], tmp_path: Path
) -> None:
    export = tmp_path / "big"
    sample_copy(export)
    observation = export / "Observation.000.ndjson.gz"
    lines = b'{"resourceType":"Observation","id":"o","status":"final"}\n' * 50000
    observation.write_bytes(gzip.compress(lines))
    summary, rows = run(export, tmp_path / "rows.csv", caps=Caps(max_file_bytes=len(lines) - 1))
    assert summary.export.refused == (
        ("Observation.000.ndjson.gz", f"decompresses past the {len(lines) - 1:,}-byte file cap"),
    )
    assert rows == reference
    summary, _ = run(export, tmp_path / "rows.csv", caps=Caps(max_file_bytes=len(lines)))
    assert summary.export.refused == ()


def test_a_long_line_in_a_plain_file_past_a_small_cap(tmp_path: Path) -> None:
    export = tmp_path / "long"
    paths = sample_copy(export)
    longest = max(len(line) for p in paths for line in p.read_bytes().split(b"\n"))
    summary, _ = run(export, tmp_path / "a.csv", caps=Caps(max_line_bytes=longest))
    assert summary.export.refused == ()
    summary, _ = run(export, tmp_path / "b.csv", caps=Caps(max_line_bytes=longest - 1))
    assert len(summary.export.refused) == 1


def test_the_output_never_follows_a_planted_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    out = tmp_path / "rows.csv"
    # Links where the partial file used to go, and at the target itself.
    (tmp_path / ".rows.csv.partial").symlink_to(victim)
    out.symlink_to(victim)
    run(SYNTHEA, out)
    assert victim.read_text() == "keep me"
    assert not out.is_symlink() and len(read_rows(out)) == 13
    assert (out.stat().st_mode & 0o077) == 0  # rows name patients: the owner's only
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".rows.csv.partial",
        "rows.csv",
        "victim.txt",
    ]


def test_file_names_cannot_restyle_the_summary(tmp_path: Path) -> None:
    export = tmp_path / "odd"
    sample_copy(export)
    odd = export / "[red]evil \x1b[2J.ndjson"
    odd.write_bytes(b"not json\n")
    done = CliRunner(env=PLAIN).invoke(
        app, ["screen", str(export), "--as-of", AS_OF_TEXT, "--out", str(tmp_path / "r.csv")]
    )
    assert done.exit_code == 0, done.output
    assert "\x1b" not in done.stdout
    assert "[red]evil ?[2J.ndjson" in done.stdout


def test_crlf_lines_count_as_lines(reference: list[dict[str, str]], tmp_path: Path) -> None:
    export = tmp_path / "crlf"
    for path in sample_copy(export):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    summary, rows = run(export, tmp_path / "rows.csv")
    lf, _ = run(SYNTHEA, tmp_path / "lf.csv")
    assert rows == reference
    assert summary.lines_by_status() == lf.lines_by_status()
    assert summary.lines_by_status()["blank"] == 0
    assert os.path.getsize(tmp_path / "rows.csv") == os.path.getsize(tmp_path / "lf.csv")


@pytest.mark.parametrize("gzipped", [False, True])
def test_the_line_cap_agrees_with_a_plain_count(gzipped: bool, tmp_path: Path) -> None:
    """Both scans (the memory map for plain files, the blocks for gzip) against the obvious
    count, on random files and caps, block size shrunk so lines straddle blocks."""
    import random

    from hosentinel.screening import guard
    from hosentinel.screening.export import ExportFile

    rng = random.Random(18)
    path = tmp_path / "f.ndjson"
    for _ in range(300):
        cap = rng.randint(1, 60)
        lines = [b"x" * rng.randint(0, 80) for _ in range(rng.randint(0, 20))]
        data = b"\n".join(lines) + (b"\n" if rng.random() < 0.5 else b"")
        path.write_bytes(gzip.compress(data) if gzipped else data)
        longest = max(len(line) for line in data.split(b"\n"))
        file = ExportFile(path, 0, path.stat().st_size, gzipped)
        old, guard.BLOCK = guard.BLOCK, 7
        try:
            found = guard._over(file, Caps(max_line_bytes=cap))
        finally:
            guard.BLOCK = old
        assert (found is not None) == (longest > cap), (cap, data)
