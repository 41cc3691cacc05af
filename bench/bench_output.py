"""What serialising an assessment costs (`hosentinel.core.output`); not part of the test suite.

Over the synthetic demo patients, each assessed once on its catalog date, then each serialised
`--rounds` times: building the output models (`assessment_out`), their JSON as plain values
(`model_dump(mode="json")`), and the bytes `hosentinel assess` prints (`orjson.dumps(...,
OPT_INDENT_2)` of `assessment_json`). Medians per assessment, in microseconds, beside the median
`evaluate` for scale (the models are built only when serialising, never inside `evaluate`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import orjson

from hosentinel.core.assessment import Assessment
from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json, assessment_out
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import load_knowledge


def median_us(call: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1000


def printed(a: Assessment) -> bytes:
    return orjson.dumps(assessment_json(a), option=orjson.OPT_INDENT_2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=50)
    rounds = parser.parse_args().rounds
    knowledge = load_knowledge()
    cases = [(read_bundle(e.path.read_bytes(), knowledge), e.as_of) for e in load_catalog()]
    assessments: list[Assessment] = [evaluate(r, knowledge, day) for r, day in cases]
    figures: dict[str, list[float]] = {"evaluate": [], "build": [], "dump": [], "bytes": []}
    for (record, day), a in zip(cases, assessments, strict=True):
        out = assessment_out(a)
        figures["evaluate"].append(median_us(partial(evaluate, record, knowledge, day), rounds))
        figures["build"].append(median_us(partial(assessment_out, a), rounds))
        figures["dump"].append(median_us(partial(out.model_dump, mode="json"), rounds))
        figures["bytes"].append(median_us(partial(printed, a), rounds))
    print(f"{len(assessments)} demo assessments, {rounds} rounds each; median per assessment:")
    for name, values in figures.items():
        print(f"  {name:9} {statistics.median(values):8.0f} us")


if __name__ == "__main__":
    main()
