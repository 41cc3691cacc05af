"""Small builders for synthetic records in engine tests. Days are counted back from AS_OF."""

from __future__ import annotations

from datetime import date, timedelta

from hosentinel.core.record import (
    Allergy,
    BodySite,
    Coding,
    Condition,
    Joint,
    Medication,
    Observation,
    Patient,
    PatientRecord,
    Procedure,
    Sex,
    Side,
)

AS_OF = date(2026, 6, 1)
Item = Condition | Procedure | Observation | Medication | Allergy
_counter = iter(range(1_000_000))
# A finding code's first word names its joint ("hip-flexion-rom").
JOINTS: dict[str, Joint] = {"hip": "hip", "knee": "knee", "elbow": "elbow", "shoulder": "shoulder"}


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
    side: Side | None = None,
) -> Condition:
    return Condition(
        ref=_ref("Condition"),
        codings=(Coding(system, code),),
        onset=ago(days),
        abatement=ago(ended) if ended is not None else None,
        active=active,
        site=BodySite(side=side),
    )


def proc(code: str, days: int = 30, system: str = "snomed", side: Side | None = None) -> Procedure:
    return Procedure(
        ref=_ref("Procedure"),
        codings=(Coding(system, code),),
        performed=ago(days),
        site=BodySite(side=side),
    )


def text_proc(text: str, days: int = 30) -> Procedure:
    return Procedure(ref=_ref("Procedure"), codings=(), text=text, performed=ago(days))


def finding(
    code: str,
    value: bool | str | float,
    days: int = 2,
    joint: Joint | None = None,
    side: Side | None = "right",
) -> Observation:
    if joint is None:
        joint = JOINTS.get(code.split("-", 1)[0])
    return Observation(
        ref=_ref("Observation"),
        codings=(Coding("finding", code),),
        effective=ago(days),
        site=BodySite(joint=joint, side=side),
        value_bool=value if isinstance(value, bool) else None,
        value_code=value if isinstance(value, str) else None,
        value_quantity=None if isinstance(value, bool | str) else float(value),
    )


def rom(
    joint: Joint, degrees: float, days: int, motion: str = "flexion", side: Side = "right"
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


def record(*items: Item, sex: Sex = "male") -> PatientRecord:
    return PatientRecord(
        patient=Patient(id="test", sex=sex),
        conditions=tuple(i for i in items if isinstance(i, Condition)),
        procedures=tuple(i for i in items if isinstance(i, Procedure)),
        observations=tuple(i for i in items if isinstance(i, Observation)),
        medications=tuple(i for i in items if isinstance(i, Medication)),
        allergies=tuple(i for i in items if isinstance(i, Allergy)),
    )


SCI = "S24.101A"  # incomplete thoracic cord injury: an SCI index event with no extra factor
