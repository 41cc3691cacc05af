"""The FHIR Bundle importer: fatal errors, tolerance, and what each resource becomes."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest

from hosentinel.core.record import BodySite, Coding, PatientRecord
from hosentinel.fhir.importer import BundleError, CodeLookup, read_bundle

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
FINDING = "https://hosentinel.org/fhir/CodeSystem/finding"
LEFT = {"system": SNOMED, "code": "7771000", "display": "Left"}
RIGHT = {"system": SNOMED, "code": "24028007", "display": "Right"}

PATIENT: dict[str, Any] = {
    "resourceType": "Patient",
    "id": "p1",
    "gender": "female",
    "birthDate": "1970-03-04",
}


def bundle(*resources: dict[str, Any], patient: dict[str, Any] | None = None) -> dict[str, Any]:
    entries = [{"fullUrl": "urn:uuid:p1", "resource": patient or PATIENT}]
    entries += [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def read(*resources: dict[str, Any], **kwargs: Any) -> PatientRecord:
    return read_bundle(bundle(*resources), **kwargs)


def concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code}
    if display:
        coding["display"] = display
    return {"coding": [coding]}


def condition(cid: str = "c1", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "code": concept(ICD10CM, "S14.111A", "Complete lesion at C1"),
        "subject": {"reference": "Patient/p1"},
        **fields,
    }


def observation(oid: str = "o1", **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": concept(LOINC, "6768-6", "Alkaline phosphatase"),
        **fields,
    }


def raises(raw: Any, **kwargs: Any) -> str:
    with pytest.raises(BundleError) as caught:
        read_bundle(raw, **kwargs)
    message = str(caught.value)
    assert "\n" not in message
    return message


# --- fatal errors: one line naming the problem -------------------------------------------------


def test_not_json() -> None:
    assert raises(b'{"resourceType": "Bundle",').startswith("not JSON: ")
    assert raises("").startswith("not JSON: ")


def test_mapping_that_is_not_json() -> None:
    assert raises({"resourceType": "Bundle", "entry": [{1, 2}]}).startswith("not JSON: ")


def test_json_that_is_not_an_object() -> None:
    assert raises(b"[1, 2]") == "not a FHIR Bundle (the JSON is list, not an object)"


def test_a_resource_that_is_not_a_bundle() -> None:
    assert raises(orjson.dumps(PATIENT)) == "not a FHIR Bundle (resourceType is 'Patient')"
    assert raises({"type": "collection"}) == "not a FHIR Bundle (resourceType missing)"


def test_entry_that_is_not_a_list() -> None:
    raw = {"resourceType": "Bundle", "entry": {"resource": PATIENT}}
    assert raises(raw) == "not a FHIR Bundle (entry is not a list)"


def test_no_patient() -> None:
    assert raises({"resourceType": "Bundle"}) == "the Bundle has no Patient"
    raw = bundle(condition())
    raw["entry"] = raw["entry"][1:]
    assert raises(raw) == "the Bundle has no Patient"


def test_two_patients() -> None:
    other = {"resourceType": "Patient", "id": "p2"}
    assert raises(bundle(other)) == "the Bundle has 2 Patients; give one patient per Bundle"


def test_the_same_patient_twice_is_one_patient() -> None:
    record = read(dict(PATIENT))
    assert record.patient.id == "p1"
    assert record.stats.ignored_resources == 0


def test_invalid_patient_is_fatal() -> None:
    patient = {**PATIENT, "active": "sometimes"}
    message = raises(bundle(patient=patient))
    assert message.startswith("Patient/p1 is not a valid FHIR Patient: active: ")


def test_malformed_date_names_resource_and_field() -> None:
    bad = observation("abc", effectiveDateTime="2024-13-45")
    assert raises(bundle(bad)) == "Observation/abc: effectiveDateTime '2024-13-45' is not a date"


def test_malformed_nested_date() -> None:
    bad = condition(onsetPeriod={"start": "yesterday"})
    assert raises(bundle(bad)) == "Condition/c1: onsetPeriod.start 'yesterday' is not a date"


def test_date_that_is_not_a_string() -> None:
    bad = observation(effectiveDateTime=20240101)
    assert raises(bundle(bad)) == "Observation/o1: effectiveDateTime 20240101 is not a date"


def test_malformed_birth_date() -> None:
    patient = {**PATIENT, "birthDate": "1970-02-30"}
    assert raises(bundle(patient=patient)) == "Patient/p1: birthDate '1970-02-30' is not a date"


def test_malformed_medication_bounds_date() -> None:
    bad = {
        "resourceType": "MedicationRequest",
        "id": "m1",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": concept(RXNORM, "5781"),
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "soon"}}}}],
    }
    assert raises(bundle(bad)) == (
        "MedicationRequest/m1: dosageInstruction[0].timing.repeat.boundsPeriod.start 'soon' "
        "is not a date"
    )


def test_lenient_dates_skip_the_resource_instead() -> None:
    record = read(
        observation("abc", effectiveDateTime="2024-13-45"), observation("ok"), strict_dates=False
    )
    assert [o.ref for o in record.observations] == ["Observation/ok"]
    assert record.stats.ignored_resources == 1
    assert record.stats.warnings == (
        "Observation/abc skipped: Observation/abc: effectiveDateTime '2024-13-45' is not a date",
    )


def test_lenient_dates_leave_a_bad_birth_date_unknown() -> None:
    patient = {**PATIENT, "birthDate": "soon"}
    record = read_bundle(bundle(patient=patient), strict_dates=False)
    assert record.patient.birth_date is None
    assert record.stats.warnings == (
        "Patient/p1: birthDate 'soon' is not a date; birth date left unknown",
    )


def test_bundle_error_is_a_value_error() -> None:
    assert issubclass(BundleError, ValueError)
    assert str(BundleError("two\n  lines")) == "two lines"


# --- input forms and the Patient ---------------------------------------------------------------


def test_bytes_str_and_mapping_give_the_same_record() -> None:
    raw = bundle(condition())
    as_bytes = read_bundle(orjson.dumps(raw))
    assert read_bundle(orjson.dumps(raw).decode()) == as_bytes
    assert read_bundle(raw) == as_bytes
    assert as_bytes.patient.id == "p1"
    assert as_bytes.patient.sex == "female"
    assert as_bytes.patient.birth_date == date(1970, 3, 4)


@pytest.mark.parametrize(
    ("gender", "sex"),
    [("male", "male"), ("female", "female"), ("other", "other"), (None, "unknown")],
)
def test_patient_sex(gender: str | None, sex: str) -> None:
    patient = {"resourceType": "Patient", "id": "p1"} | ({"gender": gender} if gender else {})
    assert read_bundle(bundle(patient=patient)).patient.sex == sex


def test_patient_without_id_takes_the_full_url_uuid() -> None:
    raw = {
        "resourceType": "Bundle",
        "entry": [
            {"fullUrl": "urn:uuid:0b9e", "resource": {"resourceType": "Patient"}},
            {"resource": condition(subject={"reference": "urn:uuid:0b9e"})},
        ],
    }
    record = read_bundle(raw)
    assert record.patient.id == "0b9e"
    assert [c.ref for c in record.conditions] == ["Condition/c1"]


def test_ref_uses_full_url_when_the_resource_has_no_id() -> None:
    raw = bundle()
    no_id = condition()
    del no_id["id"]
    raw["entry"].append({"fullUrl": "urn:uuid:77aa", "resource": no_id})
    assert [c.ref for c in read_bundle(raw).conditions] == ["urn:uuid:77aa"]


# --- tolerance: one bad record never stops the rest --------------------------------------------


def test_code_only_in_text() -> None:
    record = read(condition(code={"text": "Heterotopic ossification, left hip"}))
    (found,) = record.conditions
    assert found.codings == ()
    assert found.text == "Heterotopic ossification, left hip"


def test_minimal_resources_without_optional_fields() -> None:
    record = read(
        {"resourceType": "Condition", "id": "bare"},
        {"resourceType": "Procedure", "id": "pr", "status": "completed"},
    )
    (bare,) = record.conditions
    assert bare.codings == ()
    assert bare.text is None
    assert bare.onset is None
    assert bare.active is True
    assert bare.site == BodySite()
    assert record.procedures[0].ref == "Procedure/pr"
    assert record.stats.warnings == ()


def test_missing_subject_is_the_bundle_patient() -> None:
    no_subject = condition()
    del no_subject["subject"]
    assert [c.ref for c in read(no_subject).conditions] == ["Condition/c1"]


@pytest.mark.parametrize(
    "reference",
    ["Patient/p1", "urn:uuid:p1", "https://ehr.example/fhir/Patient/p1/_history/3"],
)
def test_subject_forms_of_the_same_patient(reference: str) -> None:
    record = read(condition(subject={"reference": reference}))
    assert [c.ref for c in record.conditions] == ["Condition/c1"]


def test_resource_about_another_patient_is_skipped_with_a_warning() -> None:
    record = read(
        condition("mine"),
        condition("theirs", subject={"reference": "Patient/p2"}),
        {
            "resourceType": "AllergyIntolerance",
            "id": "a1",
            "patient": {"reference": "Patient/p2"},
            "code": {"text": "penicillin"},
        },
    )
    assert [c.ref for c in record.conditions] == ["Condition/mine"]
    assert record.allergies == ()
    assert record.stats.resources == 4
    assert record.stats.ignored_resources == 2
    assert record.stats.warnings == (
        "Condition/theirs skipped: it is about Patient/p2, not Patient/p1",
        "AllergyIntolerance/a1 skipped: it is about Patient/p2, not Patient/p1",
    )


def test_invalid_resource_is_skipped_and_the_rest_load() -> None:
    bad = observation("bad", status=5)
    record = read(observation("before"), bad, observation("after"))
    assert [o.ref for o in record.observations] == ["Observation/before", "Observation/after"]
    assert record.stats.ignored_resources == 1
    assert record.stats.warnings == (
        "Observation/bad skipped: status: Input should be a valid string",
    )


def test_invalid_nested_element_is_named_by_its_path() -> None:
    bad = observation("bad", code={"coding": [{"system": LOINC, "code": 6768}]})
    record = read(bad)
    assert record.observations == ()
    assert record.stats.warnings == (
        "Observation/bad skipped: code.coding[0].code: Input should be a valid string",
    )


def test_unknown_elements_are_tolerated_with_a_warning() -> None:
    record = read(condition(vendorFlag=True))
    assert [c.ref for c in record.conditions] == ["Condition/c1"]
    assert record.stats.warnings == ("Condition/c1: unknown element vendorFlag ignored",)
    assert record.stats.ignored_resources == 0


def test_unsupported_types_and_requests_without_resources() -> None:
    raw = bundle(condition(), {"resourceType": "Encounter", "id": "e1", "status": "finished"})
    raw["entry"].append({"request": {"method": "DELETE", "url": "Observation/9"}})
    raw["entry"].append({"resource": {"id": "no-type"}})
    raw["entry"].append("not an entry")
    record = read_bundle(raw)
    assert len(record.conditions) == 1
    assert record.stats.resources == 4  # Patient, Condition, Encounter, the typeless one
    assert record.stats.ignored_resources == 2
    assert record.stats.warnings == (
        "entry 4 skipped: the resource has no resourceType",
        "entry 5 skipped: it is not a JSON object",
    )


def test_duplicate_resource_is_imported_once() -> None:
    record = read(condition(), condition())
    assert len(record.conditions) == 1
    assert record.stats.warnings == (
        "Condition/c1 skipped: it appears more than once in the Bundle",
    )


# --- dates -------------------------------------------------------------------------------------


def test_partial_dates_and_date_times() -> None:
    record = read(
        condition("year", onsetDateTime="2024"),
        condition("month", onsetDateTime="2024-05"),
        condition("late", onsetDateTime="2024-05-01T23:30:00-05:00"),
    )
    assert [c.onset for c in record.conditions] == [
        date(2024, 1, 1),
        date(2024, 5, 1),
        date(2024, 5, 1),
    ]


# --- Condition ---------------------------------------------------------------------------------


def test_condition_fields() -> None:
    (found,) = read(
        condition(
            onsetPeriod={"start": "2024-01-10"},
            abatementDateTime="2024-02-01",
            recordedDate="2024-01-11T08:00:00Z",
            clinicalStatus=concept(
                "http://terminology.hl7.org/CodeSystem/condition-clinical", "active"
            ),
        )
    ).conditions
    assert found.codings == (Coding("icd10cm", "S14.111A", "Complete lesion at C1"),)
    assert found.text == "Complete lesion at C1"
    assert found.onset == date(2024, 1, 10)
    assert found.abatement == date(2024, 2, 1)
    assert found.recorded == date(2024, 1, 11)
    assert found.active is True
    assert found.refuted is False


def test_condition_onset_string_and_abatement_period() -> None:
    record = read(
        condition("parses", onsetString="2023-11-02", abatementPeriod={"end": "2023-11-20"}),
        condition("free-text", onsetString="in childhood"),
    )
    parses, free_text = record.conditions
    assert parses.onset == date(2023, 11, 2)
    assert parses.abatement == date(2023, 11, 20)
    assert free_text.onset is None


@pytest.mark.parametrize(
    ("status", "active"),
    [
        ("active", True),
        ("recurrence", True),
        ("relapse", True),
        ("inactive", False),
        ("remission", False),
        ("resolved", False),
        (None, True),
    ],
)
def test_condition_clinical_status(status: str | None, active: bool) -> None:
    fields: dict[str, Any] = {"clinicalStatus": concept("http://x", status)} if status else {}
    assert read(condition(**fields)).conditions[0].active is active


def test_condition_without_status_but_abated_is_not_active() -> None:
    (coma,) = read(condition(onsetDateTime="2024-01-01", abatementDateTime="2024-01-20")).conditions
    assert coma.active is False


@pytest.mark.parametrize("status", ["refuted", "entered-in-error"])
def test_refuted_condition_is_skipped(status: str) -> None:
    record = read(condition(verificationStatus=concept("http://x", status)), condition("kept"))
    assert [c.ref for c in record.conditions] == ["Condition/kept"]
    assert record.stats.ignored_resources == 1
    assert record.stats.warnings == ()


# --- Procedure ---------------------------------------------------------------------------------


def procedure(pid: str, status: str | None = "completed", **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": pid,
        "code": concept(SNOMED, "52734007", "Total replacement of hip"),
        "subject": {"reference": "Patient/p1"},
        **fields,
    }
    if status is not None:
        resource["status"] = status
    return resource


def test_procedure_fields_and_statuses() -> None:
    record = read(
        procedure(
            "done",
            performedDateTime="2024-03-01T10:00:00+01:00",
            bodySite=[{"coding": [LEFT], "text": "hip"}],
        ),
        procedure("period", performedPeriod={"start": "2024-03-02", "end": "2024-03-03"}),
        procedure("running", status="in-progress"),
        procedure("nostatus", status=None),
        procedure("notdone", status="not-done"),
        procedure("error", status="entered-in-error"),
    )
    done, period, *_ = record.procedures
    assert [p.ref for p in record.procedures] == [
        "Procedure/done",
        "Procedure/period",
        "Procedure/running",
        "Procedure/nostatus",
    ]
    assert done.codings == (Coding("snomed", "52734007", "Total replacement of hip"),)
    assert done.performed == date(2024, 3, 1)
    assert done.site == BodySite("hip", "left")
    assert period.performed == date(2024, 3, 2)
    assert [p.completed for p in record.procedures] == [True, True, False, True]
    assert record.stats.ignored_resources == 2


# --- Observation -------------------------------------------------------------------------------


def test_lab_observation_fields() -> None:
    (alp,) = read(
        observation(
            effectiveDateTime="2024-04-02T07:15:00Z",
            valueQuantity={"value": 240, "unit": "U/L", "code": "U/L"},
            interpretation=[
                concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "H")
            ],
            referenceRange=[{"low": {"value": 44}, "high": {"value": 147}}],
        )
    ).observations
    assert alp.codings == (Coding("loinc", "6768-6", "Alkaline phosphatase"),)
    assert alp.effective == date(2024, 4, 2)
    assert alp.value_quantity == 240.0
    assert alp.unit == "U/L"
    assert alp.interpretation == "H"
    assert (alp.reference_low, alp.reference_high) == (44.0, 147.0)
    assert alp.cancelled is False


def test_observation_zero_quantity_keeps_its_unit_and_effective_fallbacks() -> None:
    record = read(
        observation(
            "zero",
            valueQuantity={"value": 0, "code": "deg"},
            effectivePeriod={"start": "2024-01-02"},
        ),
        observation("issued", issued="2024-01-03T10:00:00Z"),
    )
    zero, issued = record.observations
    assert (zero.value_quantity, zero.unit, zero.effective) == (0.0, "deg", date(2024, 1, 2))
    assert issued.effective == date(2024, 1, 3)


def test_observation_boolean_and_coded_values() -> None:
    record = read(
        observation("pain", code=concept(FINDING, "knee-pain"), valueBoolean=True),
        observation(
            "scan",
            code=concept(FINDING, "bone-scan-ho"),
            valueCodeableConcept=concept(FINDING, "positive"),
        ),
        observation(
            "text", code=concept(FINDING, "radiograph-ho"), valueCodeableConcept={"text": "present"}
        ),
    )
    pain, scan, text = record.observations
    assert (pain.value_bool, pain.value_code, pain.value_quantity) == (True, None, None)
    assert pain.site == BodySite("knee", None)
    assert scan.value_code == "positive"
    assert text.value_code == "present"
    assert scan.codings == (Coding("finding", "bone-scan-ho"),)


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_cancelled_observation_is_skipped(status: str) -> None:
    record = read(observation("x", status=status), observation("kept"))
    assert [o.ref for o in record.observations] == ["Observation/kept"]
    assert record.stats.ignored_resources == 1


# --- sites -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "body_site", "site"),
    [
        ("hip-flexion-rom", {"coding": [LEFT]}, BodySite("hip", "left")),
        ("elbow-extension-rom", {"coding": [RIGHT]}, BodySite("elbow", "right")),
        # the finding code names the joint even when bodySite names another
        ("shoulder-abduction-rom", {"text": "left knee"}, BodySite("shoulder", "left")),
        (
            "spasticity",
            {"coding": [{"system": SNOMED, "code": "72696002"}, RIGHT]},
            BodySite("knee", "right"),
        ),
        (
            "spasticity",
            {"coding": [{"system": SNOMED, "code": "24136001", "display": "Hip joint"}]},
            BodySite("hip", None),
        ),
        ("spasticity", {"text": "Right KNEE"}, BodySite("knee", "right")),
        ("spasticity", {"text": "lt shoulder"}, BodySite("shoulder", "left")),
        (
            "spasticity",
            {"coding": [{"system": "http://local", "code": "x", "display": "Left elbow"}]},
            BodySite("elbow", "left"),
        ),
        ("spasticity", {"coding": [LEFT, RIGHT]}, BodySite(None, None)),  # conflicting sides
        ("spasticity", {"text": "both hips"}, BodySite("hip", None)),
        ("spasticity", {"text": "forearm"}, BodySite(None, None)),
    ],
)
def test_observation_site(code: str, body_site: dict[str, Any], site: BodySite) -> None:
    record = read(observation(code=concept(FINDING, code), bodySite=body_site))
    assert record.observations[0].site == site


def test_condition_and_procedure_site_from_body_site() -> None:
    record = read(
        condition(code=concept(ICD10CM, "M61.9"), bodySite=[{"text": "right hip"}]),
        # ICD-10-CM sites (M25.551: right hip) are the engine's to read, not the importer's
        condition("c2", code=concept(ICD10CM, "M25.551")),
        procedure("pr", bodySite=[{"coding": [{"system": SNOMED, "code": "16953009"}, LEFT]}]),
    )
    assert [c.site for c in record.conditions] == [BodySite("hip", "right"), BodySite()]
    assert record.procedures[0].site == BodySite("elbow", "left")


# --- medications -------------------------------------------------------------------------------


def med_request(mid: str, status: str | None = "active", **fields: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": mid,
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        **fields,
    }
    if "medicationReference" not in fields:
        resource.setdefault("medicationCodeableConcept", concept(RXNORM, "11289", "warfarin"))
    if status is not None:
        resource["status"] = status
    return resource


def med_statement(mid: str, status: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": mid,
        "status": status,
        "medicationCodeableConcept": concept(RXNORM, "5640", "ibuprofen"),
        "subject": {"reference": "Patient/p1"},
        **fields,
    }


@pytest.mark.parametrize(
    ("status", "active"),
    [
        ("active", True),
        ("on-hold", True),
        ("draft", True),
        ("unknown", True),
        (None, True),
        ("stopped", False),
        ("completed", False),
        ("cancelled", False),
    ],
)
def test_medication_request_status(status: str | None, active: bool) -> None:
    (med,) = read(med_request("m", status)).medications
    assert med.active is active


@pytest.mark.parametrize(
    ("status", "active"),
    [("active", True), ("intended", True), ("stopped", False), ("completed", False)],
)
def test_medication_statement_status(status: str, active: bool) -> None:
    (med,) = read(med_statement("s", status)).medications
    assert med.active is active
    assert med.codings == (Coding("rxnorm", "5640", "ibuprofen"),)


@pytest.mark.parametrize("status", ["not-taken", "entered-in-error"])
def test_medication_statements_not_taken_are_skipped(status: str) -> None:
    record = read(med_statement("s", status), med_request("kept"))
    assert [m.ref for m in record.medications] == ["MedicationRequest/kept"]
    assert record.stats.ignored_resources == 1


def test_medication_dates() -> None:
    record = read(
        med_request("ordered", authoredOn="2024-02-01T09:00:00Z"),
        med_request(
            "bounded",
            dosageInstruction=[
                {
                    "timing": {
                        "repeat": {"boundsPeriod": {"start": "2024-02-03", "end": "2024-02-17"}}
                    }
                }
            ],
        ),
        med_statement(
            "taken", "active", effectivePeriod={"start": "2024-01-05", "end": "2024-01-25"}
        ),
        med_statement("once", "completed", effectiveDateTime="2024-01-07"),
    )
    assert [(m.start, m.end) for m in record.medications] == [
        (date(2024, 2, 1), None),
        (date(2024, 2, 3), date(2024, 2, 17)),
        (date(2024, 1, 5), date(2024, 1, 25)),
        (date(2024, 1, 7), None),
    ]


def test_medication_reference_resolution() -> None:
    indomethacin = {
        "resourceType": "Medication",
        "id": "indo",
        "code": concept(RXNORM, "5781", "indomethacin"),
    }
    raw = bundle(
        med_request("by-id", medicationReference={"reference": "Medication/indo"}),
        med_request("by-url", medicationReference={"reference": "urn:uuid:9f1c"}),
        med_request(
            "contained",
            medicationReference={"reference": "#m"},
            contained=[
                {"resourceType": "Medication", "id": "m", "code": {"text": "etidronate 200 mg"}}
            ],
        ),
        med_request(
            "missing",
            medicationReference={"reference": "Medication/gone", "display": "Aspirin 81 mg"},
        ),
    )
    raw["entry"].append({"resource": indomethacin})
    raw["entry"].append({"fullUrl": "urn:uuid:9f1c", "resource": {**indomethacin, "id": "other"}})
    record = read_bundle(raw)
    by_id, by_url, contained, missing = record.medications
    assert by_id.codings == (Coding("rxnorm", "5781", "indomethacin"),)
    assert by_id.text == "indomethacin"
    assert by_url.codings == by_id.codings
    assert contained.codings == ()
    assert contained.text == "etidronate 200 mg"
    assert missing.codings == ()
    assert missing.text == "Aspirin 81 mg"
    assert record.stats.warnings == (
        "MedicationRequest/missing: medication Medication/gone is not in the Bundle",
    )
    assert record.stats.ignored_resources == 0


# --- AllergyIntolerance ------------------------------------------------------------------------


def allergy(aid: str, **fields: Any) -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": aid,
        "patient": {"reference": "Patient/p1"},
        "code": concept(RXNORM, "5640", "ibuprofen"),
        **fields,
    }


def test_allergies() -> None:
    record = read(
        allergy("recorded", recordedDate="2020-06-01"),
        allergy(
            "onset", onsetDateTime="2019-01-02", clinicalStatus=concept("http://x", "resolved")
        ),
        allergy("refuted", verificationStatus=concept("http://x", "refuted")),
        allergy("inactive", clinicalStatus=concept("http://x", "inactive")),
    )
    recorded, onset, inactive = record.allergies
    assert recorded.codings == (Coding("rxnorm", "5640", "ibuprofen"),)
    assert recorded.text == "ibuprofen"
    assert (recorded.recorded, recorded.active) == (date(2020, 6, 1), True)
    assert (onset.recorded, onset.active) == (date(2019, 1, 2), False)
    assert inactive.active is False
    assert record.stats.ignored_resources == 1


# --- DiagnosticReport --------------------------------------------------------------------------


def test_diagnostic_report_with_a_conclusion_becomes_an_observation() -> None:
    result = observation(
        "r1",
        code=concept(FINDING, "bone-scan-ho"),
        valueCodeableConcept=concept(FINDING, "positive"),
    )
    report = {
        "resourceType": "DiagnosticReport",
        "id": "scan",
        "status": "final",
        "code": concept(FINDING, "bone-scan-ho", "Triple-phase bone scan"),
        "effectiveDateTime": "2024-05-20",
        "result": [{"reference": "Observation/r1"}],
        "conclusionCode": [concept(FINDING, "positive")],
    }
    record = read(result, report)
    refs = [o.ref for o in record.observations]
    assert refs == ["Observation/r1", "DiagnosticReport/scan"]  # the result once, not twice
    conclusion = record.observations[1]
    assert conclusion.codings == (Coding("finding", "bone-scan-ho", "Triple-phase bone scan"),)
    assert conclusion.value_code == "positive"
    assert conclusion.effective == date(2024, 5, 20)
    assert record.stats.ignored_resources == 0


def test_diagnostic_report_contained_results() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "labs",
        "status": "final",
        "code": {"text": "Bone panel"},
        "contained": [
            observation("alp", valueQuantity={"value": 300, "unit": "U/L"}),
            observation("gone", status="cancelled"),
        ],
        "result": [{"reference": "#alp"}, {"reference": "#gone"}],
    }
    (alp,) = read(report).observations
    assert alp.ref == "DiagnosticReport/labs#alp"
    assert alp.value_quantity == 300.0


def test_diagnostic_report_without_anything_of_its_own_is_counted_ignored() -> None:
    report = {
        "resourceType": "DiagnosticReport",
        "id": "empty",
        "status": "final",
        "code": {"text": "X-ray hip"},
        "conclusion": "No acute findings.",
    }
    record = read(report)
    assert record.observations == ()
    assert record.stats.ignored_resources == 1


# --- code systems and unknown codes ------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "alias"),
    [
        ("http://snomed.info/sct/", "snomed"),
        ("https://snomed.info/sct", "snomed"),
        ("urn:oid:2.16.840.1.113883.6.90", "icd10cm"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "icd10cm"),
        ("urn:oid:2.16.840.1.113883.6.1", "loinc"),
        ("http://www.nlm.nih.gov/research/umls/rxnorm/", "rxnorm"),
        (FINDING, "finding"),
        ("http://example.org/local-codes", "http://example.org/local-codes"),
    ],
)
def test_code_system_aliases(uri: str, alias: str) -> None:
    (found,) = read(condition(code=concept(uri, "X1"))).conditions
    assert found.codings[0].system == alias


def test_icd10cm_codes_are_written_canonically() -> None:
    (found,) = read(condition(code=concept(ICD10CM, "s1411xa"))).conditions
    assert found.codings[0].code == "S14.11XA"


class StubKnowledge:
    def __init__(self, known: set[tuple[str, str]]) -> None:
        self.known = known
        self.asked: list[tuple[str, str]] = []

    def is_known_code(self, system: str, code: str) -> bool:
        self.asked.append((system, code))
        return (system, code) in self.known


def test_unknown_codes_are_counted_in_known_systems_only() -> None:
    stub = StubKnowledge({("snomed", "52734007"), ("loinc", "6768-6")})
    lookup: CodeLookup = stub
    resources = (
        procedure("hip"),  # known
        observation("alp"),  # known
        condition("sci"),  # icd10cm S14.111A: unknown
        condition("local", code=concept("http://example.org/local", "Z")),  # not a known system
        med_request("warf"),  # rxnorm 11289: unknown
    )
    record = read(*resources, knowledge=lookup)
    assert record.stats.unknown_codes == 2
    assert ("http://example.org/local", "Z") not in stub.asked
    assert read(*resources).stats.unknown_codes == 0


def test_interpretation_is_a_code_never_free_text() -> None:
    record = read(observation(interpretation=[{"text": "High"}]))
    assert record.observations[0].interpretation is None


def test_missing_required_status_and_intent_are_tolerated() -> None:
    request = med_request("m", status=None)
    del request["intent"]
    no_status = observation("o")
    del no_status["status"]
    record = read(request, no_status)
    assert [m.active for m in record.medications] == [True]
    assert [o.ref for o in record.observations] == ["Observation/o"]
    assert record.stats.warnings == ()
