"""Small modules, one concept each: no Python module under src/ is over 500 lines (issue 19).

Data (YAML, JSON, CSV, templates) is not code and is not counted; neither is a `.py` file inside
a `data/` folder. A module that grows past the limit is split along its concepts, not cut in
halves. (`oversized` takes an allowlist for a module being split by a change in flight; none is
allowed now.)
"""

from __future__ import annotations

from pathlib import Path

import hosentinel

SRC = Path(hosentinel.__file__).parent.parent
MAX_LINES = 500


def line_counts(root: Path) -> dict[str, int]:
    """Lines per Python module under `root` (paths relative to it), data folders left out."""
    counts: dict[str, int] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if "data" in relative.parts[:-1]:
            continue
        counts[relative.as_posix()] = len(path.read_text(encoding="utf-8").splitlines())
    return counts


def oversized(counts: dict[str, int], allowed: set[str]) -> list[str]:
    return [
        f"{name}: {lines} lines"
        for name, lines in counts.items()
        if lines > MAX_LINES and name not in allowed
    ]


def test_no_module_is_over_500_lines() -> None:
    counts = line_counts(SRC)
    assert len(counts) > 100, "the source tree was not found"
    too_long = oversized(counts, set())
    assert not too_long, f"split these along their concepts (max {MAX_LINES}): {too_long}"


def test_the_check_counts_lines_and_skips_data(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "data").mkdir(parents=True)
    (package / "big.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (package / "limit.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    (package / "data" / "table.py").write_text("x = 1\n" * 2000, encoding="utf-8")
    counts = line_counts(tmp_path)
    assert counts == {"pkg/big.py": MAX_LINES + 1, "pkg/limit.py": MAX_LINES}
    assert oversized(counts, set()) == [f"pkg/big.py: {MAX_LINES + 1} lines"]
    assert oversized(counts, {"pkg/big.py"}) == []
