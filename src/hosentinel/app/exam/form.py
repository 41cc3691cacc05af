"""The exam form as a flowsheet: one block per joint and side, each motion a text field (numeric
keyboard, read and checked by the server, so a typo comes back in its field instead of being
dropped by the browser) beside its last value and the change; each sign "not assessed", "no" or
"yes". The form is read into the typed `ExamIn`, the same as the JSON API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from hosentinel.app.exam.model import (
    CONFIRM_FIELD,
    DATE_FIELD,
    ExamIn,
    JointExamIn,
    LastSite,
    LastValues,
    field_label,
    number,
    rom_field,
    same_field,
    sign_field,
)
from hosentinel.app.exam.motions import MOTIONS, SIGNS, Motion, sites
from hosentinel.app.knowledge_view import fmt_value, lacking_words

YES, NO = "yes", "no"
TRUE_WORDS = frozenset({"yes", "on", "true", "1"})


def field_names() -> Iterator[str]:
    yield DATE_FIELD
    yield CONFIRM_FIELD
    for joint, side in sites():
        yield same_field(joint, side)
        for m in MOTIONS[joint]:
            yield rom_field(joint, side, m.motion)
        for sign in SIGNS:
            yield sign_field(joint, side, sign)


def _sign(raw: str) -> bool | None:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    return False if word in (NO, "false", "0", "off") else None


def read_form(values: Mapping[str, str], version: int | None = None) -> ExamIn:
    """The typed exam from the form's fields: typed text kept as typed (checked later), a sign
    left as "not assessed" is None, a joint with nothing entered is left out."""
    joints: list[JointExamIn] = []
    for joint, side in sites():
        rom = {
            m.motion: values[name].strip()
            for m in MOTIONS[joint]
            if (name := rom_field(joint, side, m.motion)) in values and values[name].strip()
        }
        signs = {s: _sign(values.get(sign_field(joint, side, s), "")) for s in SIGNS}
        same = values.get(same_field(joint, side), "").strip().lower() in TRUE_WORDS
        if rom or same or any(v is not None for v in signs.values()):
            joints.append(
                JointExamIn.model_validate(
                    {"joint": joint, "side": side, "rom": rom, "same_as_last": same, **signs}
                )
            )
    return ExamIn(
        exam_date=values.get(DATE_FIELD, "").strip(),
        confirm_date=values.get(CONFIRM_FIELD, "").strip().lower() in TRUE_WORDS,
        joints=joints,
        version=version,
    )


# --------------------------------------------------------------------------------------------
# The layout, with the last values and the change


def degrees(value: float) -> str:
    """-30 reads "-30° (lacks 30°)" only where the sign means lacking: the caller decides."""
    return f"{fmt_value(value)}°"


@dataclass(frozen=True, slots=True)
class RomRow:
    name: str
    motion: Motion
    label: str  # full label, for screen readers: "Left elbow extension"
    last: str | None  # "95° on 2026-05-31"
    last_value: str | None  # "95", for the change computed as one types
    change: str | None  # "−10° since last"


@dataclass(frozen=True, slots=True)
class SignRow:
    name: str
    sign: str
    label: str
    last: str | None  # "yes on 2026-05-31"


@dataclass(frozen=True, slots=True)
class SiteRow:
    joint: str
    side: str
    key: str
    same: str  # the "examined, no change" field
    last_day: str | None
    rom: tuple[RomRow, ...]
    signs: tuple[SignRow, ...]


def change_words(now: float, before: float) -> str:
    diff = now - before
    if diff == 0:
        return "no change since last"
    return f"{'+' if diff > 0 else '−'}{fmt_value(abs(diff))}° since last"


def _rom_row(joint: str, side: str, m: Motion, last: LastSite | None, typed: str) -> RomRow:
    prior = last.rom.get(m.motion) if last else None
    shown = None
    change = None
    if prior is not None:
        value = float(prior.value)
        text = lacking_words(value) if m.signed else degrees(value)
        shown = text + (f" on {prior.day}" if prior.day else "")
        now = number(typed) if typed.strip() else None
        if now is not None:
            change = change_words(now, value)
    return RomRow(
        rom_field(joint, side, m.motion),
        m,
        field_label(joint, side, m.label),
        shown,
        fmt_value(float(prior.value)) if prior is not None else None,
        change,
    )


def form_rows(last: LastValues, values: Mapping[str, str]) -> list[SiteRow]:
    rows: list[SiteRow] = []
    for joint, side in sites():
        site = last.get((joint, side))
        rom = tuple(
            _rom_row(joint, side, m, site, values.get(rom_field(joint, side, m.motion), ""))
            for m in MOTIONS[joint]
        )
        signs = []
        for sign in SIGNS:
            prior = site.signs.get(sign) if site else None
            last_text = None
            if prior is not None:
                last_text = ("yes" if prior.value else "no") + (
                    f" on {prior.day}" if prior.day else ""
                )
            name = sign_field(joint, side, sign)
            signs.append(SignRow(name, sign, field_label(joint, side, sign), last_text))
        rows.append(
            SiteRow(
                joint,
                side,
                f"{joint}-{side}",
                same_field(joint, side),
                site.day.isoformat() if site and site.day else None,
                rom,
                tuple(signs),
            )
        )
    return rows
