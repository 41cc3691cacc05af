"""What the importer keeps for the engine's safety checks: the patient's death, an unconfirmed
diagnosis, a side named inside a body-site concept, the unit a quantity was sent in.

Sources: FHIR R4 Patient.deceased[x] (deceasedBoolean | deceasedDateTime); Condition
verificationStatus (unconfirmed | provisional | differential | confirmed | refuted |
entered-in-error); SNOMED CT 91775009 "Structure of left shoulder region" and 91774008 "Structure
of right shoulder region"; Quantity.code is the coded (UCUM) unit, Quantity.unit its display.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson

from hosentinel.fhir.importer import read_bundle
from hosentinel.knowledge.loader import default_knowledge

K = default_knowledge()


def bundle(patient: dict[str, Any], *resources: dict[str, Any]) -> bytes:
    entries = [{"resource": {"resourceType": "Patient", "id": "p", **patient}}]
    entries += [{"resource": r} for r in resources]
    return orjson.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries})


def test_deceased_boolean_and_date_are_kept() -> None:
    assert read_bundle(bundle({"deceasedBoolean": True}), knowledge=K).patient.deceased
    dated = read_bundle(bundle({"deceasedDateTime": "2026-03-04T10:00:00Z"}), knowledge=K)
    assert dated.patient.deceased and dated.patient.deceased_on == date(2026, 3, 4)
    alive = read_bundle(bundle({"deceasedBoolean": False}), knowledge=K)
    assert not alive.patient.deceased and alive.patient.deceased_on is None


def test_an_unconfirmed_diagnosis_is_marked() -> None:
    def condition(status: str) -> dict[str, Any]:
        return {
            "resourceType": "Condition",
            "id": status,
            "verificationStatus": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": status,
                    }
                ]
            },
            "code": {
                "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I82.401"}]
            },
        }

    record = read_bundle(
        bundle({}, *(condition(s) for s in ("provisional", "differential", "confirmed"))),
        knowledge=K,
    )
    flags = {c.ref: c.unconfirmed for c in record.conditions}
    assert flags == {
        "Condition/provisional": True,
        "Condition/differential": True,
        "Condition/confirmed": False,
    }


def test_a_sided_shoulder_concept_gives_joint_and_side() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "o",
        "status": "final",
        "code": {
            "coding": [
                {
                    "system": "https://hosentinel.org/fhir/CodeSystem/finding",
                    "code": "shoulder-pain",
                }
            ]
        },
        "effectiveDateTime": "2026-05-01",
        "valueBoolean": True,
        "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "91774008"}]},
    }
    site = read_bundle(bundle({}, obs), knowledge=K).observations[0].site
    assert (site.joint, site.side) == ("shoulder", "right")


def test_the_coded_unit_is_preferred_to_its_display() -> None:
    obs = {
        "resourceType": "Observation",
        "id": "t",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "effectiveDateTime": "2026-05-01",
        "valueQuantity": {
            "value": 98.6,
            "unit": "degrees",
            "system": "http://unitsofmeasure.org",
            "code": "[degF]",
        },
    }
    assert read_bundle(bundle({}, obs), knowledge=K).observations[0].unit == "[degF]"
