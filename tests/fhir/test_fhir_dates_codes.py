"""FHIR date parsing and code-system helpers used by the importer."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hosentinel.core.record import Coding
from hosentinel.fhir.codes import codings, concept_text, normalise_code, system_alias
from hosentinel.fhir.dates import MAX_YEAR, MIN_YEAR, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024", date(2024, 1, 1)),
        ("2024-05", date(2024, 5, 1)),
        ("2024-05-17", date(2024, 5, 17)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2024-05-17T23:59:59Z", date(2024, 5, 17)),
        ("2024-05-17T23:59:59.123+14:00", date(2024, 5, 17)),
        ("2024-05-17T00:00:00-05:00", date(2024, 5, 17)),
        ("2024-05-17T23:59:60Z", date(2024, 5, 17)),  # leap second
    ],
)
def test_valid_fhir_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2024-13-45",
        "2023-02-29",
        "0000-01-01",
        "24-05-17",
        "2024-5-17",
        "2024-05-17T10:00Z",  # FHIR requires seconds
        "2024-05-17T10:00:00",  # and a time zone
        "2024-05-17T24:00:00Z",
        "2024-05-17T10:61:00Z",
        "2024-05-17T10:00:00+15:00",
        "2024-05-17 10:00:00Z",
        "May 2024",
        "２０２４",  # non-ASCII digits
        "2024-05-17\n",
    ],
)
def test_invalid_fhir_dates(text: str) -> None:
    assert parse_date(text) is None


@given(st.dates(min_value=date(MIN_YEAR, 1, 1), max_value=date(MAX_YEAR, 12, 31)))
def test_every_date_round_trips(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.isoformat()}T12:30:00+02:00") == day


@given(
    st.one_of(
        st.dates(max_value=date(MIN_YEAR - 1, 12, 31)), st.dates(min_value=date(MAX_YEAR + 1, 1, 1))
    )
)
def test_years_outside_the_clinical_range_are_not_dates(day: date) -> None:
    assert parse_date(day.isoformat()) is None


def test_system_alias_keeps_unknown_uris() -> None:
    assert system_alias("  http://loinc.org/ ") == "loinc"
    assert system_alias("SNOMED CT") == "snomed"
    assert system_alias("http://hl7.org/fhir/sid/icd-10") == "http://hl7.org/fhir/sid/icd-10"


def test_codings_drop_entries_without_a_code() -> None:
    concept = {
        "coding": [
            {"system": "http://loinc.org", "display": "no code"},
            {"code": "local-1"},
            {"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "m61.5", "display": "HO"},
            "not a coding",
        ]
    }
    assert codings(concept) == (Coding("", "local-1"), Coding("icd10cm", "M61.5", "HO"))
    assert concept_text(concept) == "no code"


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        ("icd10cm", "S1411XA", "S14.11XA"),
        ("icd10cm", "s06", "S06"),
        ("icd10cm", "T31.2", "T31.2"),
        ("snomed", " 52734007 ", "52734007"),
        ("finding", "hip-flexion-rom", "hip-flexion-rom"),
    ],
)
def test_normalise_code(system: str, code: str, expected: str) -> None:
    assert normalise_code(system, code) == expected
