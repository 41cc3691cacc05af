"""The record as a timeline: index events, joint exams (ROM and signs by date), labs and imaging,
newest first, each row keeping the reference of the resource it came from.

Nothing here touches the database or HTTP.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from hosentinel.app.knowledge_view import fmt_value, lacking_words
from hosentinel.core.assessment import Assessment
from hosentinel.core.record import FINDING, JOINTS, Observation, PatientRecord
from hosentinel.core.site_words import site_heading

LOINC = "loinc"
SIGNS: tuple[str, ...] = ("pain", "swelling", "warmth", "redness")

IMAGING_CODES: dict[str, str] = {
    "bone-scan-ho": "Bone scan",
    "radiograph-ho": "Radiograph",
    "ho-activity": "HO activity on bone scan",
    "ho-growth": "HO growth on serial radiographs",
    "ho-radiographic-maturity": "Radiographic maturity",
}


def _code(obs: Observation, system: str) -> str | None:
    for coding in obs.codings:
        if coding.system == system:
            return coding.code
    return None


def _label(obs: Observation) -> str:
    for coding in obs.codings:
        if coding.display:
            return coding.display
    return obs.text or (obs.codings[0].code if obs.codings else obs.ref)


def _day(obs: Observation) -> date:
    return obs.effective or date.min


def exam_parts(code: str) -> tuple[str, str, str] | None:
    """`hip-flexion-rom` -> (hip, flexion, rom); `hip-swelling` -> (hip, swelling, sign)."""
    joint, _, rest = code.partition("-")
    if joint not in JOINTS:
        return None
    if rest.endswith("-rom"):
        return joint, rest.removesuffix("-rom"), "rom"
    if rest in SIGNS:
        return joint, rest, "sign"
    return None


@dataclass(frozen=True, slots=True)
class ExamItem:
    joint: str
    side: str | None
    what: str  # "flexion" or "swelling"
    kind: str  # rom | sign
    value: str
    ref: str


@dataclass(frozen=True, slots=True)
class ExamDay:
    day: date | None
    items: tuple[ExamItem, ...]

    def by_site(self) -> list[tuple[str, list[ExamItem]]]:
        grouped: dict[str, list[ExamItem]] = defaultdict(list)
        for item in self.items:
            grouped[site_heading(item.joint, item.side)].append(item)
        return list(grouped.items())


@dataclass(frozen=True, slots=True)
class LabRow:
    day: date | None
    name: str
    code: str
    value: str
    unit: str
    flag: str | None
    reference: str | None
    ref: str


@dataclass(frozen=True, slots=True)
class ImagingRow:
    day: date | None
    what: str
    code: str | None
    value: str
    site: str
    ref: str


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    day: date | None
    kind: str  # index event | exam | lab | imaging
    text: str


@dataclass(frozen=True, slots=True)
class Timeline:
    events: tuple[TimelineEvent, ...]
    exams: tuple[ExamDay, ...]
    labs: tuple[LabRow, ...]
    imaging: tuple[ImagingRow, ...]


def _reference(obs: Observation) -> str | None:
    low, high = obs.reference_low, obs.reference_high
    if low is None and high is None:
        return None
    if low is not None and high is not None:
        return f"{low:g}–{high:g}"
    return f"≥ {low:g}" if low is not None else f"≤ {high:g}"


def timeline(
    record: PatientRecord,
    assessment: Assessment,
    referrals: Sequence[tuple[date, str]] = (),
) -> Timeline:
    """Index events, exams (ROM and signs by date), labs, imaging and referrals (day, text),
    newest first."""
    observations = sorted(
        (o for o in record.observations if not o.cancelled), key=_day, reverse=True
    )
    exams: dict[date | None, list[ExamItem]] = defaultdict(list)
    labs: list[LabRow] = []
    imaging: list[ImagingRow] = []
    for obs in observations:
        finding = _code(obs, FINDING)
        parts = exam_parts(finding) if finding else None
        if parts is not None:
            joint, what, kind = parts
            value = (
                (
                    lacking_words(obs.value_quantity)
                    if what == "extension" and obs.value_quantity is not None
                    else f"{fmt_value(obs.value_quantity)}°"
                )
                if kind == "rom"
                else fmt_value(obs.value_bool if obs.value_bool is not None else obs.value_code)
            )
            exams[obs.effective].append(ExamItem(joint, obs.site.side, what, kind, value, obs.ref))
        elif (finding and finding in IMAGING_CODES) or obs.ref.startswith("DiagnosticReport/"):
            imaging.append(
                ImagingRow(
                    obs.effective,
                    IMAGING_CODES.get(finding or "", _label(obs)),
                    finding,
                    fmt_value(obs.value_code or obs.value_bool),
                    site_heading(obs.site.joint, obs.site.side),
                    obs.ref,
                )
            )
        elif (loinc := _code(obs, LOINC)) is not None:
            lab_value = obs.value_quantity if obs.value_quantity is not None else obs.value_code
            labs.append(
                LabRow(
                    obs.effective,
                    _label(obs),
                    loinc,
                    fmt_value(lab_value if lab_value is not None else obs.value_bool),
                    obs.unit or "",
                    obs.interpretation,
                    _reference(obs),
                    obs.ref,
                )
            )
    exam_days = tuple(
        ExamDay(day, tuple(sorted(items, key=lambda i: (i.joint, i.side or "", i.kind))))
        for day, items in exams.items()
    )
    events: list[TimelineEvent] = [
        TimelineEvent(
            e.date,
            "index event",
            f"{e.kind.replace('-', ' ')}"
            + (f" ({', '.join(e.joints)}{' ' + e.side if e.side else ''})" if e.joints else ""),
        )
        for e in assessment.index_events
    ]
    for exam in exam_days:
        sites = ", ".join(label for label, _ in exam.by_site())
        events.append(TimelineEvent(exam.day, "exam", f"joint exam: {sites}"))
    for lab in labs:
        flag = f" ({lab.flag})" if lab.flag else ""
        events.append(TimelineEvent(lab.day, "lab", f"{lab.name}: {lab.value} {lab.unit}{flag}"))
    for img in imaging:
        events.append(TimelineEvent(img.day, "imaging", f"{img.what}: {img.value} ({img.site})"))
    for day, text in referrals:
        events.append(TimelineEvent(day, "referral", text))
    events.sort(key=lambda e: e.day or date.min, reverse=True)
    return Timeline(tuple(events), exam_days, tuple(labs), tuple(imaging))
