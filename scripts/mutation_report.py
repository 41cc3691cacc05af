"""The score and the surviving mutants of the last `make mutate` run (docs/mutation-testing.md).

Reads mutmut's results (mutants/**/*.meta) and prints, for core/ and for the knowledge loader, how
many mutants were killed, survived or had no covering test, and the score:

    score = (killed + timeout) / (killed + timeout + survived + no tests)

`--markdown FILE` (re)writes the committed list of survivors. Each survivor keeps the note already
written for it there ("equivalent: why" or "not yet killed"); a new survivor gets "not yet killed".
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTANTS = ROOT / "mutants"
KILLED = {1, 3, 36, 37, -24, 24, 152, 255}  # failed, pytest error, timeouts, type check
SURVIVED = {0}
NO_TESTS = {5, 33}
AREAS = {"core": "hosentinel.core.", "loader": "hosentinel.knowledge.loader."}
ROW = re.compile(r"^\| `(?P<name>[^`]+)` \| (?P<note>.*) \|$")


def load() -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        results.update(json.loads(meta.read_text())["exit_code_by_key"])
    return results


def area_of(name: str) -> str:
    return next((area for area, prefix in AREAS.items() if name.startswith(prefix)), "other")


def status_of(code: int | None) -> str:
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    return "not checked" if code is None else f"other ({code})"


def summary(results: dict[str, int | None]) -> dict[str, Counter[str]]:
    by_area: dict[str, Counter[str]] = {}
    for name, code in results.items():
        by_area.setdefault(area_of(name), Counter())[status_of(code)] += 1
    return by_area


def score(counts: Counter[str]) -> float:
    decided = counts["killed"] + counts["survived"] + counts["no tests"]
    return 100 * counts["killed"] / decided if decided else 0.0


def existing_notes(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    notes = {}
    for line in path.read_text().splitlines():
        match = ROW.match(line)
        if match:
            notes[match["name"]] = match["note"]
    return notes


def write_markdown(path: Path, results: dict[str, int | None], header: str) -> None:
    notes = existing_notes(path)
    survivors = [n for n, c in results.items() if status_of(c) in ("survived", "no tests")]
    lines = [header.rstrip(), "", "| mutant | note |", "| --- | --- |"]
    for name in sorted(survivors):
        note = notes.get(name, "not yet killed")
        if status_of(results[name]) == "no tests" and note == "not yet killed":
            note = "not yet killed (no test covers it)"
        lines.append(f"| `{name}` | {note} |")
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", type=Path, help="rewrite this list of survivors")
    parser.add_argument("--quiet", action="store_true", help="only the scores")
    parser.add_argument(
        "--sample", type=int, default=0, help="print N mutant names drawn at random and stop"
    )
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--names", type=Path, help="report only the mutants named in this file")
    args = parser.parse_args(argv)
    results = load()
    if not results:
        print("no mutmut results under mutants/: run `make mutate` first")
        return 1
    if args.sample:
        # A uniform sample for a score in reasonable time (the full run takes hours on 2 cores).
        names = sorted(results)
        print(
            " ".join(sorted(random.Random(args.seed).sample(names, min(args.sample, len(names)))))
        )
        return 0
    if args.names:
        wanted = set(args.names.read_text().split())
        results = {k: v for k, v in results.items() if k in wanted}
    by_area = summary(results)
    lines = []
    for area, counts in sorted(by_area.items()):
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        lines.append(f"{area:7} score {score(counts):5.1f} %  ({detail})")
    for line in lines:
        print(line)
    if not args.quiet:
        print("\nsurvivors (mutmut show NAME for the diff):")
        for name, code in sorted(results.items()):
            if status_of(code) in ("survived", "no tests"):
                print(f"  {name}  [{status_of(code)}]")
    if args.markdown:
        header = (
            args.markdown.read_text().split("\n| mutant |")[0] if args.markdown.exists() else ""
        )
        header = header or "# Surviving mutants\n\n" + "\n".join(f"- {line}" for line in lines)
        write_markdown(args.markdown, results, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
