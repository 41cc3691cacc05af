"""One exam, typed: `ExamIn` is what the JSON API takes and what the HTML form is read into, so
both are checked by the same code and write the same observations.

What is recorded is what was assessed. A sign left out (`None`) was not assessed and writes
nothing; `false` is a finding ("no swelling"). A range of motion is written only when typed.
"same_as_last" ("examined, no change") re-records the joint's last recorded values on the exam
date. A value that cannot be read, or is out of range, is an error against its own field, and
nothing of that exam is saved.

The exam date must not be in the future, before the patient's birth or before the injury or
surgery that started surveillance; outside the surveillance window it needs `confirm_date`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from hosentinel.app.exam.motions import MOTIONS, SIGNS, motion
from hosentinel.app.timeline_view import _code, _day, exam_parts
from hosentinel.core.record import FINDING, SIDES, BodySite, Coding, Observation, PatientRecord

DATE_FIELD = "exam_date"
CONFIRM_FIELD = "confirm_date"
FORM_ERROR = "form"


def rom_field(joint: str, side: str, motion_name: str) -> str:
    return f"{joint}-{side}-{motion_name}"


def sign_field(joint: str, side: str, sign: str) -> str:
    return f"{joint}-{side}-{sign}"


def same_field(joint: str, side: str) -> str:
    return f"{joint}-{side}-examined"


def field_label(joint: str, side: str, what: str) -> str:
    return f"{side.capitalize()} {joint} {what}"


class JointExamIn(BaseModel):
    """One joint and side."""

    joint: Literal["hip", "knee", "elbow", "shoulder"]
    side: Literal["left", "right"]
    rom: dict[str, float | str | None] = Field(
        default_factory=dict,
        description="Degrees per motion (finding-code motion names: hip flexion, extension,"
        " abduction, internal-rotation, external-rotation; knee flexion, extension; elbow"
        " flexion, extension, pronation, supination; shoulder flexion, abduction,"
        " external-rotation). Extensions are signed: 0 full, negative = extension lacking.",
    )
    pain: bool | None = Field(default=None, description="Left out: not assessed.")
    swelling: bool | None = None
    warmth: bool | None = None
    redness: bool | None = None
    same_as_last: bool = Field(
        default=False,
        description="Examined, no change: re-record this joint's last values on the exam date.",
    )

    def signs(self) -> dict[str, bool | None]:
        return {"pain": self.pain, "swelling": self.swelling, "warmth": self.warmth,
                "redness": self.redness}  # fmt: skip


class ExamIn(BaseModel):
    exam_date: str | None = Field(
        default=None, description="YYYY-MM-DD; today when left out. Not in the future."
    )
    confirm_date: bool = Field(
        default=False, description="The date is outside the surveillance window, and that is right."
    )
    joints: list[JointExamIn] = Field(default_factory=list)
    version: int | None = Field(
        default=None,
        description="The patient's record version this exam was based on (`version` of GET"
        " /api/patients/{id}); a different current version means someone else changed the"
        " record: 409 and nothing saved. Left out: the exam is appended unconditionally.",
    )


# --------------------------------------------------------------------------------------------
# The last recorded values, per joint and side


@dataclass(frozen=True, slots=True)
class Last:
    value: float | bool
    day: date | None


@dataclass(slots=True)
class LastSite:
    rom: dict[str, Last] = field(default_factory=dict)  # motion -> last value
    signs: dict[str, Last] = field(default_factory=dict)
    day: date | None = None  # last examined


LastValues = dict[tuple[str, str], LastSite]


def last_values(record: PatientRecord) -> LastValues:
    out: LastValues = {}
    for obs in sorted(record.observations, key=_day):
        code = _code(obs, FINDING)
        parts = exam_parts(code) if code else None
        side = obs.site.side
        if obs.cancelled or parts is None or side not in SIDES:
            continue
        joint, what, kind = parts
        site = out.setdefault((joint, side), LastSite())
        if kind == "rom" and obs.value_quantity is not None:
            site.rom[what] = Last(obs.value_quantity, obs.effective)
        elif kind == "sign" and obs.value_bool is not None:
            site.signs[what] = Last(obs.value_bool, obs.effective)
        else:
            continue
        if obs.effective is not None and (site.day is None or obs.effective > site.day):
            site.day = obs.effective
    return out


# --------------------------------------------------------------------------------------------
# Checking


@dataclass(frozen=True, slots=True)
class ExamContext:
    today: date
    birth_date: date | None = None
    injury: date | None = None  # the earliest index event
    window: tuple[date, date] | None = None  # the surveillance window
    last: LastValues = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ExamSite:
    joint: str
    side: str
    rom: dict[str, float]  # motion -> degrees, only the motions measured
    signs: dict[str, bool]  # only the signs assessed


@dataclass(frozen=True, slots=True)
class CheckedExam:
    day: date | None
    sites: tuple[ExamSite, ...]
    errors: dict[str, str]

    @property
    def ok(self) -> bool:
        return not self.errors


def number(value: float | str | None) -> float | None:
    """A typed number of degrees; None when it is not one (blank is handled by the caller)."""
    if isinstance(value, float | int):
        number_ = float(value)
    else:
        text = str(value).strip().replace("\u2212", "-").replace(",", ".").removesuffix("°")
        try:
            number_ = float(text)
        except ValueError:
            return None
    finite = number_ == number_ and number_ not in (float("inf"), float("-inf"))
    return number_ if finite else None


def _check_date(body: ExamIn, ctx: ExamContext, errors: dict[str, str]) -> date | None:
    raw = (ctx.today.isoformat() if body.exam_date is None else body.exam_date).strip()
    if not raw:
        errors[DATE_FIELD] = "Enter the exam date."
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors[DATE_FIELD] = "Enter the exam date as YYYY-MM-DD."
        return None
    if day > ctx.today:
        errors[DATE_FIELD] = f"The exam date cannot be in the future (today is {ctx.today})."
    elif ctx.birth_date is not None and day < ctx.birth_date:
        errors[DATE_FIELD] = f"The exam date is before the patient's birth ({ctx.birth_date})."
    elif ctx.injury is not None and day < ctx.injury:
        errors[DATE_FIELD] = (
            f"The exam date is before the injury or surgery on {ctx.injury}; check the year."
        )
    elif (
        ctx.window is not None
        and not ctx.window[0] <= day <= ctx.window[1]
        and not body.confirm_date
    ):
        errors[CONFIRM_FIELD] = (
            f"{day} is outside the surveillance window ({ctx.window[0]} to"
            f" {ctx.window[1]}). Tick “the date is right” to save it."
        )
    return day


def _range_words(low: float, high: float) -> str:
    return f"{low:g} to {high:g}"


def _check_rom(item: JointExamIn, errors: dict[str, str]) -> dict[str, float]:
    rom: dict[str, float] = {}
    for name, raw in item.rom.items():
        key = rom_field(item.joint, item.side, name)
        m = motion(item.joint, name)
        if m is None:
            allowed = ", ".join(x.motion for x in MOTIONS[item.joint])
            errors[key] = f"{item.joint} has no motion {name!r} here; use {allowed}."
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        label = field_label(item.joint, item.side, m.label)
        low, high = m.limits
        value = number(raw)
        if value is None:
            shown = str(raw).strip()[:20]
            if m.signed:
                errors[key] = (
                    f"{label}: “{shown}” is not a number. Enter 0 for full extension, a minus"
                    f" number for extension lacking ({_range_words(low, high)})."
                )
            else:
                errors[key] = (
                    f"{label}: “{shown}” is not a number; enter degrees"
                    f" ({_range_words(low, high)})."
                )
        elif not low <= value <= high:
            errors[key] = f"{label}: {value:g}° is out of range; enter {_range_words(low, high)}."
        else:
            rom[name] = value
    return rom


def check_exam(body: ExamIn, ctx: ExamContext) -> CheckedExam:
    """The exam as it would be saved, or the errors by field name (and then nothing is)."""
    errors: dict[str, str] = {}
    day = _check_date(body, ctx, errors)
    sites: list[ExamSite] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(body.joints):
        key = (item.joint, item.side)
        if key in seen:
            errors[f"joints[{i}]"] = f"{item.side} {item.joint} is listed twice."
        seen.add(key)
        rom = _check_rom(item, errors)
        signs = {s: v for s, v in item.signs().items() if v is not None}
        if item.same_as_last:
            last = ctx.last.get(key)
            if last is None and not (rom or signs):
                errors[same_field(*key)] = (
                    f"{field_label(item.joint, item.side, '')}has no earlier exam to repeat;"
                    " enter its findings."
                )
            elif last is not None:
                for name, prior in last.rom.items():
                    rom.setdefault(name, float(prior.value))
                for name, prior in last.signs.items():
                    signs.setdefault(name, bool(prior.value))
        if rom or signs:
            sites.append(ExamSite(item.joint, item.side, rom, signs))
    if not sites and not errors:
        errors[FORM_ERROR] = (
            "Nothing to save: enter a measurement or a sign, or tick “examined, no change” for"
            " the joints you examined."
        )
    return CheckedExam(day, tuple(sites), errors)


# --------------------------------------------------------------------------------------------
# What a saved exam writes


def exam_observations(exam: CheckedExam) -> list[Observation]:
    """Each ROM measured and each sign assessed, with the project's finding codes and the side as
    body site."""
    assert exam.ok and exam.day is not None
    out: list[Observation] = []

    def add(code: str, display: str, site: ExamSite, **value: object) -> None:
        out.append(
            Observation(
                ref=f"Observation/exam-{uuid.uuid4()}",
                codings=(Coding(FINDING, code, display),),
                text=display,
                effective=exam.day,
                site=BodySite(joint=site.joint, side=site.side),  # type: ignore[arg-type]
                **value,  # type: ignore[arg-type]
            )
        )

    for site in exam.sites:
        for name, degrees in site.rom.items():
            m = motion(site.joint, name)
            label = m.label if m else name
            display = f"{site.joint.capitalize()} {label} range of motion"
            add(f"{site.joint}-{name}-rom", display, site, value_quantity=degrees, unit="deg")
        for sign in SIGNS:
            if sign in site.signs:
                display = f"{site.joint.capitalize()} {sign}"
                add(f"{site.joint}-{sign}", display, site, value_bool=site.signs[sign])
    return out


def describe_exam(exam: CheckedExam) -> str:
    """A short description for the audit log (sites only, no values)."""
    sites = ", ".join(f"{s.side} {s.joint}" for s in exam.sites)
    return f"exam {exam.day.isoformat() if exam.day else ''}: {sites}"
