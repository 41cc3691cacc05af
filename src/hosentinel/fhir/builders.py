"""One FHIR resource (JSON, already known to be about the Bundle's patient) -> record objects.

Each builder reads the fields the engine uses through `hosentinel.fhir.access`, raises `Skip` for
entries that must not count (entered-in-error, refuted, cancelled, not-done, not-taken) and
`BadDate` for a date field that is present but is not a FHIR date.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from hosentinel.core.record import Allergy, Condition, Medication, Observation, Procedure
from hosentinel.fhir.access import (
    EMPTY,
    JSONObject,
    boolean,
    child,
    children,
    number,
    one_line,
    shown,
)
from hosentinel.fhir.access import string as text_of
from hosentinel.fhir.codes import (
    codings,
    concept_text,
    first_code,
    merge_sites,
    site_from_codings,
    site_from_concepts,
    status_codes,
)
from hosentinel.fhir.dates import parse_date

if TYPE_CHECKING:
    from hosentinel.notes.reader import NoteReader


class Skip(Exception):
    """Skip this resource; with a reason, also warn."""

    def __init__(self, reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason


class BadDate(Exception):
    pass


Record = Condition | Procedure | Observation | Medication | Allergy
_REF_TAIL = re.compile(r"(?:^|/)([A-Za-z]+/[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


@dataclass
class Context:
    patient_ref: str
    patient_keys: set[str]
    medications: dict[str, JSONObject]
    warnings: list[str]
    notes: NoteReader | None = None  # reads DocumentReference / DiagnosticReport text when set


def ref_keys(reference: str) -> set[str]:
    """A reference and its "Type/id" tail (absolute URLs, version-specific references)."""
    match = _REF_TAIL.search(reference)
    return {reference, match.group(1)} if match else {reference}


# The element naming a resource's patient: `subject`, but `patient` on an AllergyIntolerance;
# a Patient, Medication or Binary names none.
_SUBJECT_KEYS = {"AllergyIntolerance": "patient", "Patient": "", "Medication": "", "Binary": ""}


def subject_key(rtype: str) -> str:
    return _SUBJECT_KEYS.get(rtype, "subject")


def build(rtype: str, res: JSONObject, ref: str, ctx: Context) -> list[Record]:
    """The records of one resource (of a type in `BUILDERS`); `Skip` for one about another
    patient, and as the type's builder says."""
    about = text_of(child(res, subject_key(rtype)), "reference")
    if about is not None and not ref_keys(about) & ctx.patient_keys:
        raise Skip(f"{ref} skipped: it is about {about}, not {ctx.patient_ref}")
    return BUILDERS[rtype](res, ref, ctx)


def _status(res: JSONObject) -> str:
    return (text_of(res, "status") or "").lower()


def date_field(ref: str, obj: JSONObject, key: str, label: str | None = None) -> date | None:
    value = obj.get(key)
    if value is None:
        return None
    parsed = parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise BadDate(f"{ref}: {label or key} {shown(value)} is not a date")
    return parsed


def _period(ref: str, res: JSONObject, key: str, end: str) -> date | None:
    return date_field(ref, child(res, key), end, f"{key}.{end}")


def _loose_date(res: JSONObject, key: str) -> date | None:
    """A free-text field (onsetString) read as a date only when it is one."""
    value = text_of(res, key)
    return parse_date(value) if value else None


def _first(*values: date | None) -> date | None:
    return next((v for v in values if v is not None), None)


def deceased_of(res: JSONObject, ref: str) -> tuple[bool, date | None, str | None]:
    """Patient.deceasedBoolean / deceasedDateTime: (deceased, date of death, a warning). A death
    recorded with a date that cannot be read is still a death, its date unknown."""
    try:
        on = date_field(ref, res, "deceasedDateTime")
    except BadDate as bad:
        return True, None, f"{bad}; the date of death is unknown"
    return on is not None or res.get("deceasedBoolean") is True, on, None


def _condition(res: JSONObject, ref: str, _: Context) -> list[Record]:
    if status_codes(child(res, "verificationStatus")) & {"refuted", "entered-in-error"}:
        raise Skip
    code = child(res, "code")
    found = codings(code)
    onset = _first(
        date_field(ref, res, "onsetDateTime"), _period(ref, res, "onsetPeriod", "start")
    ) or _loose_date(res, "onsetString")
    abatement = _first(
        date_field(ref, res, "abatementDateTime"),
        _period(ref, res, "abatementPeriod", "end"),
        _period(ref, res, "abatementPeriod", "start"),
    )
    site = site_from_concepts(children(res, "bodySite"))
    recorded = date_field(ref, res, "recordedDate")
    clinical = status_codes(child(res, "clinicalStatus"))
    # Without a clinicalStatus, an abatement date means it has ended (FHIR invariant con-4).
    active = not (clinical & {"inactive", "remission", "resolved"} or (not clinical and abatement))
    verification = status_codes(child(res, "verificationStatus"))
    return [
        Condition(
            ref=ref,
            codings=found,
            text=concept_text(code),
            onset=onset,
            abatement=abatement,
            recorded=recorded,
            active=active,
            site=site,
            unconfirmed=bool(verification & {"unconfirmed", "provisional", "differential"}),
        )
    ]


def _procedure(res: JSONObject, ref: str, _: Context) -> list[Record]:
    status = _status(res)
    if status in {"entered-in-error", "not-done"}:
        raise Skip
    code = child(res, "code")
    found = codings(code)
    performed = _first(
        date_field(ref, res, "performedDateTime"), _period(ref, res, "performedPeriod", "start")
    ) or _loose_date(res, "performedString")
    # A procedure recorded by name only ("Excision of heterotopic ossification, right hip": the
    # knowledge base knows HO excision by its words, not by a code) is placed by the joint and
    # side its name states; bodySite, when given, wins.
    site = merge_sites(site_from_concepts(children(res, "bodySite")), site_from_concepts([code]))
    return [Procedure(ref, found, concept_text(code), performed, status in {"", "completed"}, site)]


def _observation(res: JSONObject, ref: str, _: Context) -> list[Record]:
    if _status(res) in {"cancelled", "entered-in-error"}:
        raise Skip
    code = child(res, "code")
    found = codings(code)
    quantity = child(res, "valueQuantity")
    value = number(quantity, "value")
    if value is None:
        value = number(res, "valueInteger")
    ranges = children(res, "referenceRange") or [EMPTY]
    answer = child(res, "valueCodeableConcept")
    effective = _first(
        date_field(ref, res, "effectiveDateTime"),
        _period(ref, res, "effectivePeriod", "start"),
        date_field(ref, res, "effectiveInstant"),
        date_field(ref, res, "issued"),
    )
    return [
        Observation(
            ref=ref,
            codings=found,
            text=concept_text(code),
            effective=effective,
            value_quantity=value,
            unit=(text_of(quantity, "code") or text_of(quantity, "unit"))
            if value is not None
            else None,
            value_bool=boolean(res, "valueBoolean"),
            value_code=first_code([answer]) if answer else None,
            interpretation=first_code(children(res, "interpretation"), text_fallback=False),
            reference_low=number(child(ranges[0], "low"), "value"),
            reference_high=number(child(ranges[0], "high"), "value"),
            site=merge_sites(
                site_from_codings(found), site_from_concepts(children(res, "bodySite"))
            ),
        )
    ]


def _diagnostic_report(res: JSONObject, ref: str, ctx: Context) -> list[Record]:
    if _status(res) in {"cancelled", "entered-in-error"}:
        raise Skip
    built: list[Record] = []
    conclusions = children(res, "conclusionCode")
    if conclusions:
        code = child(res, "code")
        found = codings(code)
        effective = _first(
            date_field(ref, res, "effectiveDateTime"),
            _period(ref, res, "effectivePeriod", "start"),
            date_field(ref, res, "issued"),
        )
        built.append(
            Observation(
                ref=ref,
                codings=found,
                text=concept_text(code),
                effective=effective,
                value_code=first_code(conclusions),
                site=site_from_codings(found),
            )
        )
    if ctx.notes is not None and (res.get("conclusion") is not None or "presentedForm" in res):
        day = _first(
            date_field(ref, res, "effectiveDateTime"),
            _period(ref, res, "effectivePeriod", "start"),
            date_field(ref, res, "issued"),
        )
        built.extend(ctx.notes.report(res, ref, day, ctx.warnings))
    contained = {
        text_of(c, "id"): c
        for c in children(res, "contained")
        if c.get("resourceType") == "Observation"
    }
    for result in children(res, "result"):
        target = text_of(result, "reference") or ""
        if target.startswith("#") and target[1:] in contained:
            try:
                built.extend(_observation(contained[target[1:]], f"{ref}{target}", ctx))
            except Skip:
                continue  # a cancelled or entered-in-error result
    return built


def _medication(res: JSONObject, ref: str, ctx: Context) -> list[Record]:
    status = _status(res)
    if status in {"entered-in-error", "not-taken"}:
        raise Skip
    concept = child(res, "medicationCodeableConcept")
    fallback = None
    if not concept:
        reference = child(res, "medicationReference")
        target = text_of(reference, "reference") or ""
        fallback = text_of(reference, "display")
        resolved = _resolve_medication(res, target, ctx)
        if resolved is None and target:
            ctx.warnings.append(one_line(f"{ref}: medication {target} is not in the Bundle"))
        concept = resolved or EMPTY
    dosage = (children(res, "dosageInstruction") or children(res, "dosage") or [EMPTY])[0]
    bounds = child(child(child(dosage, "timing"), "repeat"), "boundsPeriod")
    where = "dosageInstruction" if "dosageInstruction" in res else "dosage"
    bounds_label = f"{where}[0].timing.repeat.boundsPeriod"
    start = _first(
        date_field(ref, res, "authoredOn"),
        _period(ref, res, "effectivePeriod", "start"),
        date_field(ref, res, "effectiveDateTime"),
        date_field(ref, bounds, "start", f"{bounds_label}.start"),
    )
    end = _first(
        _period(ref, res, "effectivePeriod", "end"),
        date_field(ref, bounds, "end", f"{bounds_label}.end"),
    )
    active = status not in {"stopped", "completed", "cancelled"}
    return [
        Medication(ref, codings(concept), concept_text(concept) or fallback, start, end, active)
    ]


def _resolve_medication(res: JSONObject, target: str, ctx: Context) -> JSONObject | None:
    """The `code` of the Medication a medicationReference points to (contained or in the Bundle),
    or None when it is not there."""
    if target.startswith("#"):
        for item in children(res, "contained"):
            if item.get("resourceType") == "Medication" and text_of(item, "id") == target[1:]:
                return child(item, "code")
        return None
    for key in ref_keys(target):
        if key in ctx.medications:
            return child(ctx.medications[key], "code")
    return None


def _allergy(res: JSONObject, ref: str, _: Context) -> list[Record]:
    if status_codes(child(res, "verificationStatus")) & {"refuted", "entered-in-error"}:
        raise Skip
    code = child(res, "code")
    recorded = _first(date_field(ref, res, "recordedDate"), date_field(ref, res, "onsetDateTime"))
    active = not status_codes(child(res, "clinicalStatus")) & {"resolved", "inactive"}
    return [Allergy(ref, codings(code), concept_text(code), recorded, active)]


def _document_reference(res: JSONObject, ref: str, ctx: Context) -> list[Record]:
    """A clinical note: read only when the caller reads notes (`Context.notes`)."""
    if _status(res) not in {"", "current"} or text_of(res, "docStatus") == "entered-in-error":
        raise Skip  # superseded or entered in error: not the record any more
    if ctx.notes is None:
        return []
    period = child(child(res, "context"), "period")
    day = _first(
        date_field(ref, res, "date"), date_field(ref, period, "start", "context.period.start")
    )
    return list(ctx.notes.document(res, ref, day, ctx.warnings))


BUILDERS: dict[str, Callable[[JSONObject, str, Context], list[Record]]] = {
    "Condition": _condition,
    "Procedure": _procedure,
    "Observation": _observation,
    "MedicationRequest": _medication,
    "MedicationStatement": _medication,
    "AllergyIntolerance": _allergy,
    "DiagnosticReport": _diagnostic_report,
    "DocumentReference": _document_reference,
}
