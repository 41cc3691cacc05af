"""How many recommendations each demo patient gets, and how many are `next` (issue 12's alert
burden figure). Deterministic: the same code and knowledge base give the same table.

    .venv/bin/python bench/recommendation_burden.py            # this checkout
    PYTHONPATH=/path/to/older/checkout/src .venv/bin/python bench/recommendation_burden.py

An engine without tiers (before 2026-12-05) prints "-" for `next`.
"""

from __future__ import annotations

import statistics
import sys

from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import load_knowledge


def main() -> int:
    knowledge = load_knowledge()
    totals: list[int] = []
    nexts: list[int] = []
    print(f"{'patient':<48} {'all':>4} {'next':>5}")
    for entry in load_catalog():
        record = read_bundle(entry.path.read_bytes(), knowledge=knowledge)
        recs = assessment_json(evaluate(record, knowledge, entry.as_of))["recommendations"]
        tiers = [r.get("tier") for r in recs]
        next_count = sum(t == "next" for t in tiers) if all(tiers) else None
        totals.append(len(recs))
        if next_count is not None:
            nexts.append(next_count)
        shown = "-" if next_count is None else str(next_count)
        print(f"{entry.path.stem:<48} {len(recs):>4} {shown:>5}")

    def summary(values: list[int]) -> str:
        if not values:
            return "-"
        return (
            f"median {statistics.median(values):g}, max {max(values)}, "
            f"mean {statistics.mean(values):.1f}, total {sum(values)}"
        )

    print(f"all recommendations: {summary(totals)}")
    print(f"next: {summary(nexts)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
