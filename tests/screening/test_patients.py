"""The per-patient step: the shared result for patients without clinical entries is safe, and
the counts travel between processes intact."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from hosentinel.core.engine import evaluate
from hosentinel.core.record import Patient, PatientRecord, Sex
from hosentinel.knowledge.loader import default_knowledge
from hosentinel.screening.patients import Tally, row_of

CORE = Path(__file__).resolve().parents[2] / "src" / "hosentinel" / "core"


@settings(max_examples=60, deadline=None)
@given(
    sex=st.sampled_from(["male", "female", "other", "unknown"]),
    born=st.one_of(st.none(), st.dates(date(1800, 1, 1), date(2199, 12, 31))),
    pid=st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36),
    as_of=st.dates(date(1900, 1, 1), date(2190, 1, 1)),
    deceased=st.booleans(),
    died=st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2199, 12, 31))),
)
def test_an_empty_record_row_depends_on_sex_only(
    sex: Sex, born: date | None, pid: str, as_of: date, deceased: bool, died: date | None
) -> None:
    """What makes reusing one result per sex exact: with no clinical entry, the row is the same
    whatever the id, birth date and death (a patient who has died gets no actions, and a patient
    with no clinical entry has none to lose)."""
    knowledge = default_knowledge()
    record = PatientRecord(Patient(pid, sex, born, deceased=deceased, deceased_on=died))
    reference = PatientRecord(Patient("reference", sex, None))
    row = row_of(evaluate(record, knowledge, as_of))
    expected = row_of(evaluate(reference, knowledge, as_of))
    assert row.patient == f"Patient/{pid}"
    assert row.values()[1:] == expected.values()[1:]


def test_the_engine_does_not_read_the_birth_date() -> None:
    """If a rule starts reading age, the shared result for patients without clinical entries
    (patients.py) must key on it too: this test says where to look. facts.py reads it only to set
    aside entries dated before birth, which a patient without clinical entries does not have."""
    readers = []
    for path in sorted(CORE.glob("*.py")):
        if path.name in ("record.py", "facts.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr == "birth_date":
                readers.append(f"{path.name}:{node.lineno}")
    assert readers == [], "update Screener._row in hosentinel/screening/patients.py"


def test_a_tally_travels_as_json() -> None:
    tally = Tally()
    tally.lines[("file:/x/a.ndjson", "bad")] += 3
    tally.types[("Observation", "kept")] += 2
    tally.unreadable["/x/a.ndjson"] += 1
    tally.rows = 5
    tally.messages.append("Patient/p: ValueError: boom (x.py:1)")
    again = Tally.from_json(tally.to_json())
    assert again == tally
    total = Tally()
    total.merge(again)
    total.merge(again)
    assert total.rows == 10 and total.lines[("file:/x/a.ndjson", "bad")] == 6
    assert total.bad_lines() == {"file:/x/a.ndjson": 6, "/x/a.ndjson": 2}
    assert len(total.messages) == 2
