"""Small builders for synthetic records in engine tests. Days are counted back from AS_OF."""

from __future__ import annotations

from datetime import date, timedelta

from hosentinel.core.record import (
    Allergy,
    BodySite,
    Coding,
    Condition,
    Medication,
    Observation,
    Patient,
    PatientRecord,
    Procedure,
)

AS_OF = date(2026, 6, 1)
Item = Condition | Procedure | Observation | Medication | Allergy
_counter = iter(range(1_000_000))


def ago(days: int) -> date:
    return AS_OF - timedelta(days=days)


def _ref(kind: str) -> str:
    return f"{kind}/t{next(_counter)}"


def cond(
    code: str,
    days: int = 30,
    system: str = "icd10cm",
    *,
    active: bool = True,
    ended: int | None = None,
    side: str | None = None,
) -> Condition:
    return Condition(
        ref=_ref("Condition"),
        codings=(Coding(system, code),),
        onset=ago(days),
        abatement=ago(ended) if ended is not None else None,
        active=active,
        site=BodySite(side=side),  # type: ignore[arg-type]
    )


def proc(code: str, days: int = 30, system: str = "snomed", side: str | None = None) -> Procedure:
    return Procedure(
        ref=_ref("Procedure"),
        codings=(Coding(system, code),),
        performed=ago(days),
        site=BodySite(side=side),
    )  # type: ignore[arg-type]


def text_proc(text: str, days: int = 30) -> Procedure:
    return Procedure(ref=_ref("Procedure"), codings=(), text=text, performed=ago(days))


def finding(
    code: str,
    value: bool | str | float,
    days: int = 2,
    joint: str | None = None,
    side: str | None = "right",
) -> Observation:
    if joint is None and code.split("-", 1)[0] in ("hip", "knee", "elbow", "shoulder"):
        joint = code.split("-", 1)[0]
    kwargs: dict[str, object] = {}
    if isinstance(value, bool):
        kwargs["value_bool"] = value
    elif isinstance(value, str):
        kwargs["value_code"] = value
    else:
        kwargs["value_quantity"] = float(value)
    return Observation(
        ref=_ref("Observation"),
        codings=(Coding("finding", code),),
        effective=ago(days),
        site=BodySite(joint=joint, side=side),  # type: ignore[arg-type]
        **kwargs,
    )  # type: ignore[arg-type]


def rom(
    joint: str, degrees: float, days: int, motion: str = "flexion", side: str = "right"
) -> Observation:
    return finding(f"{joint}-{motion}-rom", float(degrees), days, joint, side)


def lab(
    code: str, value: float, days: int = 2, flag: str | None = None, high: float | None = None
) -> Observation:
    return Observation(
        ref=_ref("Observation"),
        codings=(Coding("loinc", code),),
        effective=ago(days),
        value_quantity=value,
        interpretation=flag,
        reference_high=high,
    )


def med(code: str, system: str = "rxnorm", active: bool = True) -> Medication:
    return Medication(
        ref=_ref("MedicationRequest"), codings=(Coding(system, code),), start=ago(10), active=active
    )


def record(*items: Item, sex: str = "male") -> PatientRecord:
    return PatientRecord(
        patient=Patient(id="test", sex=sex),  # type: ignore[arg-type]
        conditions=tuple(i for i in items if isinstance(i, Condition)),
        procedures=tuple(i for i in items if isinstance(i, Procedure)),
        observations=tuple(i for i in items if isinstance(i, Observation)),
        medications=tuple(i for i in items if isinstance(i, Medication)),
        allergies=tuple(i for i in items if isinstance(i, Allergy)),
    )


SCI = "S24.101A"  # incomplete thoracic cord injury: an SCI index event with no extra factor
