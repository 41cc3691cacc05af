"""What the ward knows a patient by, from FHIR R4: the medical record number, the bed and the
attending physician. Shown on the worklist and the patient banner, never read by the engine.

- MRN: `Patient.identifier` whose `type` is HL7 v2 table 0203 code `MR` ("Medical record
  number", system http://terminology.hl7.org/CodeSystem/v2-0203), or whose `type.text` is "MRN";
  an identifier with `use` "old" is passed over.
- Bed: the patient's current Encounter (status `in-progress` first, then the latest start) and
  its `location` whose `physicalType` (or the referenced Location's) is `bd` ("Bed", system
  http://terminology.hl7.org/CodeSystem/location-physical-type); an `active` one first.
- Attending: that Encounter's `participant` whose `type` is `ATND` ("attender", system
  http://terminology.hl7.org/CodeSystem/v3-ParticipationType): `individual.display`, or the name
  of the Practitioner it references when the Bundle holds it.
Anything absent stays None: nothing is guessed from other fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hosentinel.fhir.names import display_name

IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"

# Encounter.status values of a stay that is going on, best first (FHIR R4 encounter-status).
_CURRENT = ("in-progress", "arrived", "triaged", "onleave")
_LIMITS = {"mrn": 64, "bed": 80, "attending": 200}


@dataclass(frozen=True, slots=True)
class PatientIds:
    mrn: str | None = None
    bed: str | None = None
    attending: str | None = None

    def given(self) -> dict[str, str]:
        """The identifiers present, cut to what the database holds."""
        return {
            k: v[: _LIMITS[k]]
            for k, v in (("mrn", self.mrn), ("bed", self.bed), ("attending", self.attending))
            if v
        }


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _list(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _has_code(concept: object, system: str, code: str) -> bool:
    if not isinstance(concept, Mapping):
        return False
    return any(
        c.get("system") == system and c.get("code") == code for c in _list(concept.get("coding"))
    )


def mrn_of(patient: Mapping[str, Any]) -> str | None:
    for ident in _list(patient.get("identifier")):
        if ident.get("use") == "old":
            continue
        kind = ident.get("type")
        named = isinstance(kind, Mapping) and (_text(kind.get("text")) or "").upper() == "MRN"
        if _has_code(kind, IDENTIFIER_TYPE, "MR") or named:
            value = _text(ident.get("value"))
            if value:
                return value
    return None


def _about(resource: Mapping[str, Any], patient_keys: set[str]) -> bool:
    """True unless the resource names another subject (a Bundle is one patient's)."""
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, Mapping) else None
    return not isinstance(ref, str) or ref in patient_keys


def _current(encounters: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    def start(e: Mapping[str, Any]) -> str:
        period = e.get("period")
        value = period.get("start") if isinstance(period, Mapping) else None
        return value if isinstance(value, str) else ""

    def rank(e: Mapping[str, Any]) -> tuple[int, str]:
        status = e.get("status")
        order = len(_CURRENT) - _CURRENT.index(status) if status in _CURRENT else 0
        return (order, start(e))

    return max(encounters, key=rank) if encounters else None


def _resolve(ref: object, by_ref: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if not isinstance(ref, Mapping):
        return None
    key = ref.get("reference")
    return by_ref.get(key) if isinstance(key, str) else None


def _bed(encounter: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]) -> str | None:
    beds: list[tuple[bool, str]] = []
    for place in _list(encounter.get("location")):
        target = place.get("location")
        resource = _resolve(target, by_ref)
        is_bed = _has_code(place.get("physicalType"), PHYSICAL_TYPE, "bd") or (
            resource is not None and _has_code(resource.get("physicalType"), PHYSICAL_TYPE, "bd")
        )
        name = (_text(target.get("display")) if isinstance(target, Mapping) else None) or (
            _text(resource.get("name")) if resource is not None else None
        )
        if is_bed and name:
            beds.append((place.get("status") == "active", name))
    chosen = [name for is_active, name in beds if is_active] or [name for _, name in beds]
    return chosen[-1] if chosen else None


def _attending(encounter: Mapping[str, Any], by_ref: Mapping[str, Mapping[str, Any]]) -> str | None:
    for participant in _list(encounter.get("participant")):
        if not any(
            _has_code(kind, PARTICIPATION_TYPE, "ATND") for kind in _list(participant.get("type"))
        ):
            continue
        individual = participant.get("individual")
        shown = _text(individual.get("display")) if isinstance(individual, Mapping) else None
        resource = _resolve(individual, by_ref)
        name = shown or (display_name(resource) if resource is not None else None)
        if name:
            return name
    return None


def patient_ids(
    resources: Iterable[Mapping[str, Any]], full_urls: Mapping[str, Mapping[str, Any]] | None = None
) -> PatientIds:
    """The identifiers of the one Patient among `resources` (a Bundle's or a Bulk export's
    resources for that patient); empty when there is no Patient. `full_urls` maps a Bundle
    entry's fullUrl to its resource, for references written that way (urn:uuid:...)."""
    items = [r for r in resources if isinstance(r, Mapping)]
    patient = next((r for r in items if r.get("resourceType") == "Patient"), None)
    if patient is None:
        return PatientIds()
    by_ref = dict(full_urls or {})
    by_ref.update(
        (f"{r.get('resourceType')}/{r.get('id')}", r) for r in items if isinstance(r.get("id"), str)
    )
    keys = {ref for ref, r in by_ref.items() if r is patient}
    encounters = [r for r in items if r.get("resourceType") == "Encounter" and _about(r, keys)]
    encounter = _current(encounters)
    return PatientIds(
        mrn=mrn_of(patient),
        bed=_bed(encounter, by_ref) if encounter is not None else None,
        attending=_attending(encounter, by_ref) if encounter is not None else None,
    )


def bundle_ids(bundle: object) -> PatientIds:
    """`patient_ids` of a parsed Bundle (anything else: none)."""
    if not isinstance(bundle, Mapping):
        return PatientIds()
    entries = [e for e in _list(bundle.get("entry")) if isinstance(e.get("resource"), Mapping)]
    full_urls = {e["fullUrl"]: e["resource"] for e in entries if isinstance(e.get("fullUrl"), str)}
    return patient_ids([e["resource"] for e in entries], full_urls)
