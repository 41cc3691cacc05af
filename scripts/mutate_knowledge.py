"""Mutation testing of the knowledge DATA (issue 20; docs/mutation-testing.md).

Half the clinical logic lives in the YAML under src/hosentinel/knowledge/data, where no mutation
tool looks. This script makes one small change at a time (a threshold moved by one step, a code
dropped from a value set, one condition of a rule dropped, any_of turned into all_of, a caution's
level swapped, a joint dropped from an index event), writes it into a private copy of src/, runs the
fast tests against that copy and reports which changes the tests killed and which survived.

    python scripts/mutate_knowledge.py [--kinds settings,numbers,conditions,levels,codes,joints]
                                       [--only TEXT] [--sample N] [--jobs 2] [--report FILE]

A mutant is killed when the tests fail (or time out). The unmutated copy is run first and must
pass, so a harness problem is never counted as a kill.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("src/hosentinel/knowledge/data")
# The fast tests, the rule examples first: a broken rule fails there within seconds (with -x).
FIRST = ["tests/knowledge/test_rule_examples.py", "tests/knowledge/test_condition_examples.py"]
TESTS = [
    *FIRST,
    "tests/core",
    *sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests/knowledge").glob("test_*.py")
        if str(p.relative_to(ROOT)) not in FIRST
    ),
    "tests/fhir",
    "tests/test_cli.py",
]
DESELECT = [
    # Runs the installed (unmutated) package, so it cannot see a mutant.
    "tests/test_cli.py::test_installed_entry_point_assesses_a_bundle",
    # These edit the YAML text of the original layout to test the loader's error messages; a
    # mutated file is re-written by yaml.safe_dump, so their text no longer matches.
    "tests/knowledge/test_loader.py::test_broken_knowledge_is_rejected_naming_the_problem",
    "tests/knowledge/test_loader.py::test_every_problem_is_listed_at_once",
]
KINDS = ("settings", "numbers", "conditions", "levels", "codes", "joints")
# Numbers a rule or the window reads, outside settings.yaml; each is moved one step each way.
NUMBER_KEYS = {
    "window_start_days": 1,
    "window_end_months": 1,
    "informative_from_days": 1,
    "coma_min_days": 1,
    "burn_tbsa_min": 10,  # T31 bands are tens of percent
    "pregnancy_weeks_min": 1,
    "egfr_below": 1,
}
Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Mutant:
    kind: str
    file: str  # relative to DATA
    path: Path_
    op: str  # "set", "drop", "rename"
    value: Any
    what: str

    @property
    def name(self) -> str:
        return f"{self.file}:{'/'.join(map(str, self.path))} {self.what}"


def _walk(node: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, (*path, key))
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _walk(value, (*path, n))


def _step(value: float, step: float) -> list[float]:
    return [value - step, value + step]


def mutants_of(file: str, doc: Any) -> Iterator[Mutant]:
    if file == "settings.yaml":
        for n, entry in enumerate(doc):
            value = entry["value"]
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            step = 1 if isinstance(value, int) and value >= 2 else max(abs(value) / 5, 0.1)
            for new in _step(value, step):
                new = round(new, 3)
                yield Mutant(
                    "settings", file, (n, "value"), "set", new, f"{entry['id']} {value} -> {new}"
                )
        return
    for path, node in _walk(doc):
        key = path[-1] if path else None
        if key in NUMBER_KEYS and isinstance(node, int | float) and not isinstance(node, bool):
            for new in _step(node, NUMBER_KEYS[str(key)]):
                yield Mutant("numbers", file, path, "set", new, f"{key} {node} -> {new}")
        if isinstance(node, dict):
            for form, other in (("any_of", "all_of"), ("all_of", "any_of")):
                clauses = node.get(form)
                if not isinstance(clauses, list):
                    continue
                if len(clauses) > 1:
                    yield Mutant(
                        "conditions", file, path, "rename", (form, other), f"{form} -> {other}"
                    )
                    for n, clause in enumerate(clauses):
                        yield Mutant(
                            "conditions", file, (*path, form, n), "drop", None, f"drop {clause}"
                        )
                for n, clause in enumerate(clauses):
                    for a, b in (("active_concept", "concept"), ("concept", "active_concept")):
                        if isinstance(clause, dict) and a in clause:
                            yield Mutant(
                                "conditions",
                                file,
                                (*path, form, n),
                                "rename",
                                (a, b),
                                f"{a} -> {b}",
                            )
                    if isinstance(clause, dict) and clause.get("sex") in ("male", "female"):
                        other_sex = "female" if clause["sex"] == "male" else "male"
                        yield Mutant(
                            "conditions",
                            file,
                            (*path, form, n, "sex"),
                            "set",
                            other_sex,
                            f"sex -> {other_sex}",
                        )
        if key == "level" and node in ("caution", "contraindicated"):
            new_level = "caution" if node == "contraindicated" else "contraindicated"
            yield Mutant("levels", file, path, "set", new_level, f"{node} -> {new_level}")
        if key == "codes" and isinstance(node, list) and file.startswith("valuesets/"):
            for n, code in enumerate(node):
                yield Mutant(
                    "codes",
                    file,
                    (*path, n),
                    "drop",
                    None,
                    f"drop {code.get('system')}|{code.get('code')}",
                )
                if code.get("match") == "prefix":
                    yield Mutant(
                        "codes",
                        file,
                        (*path, n, "match"),
                        "drop",
                        None,
                        f"{code.get('code')} prefix -> exact",
                    )
        if key == "joints" and isinstance(node, list) and file == "index_events.yaml":
            for n, joint in enumerate(node):
                yield Mutant("joints", file, (*path, n), "drop", None, f"drop joint {joint}")


def apply(doc: Any, mutant: Mutant) -> Any:
    doc = copy.deepcopy(doc)
    *parents, last = mutant.path
    node = doc
    for step in parents:
        node = node[step]
    if mutant.op == "set":
        node[last] = mutant.value
    elif mutant.op == "drop":
        del node[last]
    else:  # rename a key of the mapping at `path`
        target = node[last] if mutant.path else doc
        old, new = mutant.value
        target[new] = target.pop(old)
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=1000)


class Sandbox:
    """A private copy of src/ the tests import instead of the worktree's (via PYTHONPATH)."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="hos-kmut-"))
        shutil.copytree(
            ROOT / "src", self.dir / "src", ignore=shutil.ignore_patterns("__pycache__")
        )

    def run(self, file: str, text: str | None, timeout: float) -> tuple[str, str, float]:
        target = self.dir / DATA / file
        original = target.read_text()
        if text is not None:
            target.write_text(text)
        env = {**os.environ, "PYTHONPATH": str(self.dir / "src"), "PYTHONDONTWRITEBYTECODE": "1"}
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "addopts=",
        ]
        cmd += [a for d in DESELECT for a in ("--deselect", d)] + TESTS
        start = time.monotonic()
        try:
            done = subprocess.run(
                cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
            )
            failed = [ln for ln in done.stdout.splitlines() if ln.startswith(("FAILED", "ERROR"))]
            status = "survived" if done.returncode == 0 else "killed"
            tail = done.stdout.strip().splitlines()[-1:] or [""]
            detail = failed[0] if failed else tail[0]
        except subprocess.TimeoutExpired:
            status, detail = "killed", f"timeout after {timeout:.0f} s"
        finally:
            target.write_text(original)
        return status, detail, time.monotonic() - start

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--kinds", default=",".join(KINDS), help="comma-separated: " + ", ".join(KINDS)
    )
    parser.add_argument("--only", default="", help="keep mutants whose name contains this text")
    parser.add_argument("--sample", type=int, default=0, help="run a random sample of N mutants")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--report", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    kinds = set(args.kinds.split(","))
    docs = {
        str(p.relative_to(ROOT / DATA)): yaml.safe_load(p.read_text())
        for p in sorted((ROOT / DATA).rglob("*.yaml"))
    }
    mutants = [m for f, d in docs.items() for m in mutants_of(f, d) if m.kind in kinds]
    mutants = [m for m in mutants if args.only in m.name]
    if args.sample and args.sample < len(mutants):
        mutants = sorted(random.Random(args.seed).sample(mutants, args.sample), key=mutants.index)
    if args.list:
        for m in mutants:
            print(f"{m.kind:10} {m.name}")
        print(f"{len(mutants)} mutants")
        return 0

    sandboxes = [Sandbox() for _ in range(max(1, args.jobs))]
    try:
        # The unmutated copy, each mutated file re-dumped: must pass, or the harness is broken.
        files = sorted({m.file for m in mutants})
        base = sandboxes[0]
        for f in files:
            (base.dir / DATA / f).write_text(_dump(docs[f]))
        status, detail, seconds = base.run(files[0], None, args.timeout * 2)
        for f in files:
            shutil.copy(ROOT / DATA / f, base.dir / DATA / f)
        print(f"baseline (unmutated, re-dumped): {status} in {seconds:.0f} s {detail}", flush=True)
        if status != "survived":
            print("the unmutated knowledge base fails the tests: fix that first", file=sys.stderr)
            return 2

        free = list(sandboxes)
        results: list[dict[str, Any]] = []

        def one(mutant: Mutant) -> dict[str, Any]:
            box = free.pop()
            try:
                status, detail, seconds = box.run(
                    mutant.file, _dump(apply(docs[mutant.file], mutant)), args.timeout
                )
            finally:
                free.append(box)
            row = {
                "kind": mutant.kind,
                "mutant": mutant.name,
                "status": status,
                "seconds": round(seconds, 1),
                "detail": detail,
            }
            print(f"{status:8} {seconds:6.0f} s  {mutant.name}  {detail}", flush=True)
            return row

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(sandboxes)) as pool:
            results = list(pool.map(one, mutants))
        elapsed = time.monotonic() - started
    finally:
        for box in sandboxes:
            box.close()

    killed = sum(r["status"] == "killed" for r in results)
    score = 100 * killed / max(1, len(results))
    print(f"\nknowledge data: {killed}/{len(results)} killed ({score:.1f} %) in {elapsed:.0f} s")
    for kind in KINDS:
        rows = [r for r in results if r["kind"] == kind]
        if rows:
            k = sum(r["status"] == "killed" for r in rows)
            print(f"  {kind:10} {k}/{len(rows)} killed")
    survivors = [r for r in results if r["status"] == "survived"]
    if survivors:
        print("survived:")
        for r in survivors:
            print(f"  {r['mutant']}")
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(
            json.dumps({"elapsed_seconds": round(elapsed), "results": results}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
