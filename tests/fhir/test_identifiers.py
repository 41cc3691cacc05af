"""The ward identifiers read from FHIR R4: MRN (Patient.identifier type v2-0203 MR), bed
(Encounter.location with physicalType bd) and attending (Encounter.participant type ATND)."""

from __future__ import annotations

from typing import Any

from hosentinel.fhir.identifiers import (
    IDENTIFIER_TYPE,
    PARTICIPATION_TYPE,
    PHYSICAL_TYPE,
    PatientIds,
    bundle_ids,
    patient_ids,
)

MR = {"coding": [{"system": IDENTIFIER_TYPE, "code": "MR", "display": "Medical record number"}]}
BED = {"coding": [{"system": PHYSICAL_TYPE, "code": "bd", "display": "Bed"}]}
ROOM = {"coding": [{"system": PHYSICAL_TYPE, "code": "ro", "display": "Room"}]}
ATND = [{"coding": [{"system": PARTICIPATION_TYPE, "code": "ATND", "display": "attender"}]}]
ADM = [{"coding": [{"system": PARTICIPATION_TYPE, "code": "ADM", "display": "admitter"}]}]


def patient(**extra: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", **extra}


def encounter(eid: str, status: str, start: str, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "period": {"start": start},
        **extra,
    }


def test_the_mrn_is_the_identifier_typed_mr_and_not_an_old_one() -> None:
    ids = patient_ids(
        [
            patient(
                identifier=[
                    {"system": "urn:ssn", "value": "999-00-1234"},
                    {"use": "old", "type": MR, "value": "OLD-1"},
                    {"type": MR, "system": "urn:oid:1.2.3", "value": " M123456 "},
                ]
            )
        ]
    )
    assert ids.mrn == "M123456"
    assert patient_ids([patient(identifier=[{"type": {"text": "MRN"}, "value": "E42"}])]).mrn == (
        "E42"
    )
    # Another identifier type is not an MRN, whatever its value looks like.
    assert patient_ids([patient(identifier=[{"value": "M1"}])]) == PatientIds()


def test_bed_and_attending_come_from_the_current_encounter() -> None:
    old = encounter(
        "e-old",
        "finished",
        "2026-01-01",
        location=[{"location": {"display": "Bed 1A"}, "physicalType": BED}],
        participant=[{"type": ATND, "individual": {"display": "Dr Old"}}],
    )
    now = encounter(
        "e-now",
        "in-progress",
        "2025-12-01",  # earlier start, but the stay going on wins
        location=[
            {"location": {"display": "4 West"}, "physicalType": ROOM, "status": "active"},
            {"location": {"display": "Bed 12"}, "physicalType": BED, "status": "completed"},
            {"location": {"display": "Bed 14"}, "physicalType": BED, "status": "active"},
        ],
        participant=[
            {"type": ADM, "individual": {"display": "Dr Admitter"}},
            {"type": ATND, "individual": {"display": "Dr Attending"}},
        ],
    )
    ids = patient_ids([patient(), old, now])
    assert ids == PatientIds(mrn=None, bed="Bed 14", attending="Dr Attending")


def test_a_bed_is_only_a_location_typed_bed_and_names_resolve_from_the_bundle() -> None:
    enc = encounter(
        "e1",
        "in-progress",
        "2026-01-01",
        location=[
            {"location": {"display": "Ward 4"}},  # no type: not said to be a bed
            {"location": {"reference": "Location/b7"}},
        ],
        participant=[{"type": ATND, "individual": {"reference": "Practitioner/dr1"}}],
    )
    bed = {"resourceType": "Location", "id": "b7", "name": "4W-07", "physicalType": BED}
    doctor = {
        "resourceType": "Practitioner",
        "id": "dr1",
        "name": [{"family": "Osei", "given": ["Ama"]}],
    }
    assert patient_ids([patient(), enc, bed, doctor]) == PatientIds(None, "4W-07", "Ama Osei")
    assert patient_ids([patient(), enc]) == PatientIds()


def test_another_patients_encounter_is_not_read() -> None:
    other = encounter(
        "e2",
        "in-progress",
        "2026-01-01",
        location=[{"location": {"display": "Bed 9"}, "physicalType": BED}],
    )
    other["subject"] = {"reference": "Patient/someone-else"}
    assert patient_ids([patient(), other]).bed is None


def test_a_transaction_bundle_with_urn_uuid_references() -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": "urn:uuid:aaa",
                "resource": patient(identifier=[{"type": MR, "value": "M9"}]),
            },
            {
                "fullUrl": "urn:uuid:bbb",
                "resource": {
                    "resourceType": "Encounter",
                    "status": "in-progress",
                    "subject": {"reference": "urn:uuid:aaa"},
                    "location": [{"location": {"reference": "urn:uuid:ccc"}}],
                    "participant": [{"type": ATND, "individual": {"display": "Dr Ward"}}],
                },
            },
            {
                "fullUrl": "urn:uuid:ccc",
                "resource": {"resourceType": "Location", "name": "Bed 3", "physicalType": BED},
            },
        ],
    }
    assert bundle_ids(bundle) == PatientIds("M9", "Bed 3", "Dr Ward")
    assert bundle_ids({"resourceType": "Bundle"}) == PatientIds()
    assert bundle_ids([1, 2]) == PatientIds()


def test_malformed_parts_are_passed_over() -> None:
    enc = encounter("e1", "in-progress", "2026-01-01", location="Bed 5", participant=[7, None])
    ids = patient_ids([patient(identifier={"value": "x"}), enc, "junk"])  # type: ignore[list-item]
    assert ids == PatientIds()


def test_given_cuts_to_the_columns_and_leaves_out_what_is_missing() -> None:
    assert PatientIds(mrn="M" * 100, bed=None, attending="").given() == {"mrn": "M" * 64}
