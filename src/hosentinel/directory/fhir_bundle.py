"""Read a FHIR R4 directory Bundle: PractitionerRole -> Practitioner (NPI, name) + Location
(practice address) + specialty (NUCC codes). One clinician per practitioner; several roles of the
same practitioner add their specialties. Each resource is checked with the fhir.resources R4B
model; an entry that fails, or a role without an NPI, a supported specialty or a known ZIP code,
is reported as a problem with its entry number, and reading goes on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.practitioner import Practitioner as FhirPractitioner
from fhir.resources.R4B.practitionerrole import PractitionerRole as FhirPractitionerRole

from hosentinel.directory.geo import ZipError, zip_place
from hosentinel.directory.npi import valid_npi
from hosentinel.directory.records import ClinicianIn, Problem
from hosentinel.directory.taxonomy import NUCC_SYSTEM, taxonomy

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
_MODELS: dict[str, Any] = {
    "Practitioner": FhirPractitioner,
    "PractitionerRole": FhirPractitionerRole,
    "Location": FhirLocation,
}


class DirectoryBundleError(ValueError):
    """Not a FHIR Bundle at all."""


@dataclass(slots=True)
class _Merged:
    where: str
    practitioner: dict[str, Any]
    location: dict[str, Any]
    codes: list[str] = field(default_factory=list)


def _key(resource: dict[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _ref(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("reference"), str):
        return str(value["reference"])
    return None


def _npi(practitioner: dict[str, Any]) -> str | None:
    for identifier in practitioner.get("identifier") or []:
        if identifier.get("system") == NPI_SYSTEM:
            return str(identifier.get("value") or "").strip()
    return None


def _phone(*resources: dict[str, Any]) -> str | None:
    for resource in resources:
        for telecom in resource.get("telecom") or []:
            if telecom.get("system") == "phone" and telecom.get("value"):
                return str(telecom["value"])
    return None


def read_directory_bundle(raw: bytes) -> Iterator[ClinicianIn | Problem]:
    try:
        bundle = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DirectoryBundleError(f"not JSON: {exc}") from exc
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise DirectoryBundleError("not a FHIR Bundle (resourceType must be Bundle)")
    resources: dict[str, dict[str, Any]] = {}
    roles: list[tuple[str, dict[str, Any]]] = []
    for number, entry in enumerate(bundle.get("entry") or [], start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or resource.get("resourceType") not in _MODELS:
            continue
        where = f"entry {number} ({_key(resource)})"
        try:
            _MODELS[resource["resourceType"]].model_validate(resource)
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            yield Problem(where, "bad", f"not a valid {resource['resourceType']}: {first}")
            continue
        resources[_key(resource)] = resource
        if isinstance(entry.get("fullUrl"), str):
            resources[entry["fullUrl"]] = resource
        if resource["resourceType"] == "PractitionerRole":
            roles.append((where, resource))
    merged: dict[str, _Merged] = {}
    supported = taxonomy().by_code
    for where, role in roles:
        practitioner = resources.get(_ref(role.get("practitioner")) or "")
        if practitioner is None:
            yield Problem(where, "bad", "its practitioner is not in the Bundle")
            continue
        npi = _npi(practitioner)
        if not npi or not valid_npi(npi):
            yield Problem(where, "bad", "the practitioner has no valid NPI identifier", npi)
            continue
        locations = [resources.get(_ref(r) or "") for r in role.get("location") or []]
        location = next((loc for loc in locations if loc is not None), None)
        if location is None:
            yield Problem(where, "bad", "no practice Location in the Bundle", npi)
            continue
        codes = [
            str(coding.get("code", "")).upper()
            for concept in role.get("specialty") or []
            for coding in concept.get("coding") or []
            if coding.get("system") == NUCC_SYSTEM
        ]
        codes = [c for c in codes if c in supported]
        if not codes:
            yield Problem(where, "skipped", "no supported specialty", npi)
            continue
        item = merged.setdefault(npi, _Merged(where, practitioner, location))
        item.codes += [c for c in codes if c not in item.codes]
    for npi, item in merged.items():
        address = item.location.get("address") or {}
        names = item.practitioner.get("name") or [{}]
        name = names[0]
        lines = [str(x) for x in address.get("line") or []]
        try:
            place = zip_place(str(address.get("postalCode") or ""))
        except ZipError as exc:
            yield Problem(item.where, "bad", str(exc), npi)
            continue
        if not name.get("family") or not lines:
            yield Problem(item.where, "bad", "no family name or no address line", npi)
            continue
        qualification = [
            q.get("code", {}).get("text")
            for q in item.practitioner.get("qualification") or []
            if q.get("code", {}).get("text")
        ]
        yield ClinicianIn(
            npi=npi,
            last_name=str(name["family"]),
            first_name=" ".join(str(g) for g in name.get("given") or []),
            credential=", ".join(qualification) or None,
            address1=lines[0],
            address2=", ".join(lines[1:]) or None,
            city=str(address.get("city") or place.city),
            state=str(address.get("state") or place.state),
            zip5=place.zip5,
            phone=_phone(item.location, item.practitioner),
            lat=place.lat,
            lon=place.lon,
            taxonomies=tuple((c, i == 0) for i, c in enumerate(item.codes)),
            source="fhir",
        )
