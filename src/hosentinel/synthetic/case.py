"""A synthetic case (one invented patient, a story, and what the engine should conclude), and
the case as a FHIR R4 collection Bundle with stable ids (uuid5 of the case's slug: no clock, no
randomness, the same bytes on every run).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from hosentinel.synthetic.builders import Resource

# Fixed namespace: resource ids are uuid5(namespace, "<case slug>/<n>"), stable across runs.
ID_NAMESPACE = uuid.UUID("6f1d2c0e-3b7a-5c9e-9a41-0d5e8b2f7c13")


@dataclass(frozen=True)
class Case:
    number: int
    slug: str
    title: str
    population: str
    stage: str
    as_of: date
    story: str
    patient: Resource
    resources: list[Resource]
    expect: Resource
    # "urn": references are urn:uuid fullUrls (Synthea bundles); "relative": Patient/<id>.
    references: Literal["urn", "relative"] = "urn"
    # Entries written as given, after the resources (e.g. an entry with no resource).
    raw_entries: list[Resource] = field(default_factory=list)

    @property
    def file(self) -> str:
        return f"{self.number:02d}-{self.slug}.json"


def resource_id(case: Case, n: int) -> str:
    return str(uuid.uuid5(ID_NAMESPACE, f"{case.slug}/{n}"))


def bundle(case: Case) -> Resource:
    """The case as a FHIR R4 collection Bundle: ids assigned, references filled in."""
    patient_id = resource_id(case, 0)
    ids = {id(res): resource_id(case, n) for n, res in enumerate(case.resources, start=1)}

    def reference(res: Resource) -> str:
        rid = ids[id(res)]
        return f"urn:uuid:{rid}" if case.references == "urn" else f"{res['resourceType']}/{rid}"

    patient_ref = f"urn:uuid:{patient_id}" if case.references == "urn" else f"Patient/{patient_id}"
    entries = [
        {
            "fullUrl": f"urn:uuid:{patient_id}",
            "resource": {"resourceType": "Patient", "id": patient_id}
            | {k: v for k, v in case.patient.items() if k != "resourceType"},
        }
    ]
    for res in case.resources:
        rid = ids[id(res)]
        out: Resource = {"resourceType": res["resourceType"], "id": rid}
        for key, value in res.items():
            if key == "resourceType":
                continue
            if key.startswith("_link:"):
                target = key.removeprefix("_link:")
                if isinstance(value, list):
                    out[target] = [{"reference": reference(item)} for item in value]
                else:
                    out[target] = {"reference": reference(value)}
            else:
                out[key] = value
        owner = "patient" if res["resourceType"] == "AllergyIntolerance" else "subject"
        out.setdefault(owner, {"reference": patient_ref})
        entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": out})
    entries.extend(case.raw_entries)
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(ID_NAMESPACE, f"{case.slug}/bundle")),
        "type": "collection",
        "timestamp": f"{case.as_of.isoformat()}T07:00:00-05:00",
        "entry": entries,
    }
