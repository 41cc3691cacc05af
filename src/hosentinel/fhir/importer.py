"""Read one FHIR R4 Bundle (one patient) into the engine's `PatientRecord`.

    record = read_bundle(path.read_bytes(), knowledge=default_knowledge())

What stops the whole import (`BundleError`, a one-line message naming the problem): input that is
not JSON, JSON that is not a Bundle, a Bundle without a Patient or with more than one, a Patient
that is not valid FHIR, and -- as the `assess` contract asks -- a malformed date in any date field
the engine reads ("Observation/abc: effectiveDateTime '2024-13-45' is not a date"). A caller that
would rather skip such a resource (bulk work) passes `strict_dates=False`.

Everything else is one resource's problem and never stops the import: a resource that fails
validation against the fhir.resources R4B model, or is about another patient, is skipped with a
one-line warning in `ImportStats.warnings`; unknown elements are tolerated with a warning;
entered-in-error, refuted, cancelled, not-done and not-taken entries are skipped quietly;
unsupported resource types are only counted. All of these count in `ignored_resources`.

Values are read from the JSON itself through `hosentinel.fhir.access` (typed, never raising); the
R4B models are used as the structure check only. Required elements that exports often omit and
the engine does not need are tolerated: `subject`/`patient` (the Bundle holds one patient),
`status` (missing reads as the default: active, completed) and a MedicationRequest's `intent`.
Dates keep their date part as written; partial dates are the period's first day (`dates.py`).
Medication resources in the Bundle (by fullUrl or "Medication/<id>") or contained in the resource
resolve `medicationReference`. DiagnosticReport: a report with `conclusionCode` becomes one
Observation (codings = the report's code, value_code = the first conclusion code, ref
"DiagnosticReport/<id>"); its `result` Observations in the Bundle are imported in their own right
(once), and results contained in the report as "DiagnosticReport/<id>#<contained id>". A report
that adds nothing of its own counts as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson
from fhir.resources.R4B.allergyintolerance import AllergyIntolerance as FhirAllergyIntolerance
from fhir.resources.R4B.condition import Condition as FhirCondition
from fhir.resources.R4B.diagnosticreport import DiagnosticReport as FhirDiagnosticReport
from fhir.resources.R4B.documentreference import DocumentReference as FhirDocumentReference
from fhir.resources.R4B.medication import Medication as FhirMedication
from fhir.resources.R4B.medicationrequest import MedicationRequest as FhirMedicationRequest
from fhir.resources.R4B.medicationstatement import MedicationStatement as FhirMedicationStatement
from fhir.resources.R4B.observation import Observation as FhirObservation
from fhir.resources.R4B.patient import Patient as FhirPatient
from fhir.resources.R4B.procedure import Procedure as FhirProcedure
from pydantic import ValidationError

from hosentinel.core.record import (
    ImportStats,
    Observation,
    Patient,
    PatientRecord,
    Sex,
)
from hosentinel.fhir.access import JSONObject, as_object, one_line, shown
from hosentinel.fhir.access import string as text_of
from hosentinel.fhir.assemble import assemble, unknown_codes
from hosentinel.fhir.builders import (
    BUILDERS,
    BadDate,
    Context,
    Record,
    Skip,
    build,
    date_field,
    deceased_of,
    subject_key,
)
from hosentinel.knowledge.loader import Knowledge
from hosentinel.notes.reader import NoteReader
from hosentinel.notes.settle import settle

__all__ = ["BundleError", "CodeLookup", "read_bundle"]


class CodeLookup(Protocol):
    """What the importer needs from the knowledge base (`Knowledge` satisfies it)."""

    def is_known_code(self, system: str, code: str) -> bool: ...


class BundleError(ValueError):
    """The input cannot be read as one patient's Bundle. str() is one line naming the problem."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


_MODELS: dict[str, Any] = {
    "Patient": FhirPatient,
    "Condition": FhirCondition,
    "Procedure": FhirProcedure,
    "Observation": FhirObservation,
    "MedicationRequest": FhirMedicationRequest,
    "MedicationStatement": FhirMedicationStatement,
    "Medication": FhirMedication,
    "AllergyIntolerance": FhirAllergyIntolerance,
    "DiagnosticReport": FhirDiagnosticReport,
    "DocumentReference": FhirDocumentReference,
}
_FILLERS: dict[str, dict[str, object]] = {
    "Procedure": {"status": "unknown"},
    "Observation": {"status": "unknown"},
    "DiagnosticReport": {"status": "unknown"},
    "DocumentReference": {"status": "current"},
    "MedicationRequest": {"status": "unknown", "intent": "order"},
    "MedicationStatement": {"status": "unknown"},
}
_SEXES: dict[str, Sex] = {"male": "male", "female": "female", "other": "other"}


@dataclass
class _Entry:
    index: int
    full_url: str | None
    resource: JSONObject
    rtype: str
    ref: str


@dataclass
class _Tally:
    resources: int = 0
    ignored: int = 0
    warnings: list[str] = field(default_factory=list)


def read_bundle(
    raw: bytes | str | Mapping[str, Any],
    knowledge: CodeLookup | None = None,
    *,
    strict_dates: bool = True,
) -> PatientRecord:
    """One patient's record from a FHIR R4 Bundle (JSON bytes/str, or already-parsed JSON)."""
    tally = _Tally()
    entries = _entries(_load(raw), tally)
    patient_entry = _the_patient(entries)
    patient = _patient(patient_entry, strict_dates, tally.warnings)
    keys = {f"Patient/{patient.id}", f"urn:uuid:{patient.id}"}
    keys |= {e.full_url for e in entries if e.rtype == "Patient" and e.full_url}
    ctx = Context(f"Patient/{patient.id}", keys, {}, tally.warnings)
    for entry in entries:
        if entry.rtype == "Medication":
            _index_medication(entry, ctx, tally)
    ctx.notes = _note_reader(knowledge, entries)
    records: list[Record] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.rtype in {"Patient", "Medication", "Binary"}:
            continue
        if entry.rtype not in BUILDERS:
            tally.ignored += 1
            continue
        try:
            if entry.ref in seen:
                raise Skip(f"{entry.ref} skipped: it appears more than once in the Bundle")
            seen.add(entry.ref)
            built = _import(entry, ctx)
        except Skip as skip:
            tally.ignored += 1
            if skip.reason:
                tally.warnings.append(one_line(skip.reason))
            continue
        except BadDate as bad:
            if strict_dates:
                raise BundleError(str(bad)) from None
            tally.ignored += 1
            tally.warnings.append(one_line(f"{entry.ref} skipped: {bad}"))
            continue
        records.extend(built)
        if not built:
            tally.ignored += 1
    unknown = unknown_codes(records, knowledge.is_known_code) if knowledge is not None else 0
    observations = [r for r in records if isinstance(r, Observation)]
    if ctx.notes is not None:
        observations = settle(observations)
    stats = ImportStats(tally.resources, tally.ignored, unknown, tuple(tally.warnings))
    return assemble(patient, records, observations, stats)


def _note_reader(knowledge: CodeLookup | None, entries: list[_Entry]) -> NoteReader | None:
    """Notes are read when the caller gives the knowledge base (its vocabulary) and the Bundle
    holds a DocumentReference or a DiagnosticReport with text."""
    if not isinstance(knowledge, Knowledge) or not any(
        e.rtype == "DocumentReference"
        or (
            e.rtype == "DiagnosticReport"
            and ("conclusion" in e.resource or "presentedForm" in e.resource)
        )
        for e in entries
    ):
        return None
    binaries = {
        key: e.resource
        for e in entries
        if e.rtype == "Binary"
        for key in (e.ref, e.full_url)
        if key
    }
    return NoteReader(knowledge, binaries)


# --- the Bundle --------------------------------------------------------------------------------


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _load(raw: bytes | str | Mapping[str, Any]) -> JSONObject:
    try:
        if isinstance(raw, Mapping):
            raw = orjson.dumps(raw, default=_plain)  # plain JSON types from here on
        data: object = orjson.loads(raw)
    except (ValueError, TypeError) as exc:
        raise BundleError(f"not JSON: {exc}") from None
    bundle = as_object(data)
    if bundle is None:
        raise BundleError(f"not a FHIR Bundle (the JSON is {type(data).__name__}, not an object)")
    rtype = bundle.get("resourceType")
    if rtype != "Bundle":
        found = "missing" if rtype is None else f"is {shown(rtype)}"
        raise BundleError(f"not a FHIR Bundle (resourceType {found})")
    return bundle


def _entries(bundle: JSONObject, tally: _Tally) -> list[_Entry]:
    items = bundle.get("entry")
    if items is None:
        return []
    if not isinstance(items, list):
        raise BundleError("not a FHIR Bundle (entry is not a list)")
    entries: list[_Entry] = []
    for index, item in enumerate(items):
        entry = as_object(item)
        if entry is None:
            tally.warnings.append(f"entry {index} skipped: it is not a JSON object")
            continue
        if entry.get("resource") is None:
            continue  # e.g. a transaction's DELETE: a request without a resource
        tally.resources += 1
        resource = as_object(entry["resource"])
        rtype = text_of(resource, "resourceType") if resource is not None else None
        if resource is None or rtype is None:
            tally.ignored += 1
            tally.warnings.append(f"entry {index} skipped: the resource has no resourceType")
            continue
        full_url = text_of(entry, "fullUrl")
        rid = text_of(resource, "id")
        ref = f"{rtype}/{rid}" if rid else full_url or f"{rtype}/(entry {index})"
        entries.append(_Entry(index, full_url, resource, rtype, ref))
    return entries


def _the_patient(entries: list[_Entry]) -> _Entry:
    patients = [e for e in entries if e.rtype == "Patient"]
    if not patients:
        raise BundleError("the Bundle has no Patient")
    distinct = {text_of(e.resource, "id") or e.full_url or f"#{e.index}" for e in patients}
    if len(distinct) > 1:
        raise BundleError(f"the Bundle has {len(distinct)} Patients; give one patient per Bundle")
    return patients[0]


def _patient(entry: _Entry, strict_dates: bool, warnings: list[str]) -> Patient:
    res = entry.resource
    try:
        birth = date_field(entry.ref, res, "birthDate")
    except BadDate as bad:
        if strict_dates:
            raise BundleError(str(bad)) from None
        warnings.append(one_line(f"{bad}; birth date left unknown"))
        birth, res = None, {k: v for k, v in res.items() if k != "birthDate"}
    problem, unknown = _validate("Patient", res)
    if problem:
        raise BundleError(f"{entry.ref} is not a valid FHIR Patient: {problem}")
    warnings.extend(one_line(f"{entry.ref}: unknown element {u} ignored") for u in unknown)
    pid = text_of(res, "id") or re.split(r"[:/]", entry.full_url or "unidentified")[-1]
    deceased, deceased_on, problem = deceased_of(res, entry.ref)
    if problem:
        warnings.append(one_line(problem))
    return Patient(
        pid,
        _SEXES.get((text_of(res, "gender") or "").lower(), "unknown"),
        birth,
        deceased=deceased,
        deceased_on=deceased_on,
    )


def _index_medication(entry: _Entry, ctx: Context, tally: _Tally) -> None:
    problem, _ = _validate("Medication", entry.resource)
    if problem:
        tally.ignored += 1
        ctx.warnings.append(one_line(f"{entry.ref} skipped: {problem}"))
        return
    for key in (entry.ref, entry.full_url):
        if key:
            ctx.medications[key] = entry.resource


# --- one resource ------------------------------------------------------------------------------


def _import(entry: _Entry, ctx: Context) -> list[Record]:
    res, ref = entry.resource, entry.ref
    built = build(entry.rtype, res, ref, ctx)
    # Required elements that exports omit and the engine does not need: the subject (the Bundle
    # holds one patient), a status (missing reads as the default), a MedicationRequest's intent.
    key = subject_key(entry.rtype)
    filled: dict[str, object] = {key: {"reference": ctx.patient_ref}} if key else {}
    filled |= _FILLERS.get(entry.rtype, {})
    res = {**res, **{k: v for k, v in filled.items() if res.get(k) is None}}
    problem, unknown = _validate(entry.rtype, res)
    if problem:
        raise Skip(f"{ref} skipped: {problem}")
    ctx.warnings.extend(one_line(f"{ref}: unknown element {u} ignored") for u in unknown)
    return built


def _validate(rtype: str, res: JSONObject) -> tuple[str | None, list[str]]:
    """(the first structural error or None, unknown elements that were tolerated)."""
    try:
        _MODELS[rtype].model_validate(res)
    except ValidationError as exc:
        errors = exc.errors()
        unknown = [_loc(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
        real = [e for e in errors if e["type"] != "extra_forbidden"]
        return (f"{_loc(real[0]['loc'])}: {real[0]['msg']}" if real else None), unknown
    except (ValueError, TypeError, AttributeError, KeyError, RecursionError) as exc:
        return f"not valid FHIR ({type(exc).__name__}: {exc})", []
    return None, []


# --- messages --------------------------------------------------------------------------------


def _loc(loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a FHIR path: ("code", "coding", 0, "code") ->
    "code.coding[0].code"."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "(resource)"
