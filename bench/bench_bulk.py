"""Bulk fetch and incremental census against their targets (issue 18). Not part of the tests.

    .venv/bin/python bench/bench_bulk.py --patients 10000 --runs 5 --workdir /tmp/bench-bulk

* fetch: `hosentinel bulk fetch` (the library call, 4 parallel downloads) of a synthetic export
  from a stand-in Bulk Data server on loopback (no auth: the cost measured is the client's), against
  one plain httpx client copying the same files from the same server one after another.
  Target: fetch <= 1.5x the plain copy.
* census: a full `screen` of the export against `screen DELTA --census` where DELTA holds every
  resource of 1% of the patients (as a `_since` export would after a change to each), the census
  restored before each run. Target: census <= 10% of the full screen.
* screen: `screen` (DuckDB, 1 process) against the decode-only floor (every line through
  orjson.loads in one process), as bench_screen.py measures it. Targets: <= 1.0x at 10k
  patients, <= 2x at 2k.

Every pair is run interleaved `--runs` times; the medians are printed with the machine and its
load average (the machine is shared: figures are noisy).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import threading
import time
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import httpx
import orjson

from bench_screen import decode_floor, export, machine
from hosentinel.bulk.fetch import FetchRequest, fetch
from hosentinel.screening.census import screen_census
from hosentinel.screening.screen import ScreenOptions, screen

AS_OF = date(2025, 12, 1)


class Quiet:
    def waiting(self, message: str | None) -> None: ...
    def downloading(self, files: int) -> None: ...
    def received(self, size: int) -> None: ...
    def file_done(self) -> None: ...
    def notice(self, message: str) -> None: ...


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    """A Bulk Data server for the files of `directory`: kick-off -> 202, status -> manifest."""
    names = sorted(p.name for p in directory.glob("*.ndjson"))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            address = cast(tuple[str, int], self.server.server_address)
            root = f"http://127.0.0.1:{address[1]}"
            path = self.path.split("?", 1)[0]
            headers: dict[str, str] = {}
            body = b""
            if path.endswith("/$export"):
                status, headers = 202, {"Content-Location": f"{root}/status/1"}
            elif path.startswith("/status/"):
                output = [{"type": n.split(".")[0], "url": f"{root}/files/{n}"} for n in names]
                manifest = {"transactionTime": "2025-12-01T00:00:00Z", "request": root,
                            "requiresAccessToken": False, "output": output}  # fmt: skip
                status, body = 200, json.dumps(manifest).encode()
            elif path.startswith("/files/") and path[7:] in names:
                status, body = 200, (directory / path[7:]).read_bytes()
            else:
                status = 404
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def plain_copy(root: str, names: list[str], out: Path) -> None:
    out.mkdir()
    with httpx.Client(timeout=60) as client:
        for name in names:
            with client.stream("GET", f"{root}/files/{name}") as r, open(out / name, "wb") as f:
                for chunk in r.iter_bytes():
                    f.write(chunk)


def interleaved(runs: int, jobs: dict[str, Callable[[int], object]]) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for i in range(runs):
        for name, job in jobs.items():
            started = time.perf_counter()
            job(i)
            times[name].append(time.perf_counter() - started)
            print(f"  {name} run {i + 1}: {times[name][-1]:.2f} s", flush=True)
    return times


def report(what: str, times: dict[str, list[float]], a: str, b: str, target: float) -> str:
    ma, mb = statistics.median(times[a]), statistics.median(times[b])
    ok = "met" if ma / mb <= target else "NOT met"
    return (
        f"{what}: {a} median {ma:.2f} s, {b} median {mb:.2f} s, ratio {ma / mb:.2f} "
        f"(target <= {target}: {ok}); runs {a} {[round(t, 2) for t in times[a]]}, "
        f"{b} {[round(t, 2) for t in times[b]]}"
    )


def bench_fetch(directory: Path, work: Path, runs: int) -> str:
    server, root = serve(directory)
    names = sorted(p.name for p in directory.glob("*.ndjson"))

    def client(i: int) -> None:
        out = work / f"fetch-{i}"
        shutil.rmtree(out, ignore_errors=True)
        fetch(FetchRequest(base=f"{root}/fhir", out=out, types=("Patient",)), Quiet())

    def copy(i: int) -> None:
        out = work / f"copy-{i}"
        shutil.rmtree(out, ignore_errors=True)
        plain_copy(root, names, out)

    try:
        times = interleaved(runs, {"bulk fetch": client, "plain copy": copy})
    finally:
        server.shutdown()
    return report("fetch", times, "bulk fetch", "plain copy", 1.5)


PATIENT_REF = re.compile(rb'"reference":\s*"Patient/([^"]+)"')


def delta_of(directory: Path, out: Path, share: float) -> int:
    """Every resource of `share` of the patients, as a night's export; the patients' count."""
    patients = sorted(
        orjson.loads(line)["id"]
        for path in directory.glob("Patient.*ndjson")  # a large export splits them over files
        for line in path.read_bytes().splitlines()
        if line.strip()
    )
    chosen = {f"Patient/{p}" for p in patients[:: max(1, round(1 / share))]}
    ids = {p.removeprefix("Patient/") for p in chosen}
    # A set lookup per reference in the line: testing each chosen patient against each line
    # took hours at 100k patients (1,000 patients x 16.6 M lines).
    wanted = {p.encode() for p in ids}
    out.mkdir(exist_ok=True)
    for path in sorted(directory.glob("*.ndjson")):
        kept = []
        for line in path.read_bytes().splitlines():
            if not line.strip():
                continue
            if b'"Patient"' in line[:40]:
                if orjson.loads(line).get("id") in ids:
                    kept.append(line)
                continue
            if any(ref in wanted for ref in PATIENT_REF.findall(line)):
                kept.append(line)
        if kept:
            (out / path.name).write_bytes(b"\n".join(kept) + b"\n")
    return len(ids)


def bench_census(directory: Path, work: Path, runs: int) -> str:
    delta = work / "delta"
    shutil.rmtree(delta, ignore_errors=True)
    changed = delta_of(directory, delta, 0.01)
    census = work / "census.duckdb"
    base = work / "census-base.duckdb"
    options = ScreenOptions(as_of=AS_OF, workers=1)
    screen_census(directory, work / "first.parquet", base, options)

    def nightly(_i: int) -> None:
        shutil.copy(base, census)  # the census as it was before the night (copy not timed)
        started = time.perf_counter()
        screen_census(delta, work / "night.parquet", census, options)
        nightly.seconds = time.perf_counter() - started  # type: ignore[attr-defined]

    def full(_i: int) -> None:
        screen(directory, work / "full.parquet", options)

    times: dict[str, list[float]] = {"census": [], "full screen": []}
    for i in range(runs):
        nightly(i)
        times["census"].append(nightly.seconds)  # type: ignore[attr-defined]
        print(f"  census run {i + 1}: {times['census'][-1]:.2f} s", flush=True)
        started = time.perf_counter()
        full(i)
        times["full screen"].append(time.perf_counter() - started)
        print(f"  full screen run {i + 1}: {times['full screen'][-1]:.2f} s", flush=True)
    return report(f"census ({changed:,} patients changed)", times, "census", "full screen", 0.10)


def bench_screen(directory: Path, work: Path, runs: int, target: float) -> str:
    out = work / "rows.parquet"
    decode_floor(directory)
    screen(directory, out, ScreenOptions(as_of=AS_OF, workers=1))  # warm-up
    times = interleaved(
        runs,
        {
            "screen": lambda _i: screen(directory, out, ScreenOptions(as_of=AS_OF, workers=1)),
            "floor": lambda _i: decode_floor(directory),
        },
    )
    return report("screen", times, "screen", "floor", target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--only", choices=["fetch", "census", "screen"], action="append")
    parser.add_argument("--screen-target", type=float, default=1.0)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    directory, _ = export(args.workdir, args.patients)
    print(f"machine: {machine()}", flush=True)
    lines = []
    which = args.only or ["fetch", "census", "screen"]
    if "screen" in which:
        lines.append(bench_screen(directory, args.workdir, args.runs, args.screen_target))
    if "fetch" in which:
        lines.append(bench_fetch(directory, args.workdir, args.runs))
    if "census" in which:
        lines.append(bench_census(directory, args.workdir, args.runs))
    print(f"\n## {args.patients:,} patients; machine after the runs: {machine()}")
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
