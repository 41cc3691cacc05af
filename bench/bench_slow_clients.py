"""Slow clients against the real server (`hosentinel serve --demo` on loopback, SQLite): N
connections each send the headers of `POST /login` announcing 100,000 bytes and only a few, and
hold; meanwhile GET /healthz and GET /login are timed, several rounds. Prints the median and the
slowest answer of each; exits 1 if any took 1 s or more (issue 15: 16 such connections froze
the server). The same check runs in `make test` (tests/app/test_slow_clients.py).

Options: --connections N (40), --rounds R (5).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from hosentinel.testing.servers import Server


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        server = Server(f"sqlite:///{work}/slow.db", Path(work) / "server.log")
        server.start(demo=True)
        try:
            return measure(server.port, args.connections, args.rounds)
        finally:
            server.stop()


def measure(port: int, connections: int, rounds: int) -> int:
    head = (
        f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n"
        "username=slow&pass"
    ).encode()
    held = []
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(head)
        held.append(s)
    time.sleep(1.0)
    times: dict[str, list[float]] = {"/healthz": [], "/login": []}
    statuses: list[int] = []
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            for _ in range(rounds):
                for path, samples in times.items():
                    start = time.perf_counter()
                    statuses.append(client.get(path).status_code)
                    samples.append(time.perf_counter() - start)
    finally:
        for s in held:
            s.close()
    ok = all(code == 200 for code in statuses)
    for path, samples in times.items():
        median_ms, slowest_ms = statistics.median(samples) * 1000, max(samples) * 1000
        print(
            f"{connections} slow uploads held: GET {path} median {median_ms:.0f} ms,"
            f" slowest {slowest_ms:.0f} ms over {len(samples)} requests"
        )
        ok = ok and max(samples) < 1.0
    print("slow clients: " + ("held" if ok else "FAILED (an answer took 1 s or more, or not 200)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
