"""Input fuzzing of the FHIR import (`read_bundle`), `hosentinel assess` and `POST /fhir` with
Hypothesis: a real demo Bundle broken in one place (a value of the wrong type, a huge string,
deep nesting, an unknown code, a malformed date, a missing or extra element), plus whole
documents that are not Bundles at all and nesting 10,000 levels deep.

Never a crash: `read_bundle` returns a record or raises `BundleError`; `assess` exits 0 or 2 with
one line on stderr and no traceback; `POST /fhir` answers 200, 400 or 422 with an
OperationOutcome. Never a partial write: a rejected request leaves every table as it was, and a
transaction Bundle with any rejected resource stores nothing (a collection Bundle keeps its good
resources by design).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from typer.testing import CliRunner

from hosentinel.cli import app as cli
from hosentinel.core.record import PatientRecord
from hosentinel.demo.catalog import load_catalog
from hosentinel.fhir.importer import BundleError, read_bundle
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.store import models as m
from tests.support.seckit import account, fuzz_examples, fuzz_settings, record

ENTRY = next(e for e in load_catalog() if e.file.startswith("03-"))
DEMO: dict[str, Any] = orjson.loads(ENTRY.path.read_bytes())
KNOWLEDGE = default_knowledge()
DEEP = 10_000
HUGE = 1_000_000

# Values of every kind, including the hostile ones.
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        [
            "2024-13-45",
            "0000-00-00",
            "9999-12-31T99:99:99Z",
            "not-a-date",
            "http://unknown.example/codes",
            "ZZZ.999",
            "x" * HUGE,
            "\x00\ud7ff\ufffe",
            "<script>alert(1)</script>",
        ]
    ),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.just({"coding": [{"system": "http://snomed.info/sct", "code": "000000000"}]}),
    st.just({"system": "http://loinc.org", "code": "99999-9", "display": "unknown"}),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


PATHS = [p for p in _paths(DEMO) if p]


def _nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated_bundle(draw: st.DrawFn) -> dict[str, Any]:
    """The demo Bundle with one to three places replaced, deleted or nested deep."""
    bundle = copy.deepcopy(DEMO)
    bundle["type"] = draw(st.sampled_from(["collection", "transaction"]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent: Any = bundle
        try:
            for step in path[:-1]:
                parent = parent[step]
            action = draw(st.sampled_from(["replace", "delete", "nest"]))
            if action == "delete" and isinstance(parent, dict):
                parent.pop(path[-1], None)
            elif action == "nest":
                parent[path[-1]] = _nested(draw(st.integers(50, 400)), parent[path[-1]])
            else:
                parent[path[-1]] = draw(WRONG)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change removed this place
    return bundle


def _raw(bundle: Any) -> bytes:
    # The standard library's encoder: orjson refuses to write more than 254 levels.
    return json.dumps(bundle).encode()


def _read(raw: bytes | str) -> PatientRecord | None:
    try:
        return read_bundle(raw, KNOWLEDGE)
    except BundleError as exc:
        message = str(exc)
        assert message and "\n" not in message
        return None


HOSTILE_DOCUMENTS = [
    b"",
    b"null",
    b"[]",
    b'"Bundle"',
    b"{" * DEEP + b"}" * DEEP,
    b"[" * DEEP + b"]" * DEEP,
    b'{"resourceType":"Bundle","entry":' + b"[" * DEEP + b"]" * DEEP + b"}",
    b'{"resourceType":"Bundle","entry":[{"resource":' + b"[" * DEEP + b"]" * DEEP + b"}]}",
    _raw({"resourceType": "Bundle", "entry": "x" * HUGE}),
    _raw({"resourceType": "B" * HUGE}),
    b'{"resourceType":"Bundle","entry":[' + b"{}," * 50_000 + b"{}]}",
    b"\xff\xfe\x00garbage",
    _raw({"resourceType": _nested(300)}),
    b'{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p\x00"}}]}',
]


def test_read_bundle_survives_hostile_documents() -> None:
    for raw in HOSTILE_DOCUMENTS:
        _read(raw)
    # Deep nesting inside a resource that is otherwise valid is refused, not a RecursionError.
    bundle = copy.deepcopy(DEMO)
    bundle["entry"][1]["resource"]["extension"] = _nested(DEEP // 20)
    _read(_raw(bundle))
    # Found by fuzzing: a deeply nested value where the message quotes it (resourceType here)
    # made orjson raise TypeError inside the error message: a 500 in POST /fhir.
    with pytest.raises(BundleError, match="nested too deep to show"):
        read_bundle(_raw({"resourceType": _nested(300), "entry": []}))
    record("inputs fuzzed: read_bundle", len(HOSTILE_DOCUMENTS) + 2)


@fuzz_settings(fuzz_examples(25))
@given(mutated_bundle())
def test_read_bundle_on_a_broken_demo_bundle(bundle: dict[str, Any]) -> None:
    result = _read(_raw(bundle))
    if result is not None:
        assert result.stats.resources >= 1
    record("inputs fuzzed: read_bundle")


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _assess(runner: CliRunner, path: Path) -> None:
    result = runner.invoke(cli, ["assess", str(path), "--as-of", "2025-03-08"])
    assert result.exit_code in (0, 2), (result.exit_code, result.output[-500:], result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr[-500:]
    else:
        assert orjson.loads(result.stdout)["patient"].startswith("Patient/")


def test_assess_survives_hostile_documents(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    for raw in HOSTILE_DOCUMENTS:
        path.write_bytes(raw)
        _assess(runner, path)
    record("inputs fuzzed: hosentinel assess", len(HOSTILE_DOCUMENTS))


@fuzz_settings(fuzz_examples(10))
@given(bundle=mutated_bundle())
def test_assess_on_a_broken_demo_bundle(
    runner: CliRunner, tmp_path_factory: pytest.TempPathFactory, bundle: dict[str, Any]
) -> None:
    path = tmp_path_factory.mktemp("assess") / "bundle.json"
    path.write_bytes(_raw(bundle))
    _assess(runner, path)
    record("inputs fuzzed: hosentinel assess")


TABLES = (m.Patient, m.Condition, m.Procedure, m.Observation, m.Medication, m.Allergy)


def _counts(app: FastAPI) -> tuple[int, ...]:
    with app.state.sessionmaker() as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES)


def _post(acct: Any, raw: bytes) -> Any:
    headers = {**acct.headers, "Content-Type": "application/fhir+json"}
    return acct.client.post("/fhir", content=raw, headers=headers)


def _check_answer(response: Any) -> None:
    # 413: a value over the per-string limit (HOSENTINEL_MAX_STRING), refused with a message.
    assert response.status_code in (200, 400, 413, 422), (response.status_code, response.text[:300])
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert all(i["diagnostics"] for i in body["issue"])


def test_post_fhir_refuses_hostile_documents_and_writes_nothing(app: FastAPI) -> None:
    doctor = account(app, "physiatrist")
    before = _counts(app)
    for raw in HOSTILE_DOCUMENTS:
        response = _post(doctor, raw)
        _check_answer(response)
        assert response.status_code in (400, 413, 422), raw[:60]
    assert _counts(app) == before
    record("inputs fuzzed: POST /fhir", len(HOSTILE_DOCUMENTS))


def test_post_fhir_on_broken_demo_bundles(app: FastAPI) -> None:
    doctor = account(app, "physiatrist")
    pid = ENTRY.patient.removeprefix("Patient/")

    @fuzz_settings(fuzz_examples(10))
    @given(bundle=mutated_bundle())
    def post(bundle: dict[str, Any]) -> None:
        before = _counts(app)
        raw = _raw(bundle)
        response = _post(doctor, raw)
        _check_answer(response)
        record("inputs fuzzed: POST /fhir")
        if response.status_code != 200:
            assert _counts(app) == before, "a refused Bundle wrote something"
            return
        # Stored: as a transaction only when every resource was accepted.
        warnings = [i["diagnostics"] for i in response.json()["issue"]]
        if bundle.get("type") == "transaction":
            assert not [w for w in warnings if " skipped: " in w]

    post()
    with app.state.sessionmaker() as session:
        assert session.get(m.Patient, pid) is not None


def test_transaction_is_all_or_nothing_and_collection_keeps_the_good(app: FastAPI) -> None:
    doctor = account(app, "physiatrist")
    bundle = orjson.loads(ENTRY.path.read_text().replace(ENTRY.patient[8:], "tx-patient"))
    broken = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    broken["resource"]["code"] = {"coding": [{"system": "http://loinc.org", "code": 12345}]}
    before = _counts(app)
    bundle["type"] = "transaction"
    response = _post(doctor, _raw(bundle))
    assert response.status_code == 422
    diagnostics = " ".join(i["diagnostics"] for i in response.json()["issue"])
    assert broken["resource"]["id"] in diagnostics and "all or nothing" in diagnostics
    assert _counts(app) == before
    record("attacks refused: partial transaction")
    bundle["type"] = "collection"
    response = _post(doctor, _raw(bundle))
    assert response.status_code == 200
    assert _counts(app)[0] == before[0] + 1
    with app.state.sessionmaker() as session:
        observations = session.scalar(
            select(func.count())
            .select_from(m.Observation)
            .where(m.Observation.patient_id == "tx-patient")
        )
    assert observations and observations > 0
