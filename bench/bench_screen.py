"""How fast population screening is, against the floor and against what a user would write.

Run by `make bench` (or by hand: `.venv/bin/python bench/bench_screen.py --help`); not part of the
test suite. One synthetic export (`hosentinel synth`, plain NDJSON) is written once and every
pipeline reads the same files:

* `screen` on DuckDB: the whole job (read, extract, group, assess every patient, write the
  Parquet rows), in this process after a warm-up run; with one process, then with worker
  processes for `evaluate`;
* `screen` on Spark, `local[2]`: the same job on a session started beforehand (the session's
  start-up is shown on its own row);
* the decode-only floor: every NDJSON line through `orjson.loads` in one process, nothing else;
* what a user would write instead: every resource parsed with the fhir.resources R4B models,
  timed on a sample of the lines of every file (`--r4b-sample`) and extrapolated to all lines;
* peak memory of `screen` (DuckDB, one process) for each size of `--memory-patients`, each in a
  fresh process: peak RSS (getrusage; includes DuckDB's own memory) and the peak of Python's
  allocations (tracemalloc, in a second run: tracing slows Python down).

Targets (issue 5): screen/decode <= 1.0 (goal 0.5); >= 20x faster than the R4B pipeline; peak
memory flat in the export's size. `--strict` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import orjson

from hosentinel.screening.screen import ScreenOptions, screen
from hosentinel.screening.synth import SynthOptions, synthesize

AS_OF = date(2025, 12, 1)
SEED = 20251201


@dataclass(frozen=True)
class Result:
    what: str
    seconds: float
    patients: int
    resources: int
    note: str = ""


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram} RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; load average {load}"
    )


def export(workdir: Path, patients: int) -> tuple[Path, int]:
    """The synthetic export for this size (written once, reused while the files are there)."""
    out = workdir / f"export-{patients}"
    manifest = out / "manifest.json"
    if not manifest.exists():
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        result = synthesize(out, SynthOptions(patients=patients, seed=SEED))
        print(
            f"synth: {patients:,} patients, {result.resources:,} resources, "
            f"{sum(f.path.stat().st_size for f in result.files) / 1e6:,.0f} MB "
            f"in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    resources = sum(item["count"] for item in orjson.loads(manifest.read_bytes())["output"])
    return out, resources


def best_of(runs: int, job: Callable[[], object]) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        job()
        times.append(time.perf_counter() - started)
    return min(times)


def decode_floor(directory: Path) -> int:
    lines = 0
    loads = orjson.loads
    for path in sorted(directory.glob("*.ndjson")):
        with path.open("rb") as handle:
            for line in handle:
                loads(line)
                lines += 1
    return lines


def r4b_pipeline(directory: Path, sample: float) -> tuple[float, int]:
    """Seconds per resource for parse + R4B validation, over a share of every file's lines."""
    from fhir.resources.R4B import get_fhir_model_class

    lines: list[bytes] = []
    for path in sorted(directory.glob("*.ndjson")):
        with path.open("rb") as handle:
            every = handle.readlines()
        step = max(1, round(1 / sample))
        lines.extend(every[::step])
    started = time.perf_counter()
    for line in lines:
        resource = orjson.loads(line)
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return (time.perf_counter() - started) / len(lines), len(lines)


def screen_once(directory: Path, out: Path, **options: object) -> None:
    summary = screen(directory, out, ScreenOptions(as_of=AS_OF, **options))  # type: ignore[arg-type]
    assert summary.tally.failures == 0, summary.tally.messages


MEMORY_PROBE = """
import json, resource, sys, tracemalloc
from datetime import date
from pathlib import Path
from hosentinel.screening.screen import ScreenOptions, screen
trace = sys.argv[3] == "trace"
if trace:
    tracemalloc.start()
screen(Path(sys.argv[1]), Path(sys.argv[2]), ScreenOptions(as_of=date(2025, 12, 1), workers=1))
peak = tracemalloc.get_traced_memory()[1] if trace else 0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"rss": rss, "traced": peak}))
"""


def memory(directory: Path, out: Path) -> tuple[int, int]:
    """(peak RSS, peak traced Python allocations) of a screen in a fresh process."""
    found = []
    for mode in ("rss", "trace"):
        proc = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, str(directory), str(out), mode],
            check=True,
            capture_output=True,
            text=True,
        )
        found.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return found[0]["rss"], found[1]["traced"]


def table(results: list[Result], floor: Result) -> list[str]:
    lines = [
        "| pipeline | seconds | patients/s | resources/s | time / decode floor | note |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        ratio = r.seconds / floor.seconds if floor.seconds else 0.0
        lines.append(
            f"| {r.what} | {r.seconds:,.1f} | {r.patients / r.seconds:,.0f} | "
            f"{r.resources / r.seconds:,.0f} | {ratio:.2f} | {r.note} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--memory-patients", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--r4b-sample", type=float, default=0.02)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--workdir", type=Path, help="keep the exports here (default: a temp dir)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="hosentinel-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        return run(args, workdir)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(f"machine: {machine()}", flush=True)
    directory, resources = export(workdir, args.patients)
    patients = args.patients
    size = sum(p.stat().st_size for p in directory.glob("*.ndjson"))
    out = workdir / "rows.parquet"

    lines = decode_floor(directory)  # warm the page cache
    screen_once(directory, out, workers=1)  # warm-up: imports, knowledge, compiled SQL
    jobs: dict[str, Callable[[], object]] = {
        "floor": lambda: decode_floor(directory),
        "duckdb": lambda: screen_once(directory, out, workers=1),
    }
    if args.workers > 1:
        jobs["workers"] = lambda: screen_once(directory, out, workers=args.workers)
    best: dict[str, float] = {}
    for _ in range(args.repeat):  # interleaved, so that a change in load hits every pipeline
        for name, job in jobs.items():
            seconds = best_of(1, job)
            best[name] = min(best.get(name, seconds), seconds)
            print(f"{name}: {seconds:.1f} s", flush=True)
    floor = Result("decode only: orjson.loads per line, 1 process", best["floor"], patients, lines)
    results: list[Result] = [
        Result("screen, DuckDB, 1 process", best["duckdb"], patients, resources)
    ]
    if "workers" in best:
        note = f"evaluate in {args.workers} worker processes"
        results.append(
            Result("screen, DuckDB + workers", best["workers"], patients, resources, note)
        )
    if not args.skip_spark:
        from hosentinel.screening.spark_engine import SparkOptions, session, stop_session

        started = time.perf_counter()
        session(SparkOptions(master="local[2]"))
        startup = time.perf_counter() - started
        screen_once(directory, out, engine="spark", spark_master="local[2]")  # warm-up
        seconds = best_of(
            min(args.repeat, 2),  # a Spark run takes a while
            lambda: screen_once(directory, out, engine="spark", spark_master="local[2]"),
        )
        note = f"session start-up {startup:.0f} s, not included"
        results.append(Result("screen, Spark local[2]", seconds, patients, resources, note))
        print(f"spark: {seconds:.1f} s", flush=True)
        stop_session()
    per_resource, sampled = r4b_pipeline(directory, args.r4b_sample)
    r4b = Result(
        "fhir.resources R4B: parse + validate every resource",
        per_resource * resources,
        patients,
        resources,
        f"timed on {sampled:,} lines ({args.r4b_sample:.1%} of each file), extrapolated",
    )
    print(f"r4b: {per_resource * 1e6:.0f} µs per resource", flush=True)

    print()
    print(f"## {patients:,} patients, {resources:,} resources, {size / 1e6:,.0f} MB of NDJSON")
    print(f"machine: {machine()}")
    print()
    report = table([*results, floor, r4b], floor)
    print("\n".join(report))

    memory_rows = [
        "| patients | NDJSON | peak RSS | peak Python allocations (tracemalloc) |",
        "|---:|---:|---:|---:|",
    ]
    for n in [int(x) for x in args.memory_patients.split(",") if x.strip()]:
        directory_n, _ = export(workdir, n)
        size_n = sum(p.stat().st_size for p in directory_n.glob("*.ndjson"))
        rss, traced = memory(directory_n, workdir / f"rows-{n}.parquet")
        memory_rows.append(
            f"| {n:,} | {size_n / 1e6:,.0f} MB | {rss / 1e6:,.0f} MB | {traced / 1e6:,.0f} MB |"
        )
        print(f"memory {n:,}: rss {rss / 1e6:,.0f} MB, traced {traced / 1e6:,.0f} MB", flush=True)
    print()
    print("\n".join(memory_rows))

    fastest = min(r.seconds for r in results if r.what.startswith("screen, DuckDB"))
    missed = []
    if fastest / floor.seconds > 1.0:
        missed.append(f"screen/decode {fastest / floor.seconds:.2f} > 1.0")
    if r4b.seconds / fastest < 20:
        missed.append(f"only {r4b.seconds / fastest:.0f}x faster than the R4B pipeline")
    print()
    print("targets: " + ("all met" if not missed else "missed: " + "; ".join(missed)))
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    raise SystemExit(main())
