"""The decode floor of a screen: every NDJSON line of an export through `orjson.loads`, in one
process, nothing else (plain or gzipped files). Timed from outside, beside `hosentinel screen`
on the same export: `/usr/bin/time -v .venv/bin/python bench/decode_floor.py EXPORT_DIR`.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import orjson


def _lines(path: Path) -> int:
    opener = gzip.open if path.name.endswith(".gz") else open
    count = 0
    with opener(path, "rb") as stream:
        for line in stream:
            if line.strip():
                orjson.loads(line)
                count += 1
    return count


def main() -> None:
    files = sorted(Path(sys.argv[1]).iterdir())
    lines = sum(_lines(p) for p in files if p.name.endswith((".ndjson", ".ndjson.gz")))
    sys.stdout.write(f"{lines} lines decoded\n")


if __name__ == "__main__":
    main()
