"""`hosentinel screen` against the decode floor, each a whole process, in interleaved rounds.

    .venv/bin/python bench/screen_rounds.py EXPORT_DIR --rounds 5 \
        [--screen .venv/bin/hosentinel] [--screen /other/checkout/.venv/bin/hosentinel]

Each round runs the floor (bench/decode_floor.py: every line through `orjson.loads`, one
process) and then every `--screen` given (`screen EXPORT_DIR --as-of 2025-12-01 --out` a CSV
file), in turn, so that a change in the machine's load falls on all of them alike. Printed: the
median wall time and CPU time (user + system of the process and its workers) of each, their
ratios to the floor's, and the load average before and after. The issue-18 targets read the
wall-time ratio: <= 1.0 at 10,000 patients (goal 0.5), <= 2.0 at 2,000.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (the child and its own children) of one whole process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--screen", action="append", help="a hosentinel executable (repeatable)")
    parser.add_argument("--as-of", default="2025-12-01")
    args = parser.parse_args()
    screens = args.screen or [str(Path(sys.executable).with_name("hosentinel"))]
    floor = [sys.executable, str(HERE / "decode_floor.py"), str(args.export)]
    names = ["floor", *screens]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "rows.csv"
        for _ in range(args.rounds):
            times["floor"].append(_timed(floor))
            for screen in screens:
                out.unlink(missing_ok=True)
                command = [screen, "screen", str(args.export), "--as-of", args.as_of]
                times[screen].append(_timed([*command, "--out", str(out)]))
    load_after = os.getloadavg()
    wall0 = statistics.median(w for w, _ in times["floor"])
    cpu0 = statistics.median(c for _, c in times["floor"])
    print(f"{args.export}: median of {args.rounds} interleaved rounds")
    print(f"load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    for name in names:
        wall = statistics.median(w for w, _ in times[name])
        cpu = statistics.median(c for _, c in times[name])
        walls = " ".join(f"{w:.2f}" for w, _ in times[name])
        print(
            f"{name}: wall {wall:.2f} s ({wall / wall0:.2f}x floor), "
            f"CPU {cpu:.2f} s ({cpu / cpu0:.2f}x floor); walls {walls}"
        )


if __name__ == "__main__":
    main()
