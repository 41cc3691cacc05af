"""Whatever JSON arrives, the importer either returns a record or raises BundleError."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hosentinel.core.record import PatientRecord
from hosentinel.fhir.importer import BundleError, read_bundle

TYPES = [
    "Patient",
    "Condition",
    "Procedure",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "Medication",
    "AllergyIntolerance",
    "DiagnosticReport",
    "Encounter",
]
KEYS = [
    "resourceType", "id", "subject", "patient", "reference", "code", "coding", "system", "text",
    "display", "status", "clinicalStatus", "verificationStatus", "onsetDateTime", "onsetPeriod",
    "onsetString", "abatementDateTime", "recordedDate", "performedDateTime", "performedPeriod",
    "start", "end", "effectiveDateTime", "effectivePeriod", "issued", "valueQuantity", "value",
    "unit", "valueBoolean", "valueCodeableConcept", "interpretation", "referenceRange", "low",
    "high", "bodySite", "medicationCodeableConcept", "medicationReference", "contained",
    "authoredOn", "dosageInstruction", "timing", "repeat", "boundsPeriod", "conclusionCode",
    "result", "birthDate", "gender", "resource", "fullUrl", "entry",
]  # fmt: skip
TEXT = st.sampled_from(
    [*TYPES, "Patient/p1", "urn:uuid:p1", "#m", "2024", "2024-05-01", "2024-13-45", "active",
     "entered-in-error", "http://snomed.info/sct", "7771000", "hip-pain", "M25.551", ""]
) | st.text(max_size=12)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | TEXT
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=25,
)
RESOURCE = st.builds(
    lambda rtype, body: {**body, "resourceType": rtype} if rtype else body,
    st.sampled_from([*TYPES, None]),
    st.dictionaries(st.sampled_from(KEYS), JSONISH, max_size=8),
)
PATIENT = {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1"}}


# Valid resources that a mutation then breaks in one place: reaches the builders, not only the
# structural checks.
SNOMED = "http://snomed.info/sct"
TEMPLATES: list[dict[str, Any]] = [
    {
        "resourceType": "Condition",
        "id": "c",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "S14.111A"}]},
        "onsetDateTime": "2024-01-02",
        "bodySite": [{"coding": [{"system": SNOMED, "code": "7771000"}], "text": "hip"}],
    },
    {
        "resourceType": "Observation",
        "id": "o",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "6768-6"}]},
        "effectivePeriod": {"start": "2024-01-02"},
        "valueQuantity": {"value": 300, "unit": "U/L"},
        "referenceRange": [{"low": {"value": 40}, "high": {"value": 150}}],
        "interpretation": [{"coding": [{"code": "H"}]}],
    },
    {
        "resourceType": "MedicationRequest",
        "id": "m",
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": "#med"},
        "contained": [{"resourceType": "Medication", "id": "med", "code": {"text": "warfarin"}}],
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2024-01-02"}}}}],
    },
    {
        "resourceType": "DiagnosticReport",
        "id": "d",
        "status": "final",
        "code": {"text": "bone scan"},
        "conclusionCode": [{"coding": [{"code": "positive"}]}],
        "contained": [
            {"resourceType": "Observation", "id": "r", "status": "final", "code": {"text": "x"}}
        ],
        "result": [{"reference": "#r"}],
    },
    {
        "resourceType": "AllergyIntolerance",
        "id": "a",
        "patient": {"reference": "Patient/p1"},
        "code": {"text": "ibuprofen"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
    },
]
MUTANT = st.builds(
    lambda template, key, value: {**template, key: value},
    st.sampled_from(TEMPLATES),
    st.sampled_from(KEYS),
    JSONISH,
)


def outcome(raw: Any) -> PatientRecord | None:
    try:
        return read_bundle(raw)
    except BundleError as exc:
        assert "\n" not in str(exc)
        assert str(exc)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(RESOURCE | JSONISH, max_size=5))
def test_arbitrary_resources_in_a_bundle(resources: list[Any]) -> None:
    entries = [PATIENT, *({"resource": r} for r in resources)]
    result = outcome({"resourceType": "Bundle", "entry": entries})
    if result is not None:
        assert result.patient.id == "p1"
        assert result.stats.resources >= 1
        assert all("\n" not in w for w in result.stats.warnings)


@settings(max_examples=300, deadline=None)
@given(st.lists(MUTANT, max_size=4))
def test_valid_resources_broken_in_one_place(resources: list[dict[str, Any]]) -> None:
    entries = [PATIENT, *({"resource": r} for r in resources)]
    result = outcome({"resourceType": "Bundle", "entry": entries})
    if result is not None:
        assert result.stats.resources == 1 + len(resources)
        assert result.stats.ignored_resources <= len(resources)


def test_the_templates_import_cleanly() -> None:
    entries = [PATIENT, *({"resource": r} for r in TEMPLATES)]
    record = read_bundle({"resourceType": "Bundle", "entry": entries})
    assert record.stats.warnings == ()
    assert record.stats.ignored_resources == 0
    assert (len(record.conditions), len(record.observations)) == (1, 3)
    assert (len(record.medications), len(record.allergies)) == (1, 1)
    assert record.medications[0].text == "warfarin"


def test_deep_nesting_is_skipped_or_read_never_a_crash() -> None:
    ext = '{"url":"http://x","valueString":"y"}'
    for _ in range(300):
        ext = '{"url":"http://x","extension":[' + ext + "]}"
    raw = (
        '{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"p1"}},'
        '{"resource":{"resourceType":"Condition","id":"c","extension":[' + ext + "]}}]}"
    )
    record = read_bundle(raw)
    assert len(record.conditions) + len(record.stats.warnings) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(JSONISH, max_size=4))
def test_arbitrary_entries(entries: list[Any]) -> None:
    outcome({"resourceType": "Bundle", "entry": [PATIENT, *entries]})


@settings(max_examples=200, deadline=None)
@given(JSONISH)
def test_arbitrary_json_document(document: Any) -> None:
    try:
        raw = orjson.dumps(document)
    except TypeError:
        raw = b"null"  # NaN and infinities are not JSON
    outcome(raw)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40) | st.text(max_size=40))
def test_arbitrary_bytes(raw: bytes | str) -> None:
    assert outcome(raw) is None
