"""How fast HO Sentinel assesses a patient. Run by `make bench`; not part of the test suite.

Figures, each over the synthetic demo patients (src/hosentinel/demo), each on its own as_of date:

* `evaluate(record, knowledge, as_of)` per patient: median, and the overall median and p95 over
  every timed call, against the target of < 1 ms per patient (the record imported once, a
  warm-up first, then every call timed with `time.perf_counter_ns`);
* the peak memory of one evaluate loop (`tracemalloc`, timed separately: tracing slows it);
* loading the knowledge base (`load_knowledge()`): the first load in this process, then warm;
* importing a FHIR Bundle (`read_bundle`, JSON bytes to record): median per bundle;
* the command line's cold start: median wall time of the real `hosentinel assess BUNDLE --as-of
  DATE` and `hosentinel --help` subprocesses (a fresh interpreter each run).

Options: --iterations N (timed evaluate calls per patient), --cli-runs N, --profile (cProfile the
evaluate loop and print the top functions), --strict (exit 1 when the evaluate target is missed).
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import pstats
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hosentinel.core.engine import evaluate
from hosentinel.core.record import PatientRecord
from hosentinel.demo.catalog import DemoPatient, load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import Knowledge, load_knowledge

TARGET_US = 1000.0  # evaluate: < 1 ms per patient
NS_PER_US = 1000.0


@dataclass(frozen=True)
class Case:
    entry: DemoPatient
    raw: bytes
    record: PatientRecord


@dataclass(frozen=True)
class Row:
    what: str
    median: str
    p95: str = ""
    note: str = ""


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction in 0..1) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def timed_ns(call: Callable[[], object], runs: int, warmup: int = 0) -> list[int]:
    """Wall time of each of `runs` calls, in nanoseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        call()
    samples: list[int] = []
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a collection in the middle of one call is noise, not the engine's cost
    try:
        for _ in range(runs):
            start = time.perf_counter_ns()
            call()
            samples.append(time.perf_counter_ns() - start)
    finally:
        if gc_was_enabled:
            gc.enable()
    return samples


def us(ns: float) -> str:
    return f"{ns / NS_PER_US:,.1f} µs"


def ms(ns: float) -> str:
    return f"{ns / 1e6:,.1f} ms"


def print_table(title: str, rows: Sequence[Row]) -> None:
    header = Row("", "median", "p95" if any(r.p95 for r in rows) else "", "")
    widths = [
        max(len(getattr(r, name)) for r in (header, *rows))
        for name in ("what", "median", "p95", "note")
    ]
    print(f"\n{title}")
    print("-" * min(100, sum(widths) + 6))
    for r in (header, *rows):
        line = (
            f"{r.what:<{widths[0]}}  {r.median:>{widths[1]}}  {r.p95:>{widths[2]}}  "
            f"{r.note:<{widths[3]}}"
        )
        print(line.rstrip())


def bench_knowledge() -> tuple[Knowledge, list[Row]]:
    start = time.perf_counter_ns()
    knowledge = load_knowledge()
    cold = time.perf_counter_ns() - start
    warm = timed_ns(load_knowledge, runs=5)
    rows = [
        Row("load_knowledge(), first in process", ms(cold), "", "reads + validates data files"),
        Row("load_knowledge(), warm (5 runs)", ms(statistics.median(warm)), ms(max(warm)), "max"),
    ]
    return knowledge, rows


def load_cases(knowledge: Knowledge) -> list[Case]:
    cases = []
    for entry in load_catalog():
        raw = entry.path.read_bytes()
        cases.append(Case(entry, raw, read_bundle(raw, knowledge)))
    return cases


def bench_import(cases: Sequence[Case], knowledge: Knowledge, runs: int) -> list[Row]:
    medians: list[float] = []
    for case in cases:
        samples = timed_ns(functools.partial(read_bundle, case.raw, knowledge), runs=runs, warmup=3)
        medians.append(statistics.median(samples))
    sizes = [len(c.raw) for c in cases]
    slowest = max(range(len(cases)), key=lambda i: medians[i])
    return [
        Row(
            f"read_bundle, median over {len(cases)} bundles",
            us(statistics.median(medians)),
            us(percentile(medians, 0.95)),
            f"bundles {min(sizes) // 1024}-{max(sizes) // 1024} KiB; slowest "
            f"{cases[slowest].entry.file} {us(medians[slowest])}",
        )
    ]


def bench_evaluate(
    cases: Sequence[Case], knowledge: Knowledge, iterations: int
) -> tuple[list[Row], list[Row], float]:
    per_patient: list[Row] = []
    everything: list[int] = []
    medians: list[float] = []
    for case in cases:
        record, as_of = case.record, case.entry.as_of
        samples = timed_ns(
            functools.partial(evaluate, record, knowledge, as_of),
            runs=iterations,
            warmup=max(10, iterations // 10),
        )
        everything.extend(samples)
        median = statistics.median(samples)
        medians.append(median)
        per_patient.append(
            Row(
                case.entry.file.removesuffix(".json"),
                us(median),
                us(percentile(samples, 0.95)),
                "ok" if median / NS_PER_US < TARGET_US else "over 1 ms",
            )
        )
    overall_median = statistics.median(everything)
    meets = overall_median / NS_PER_US < TARGET_US
    met = sum(1 for m in medians if m / NS_PER_US < TARGET_US)
    summary = [
        Row(
            f"evaluate, all {len(cases)} patients x {iterations}",
            us(overall_median),
            us(percentile(everything, 0.95)),
            f"target < 1 ms: {'MET' if meets else 'NOT MET'} ({met}/{len(cases)} patients)",
        ),
        Row(
            "evaluate, slowest patient median",
            us(max(medians)),
            "",
            cases[medians.index(max(medians))].entry.file,
        ),
    ]
    return per_patient, summary, overall_median


def bench_memory(cases: Sequence[Case], knowledge: Knowledge, loops: int) -> list[Row]:
    """Peak memory traced while evaluating every demo patient `loops` times."""
    gc.collect()
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for _ in range(loops):
            for case in cases:
                evaluate(case.record, knowledge, case.entry.as_of)
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return [
        Row(
            f"evaluate loop ({loops} x {len(cases)} patients), peak",
            f"{(peak - base) / 1024:,.0f} KiB",
            "",
            f"retained after the loop {(current - base) / 1024:,.0f} KiB",
        )
    ]


def cli_path() -> Path:
    script = Path(sys.executable).parent / "hosentinel"
    if not script.exists():
        raise SystemExit(f"bench: the hosentinel entry point is not installed at {script}")
    return script


def bench_cli(cases: Sequence[Case], runs: int) -> list[Row]:
    script = str(cli_path())
    case = cases[len(cases) // 2]
    commands = {
        "hosentinel --help": [script, "--help"],
        f"hosentinel assess {case.entry.file[:2]}-… --as-of {case.entry.as_of}": [
            script,
            "assess",
            str(case.entry.path),
            "--as-of",
            case.entry.as_of.isoformat(),
        ],
    }
    rows = []
    for label, command in commands.items():

        def run(command: list[str] = command) -> None:
            subprocess.run(command, capture_output=True, check=True)

        samples = timed_ns(run, runs=runs, warmup=1)
        rows.append(
            Row(label, ms(statistics.median(samples)), ms(max(samples)), f"max of {runs} runs")
        )
    return rows


def profile(cases: Sequence[Case], knowledge: Knowledge, loops: int, top: int = 25) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(loops):
        for case in cases:
            evaluate(case.record, knowledge, case.entry.as_of)
    profiler.disable()
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(top)
        print(f"\ncProfile of {loops} x {len(cases)} evaluate calls, by {order}")
        print(out.getvalue().split("\n", 4)[-1].rstrip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--iterations", type=int, default=300, help="timed calls per patient")
    parser.add_argument("--import-runs", type=int, default=30, help="timed imports per bundle")
    parser.add_argument("--cli-runs", type=int, default=7, help="CLI subprocess runs")
    parser.add_argument("--profile", action="store_true", help="cProfile the evaluate loop")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the target is missed")
    args = parser.parse_args(argv)

    print(
        f"HO Sentinel benchmark — Python {sys.version.split()[0]} on {sys.platform}, "
        f"{date.today().isoformat()}"
    )
    knowledge, knowledge_rows = bench_knowledge()
    cases = load_cases(knowledge)
    print(f"knowledge {knowledge.release}; {len(cases)} demo patients")

    per_patient, summary, overall_median = bench_evaluate(cases, knowledge, args.iterations)
    print_table("evaluate(record, knowledge, as_of), per demo patient", per_patient)
    print_table(
        "Summary",
        [
            *summary,
            *bench_memory(cases, knowledge, loops=3),
            *knowledge_rows,
            *bench_import(cases, knowledge, args.import_runs),
            *bench_cli(cases, args.cli_runs),
        ],
    )
    if args.profile or overall_median / NS_PER_US >= TARGET_US:
        profile(cases, knowledge, loops=20)
    if args.strict and overall_median / NS_PER_US >= TARGET_US:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
