"""View models for the patient page and the exam form: the basis of every item resolved against
the knowledge base, the record as a timeline, the charts (inline SVG, drawn here on the server),
and the exam form's reading, validation and prefill.

Nothing here touches the database or HTTP; the pages pass in the record and the assessment.
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup, escape

from hosentinel.core.assessment import Assessment, Basis, Input
from hosentinel.core.record import JOINTS, SIDES, BodySite, Coding, Observation, PatientRecord
from hosentinel.knowledge.loader import Knowledge

FINDING = "finding"
LOINC = "loinc"

# The exam form: the motions measured per joint and the four local signs (DESIGN.md finding codes).
EXAM_MOTIONS: dict[str, tuple[str, ...]] = {
    "hip": ("flexion", "abduction"),
    "knee": ("flexion",),
    "elbow": ("flexion", "extension"),
    "shoulder": ("flexion", "abduction"),
}
SIGNS: tuple[str, ...] = ("pain", "swelling", "warmth", "redness")
ROM_MIN, ROM_MAX = 0.0, 200.0
EARLIEST_EXAM = date(1900, 1, 1)
DATE_FIELD = "exam_date"

IMAGING_CODES: dict[str, str] = {
    "bone-scan-ho": "Bone scan",
    "radiograph-ho": "Radiograph",
    "ho-activity": "HO activity on bone scan",
    "ho-growth": "HO growth on serial radiographs",
    "ho-radiographic-maturity": "Radiographic maturity",
}
ALP_CODES: dict[str, str] = {"6768-6": "ALP", "1777-2": "Bone ALP"}


# --------------------------------------------------------------------------------------------
# Formatting


def fmt_value(value: object) -> str:
    """A value as a person reads it: yes/no for booleans, no trailing .0 on numbers."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def site_label(joint: str | None, side: str | None) -> str:
    parts = [p for p in (side, joint) if p]
    return " ".join(parts) if parts else "site not recorded"


# --------------------------------------------------------------------------------------------
# The basis of an item, resolved against the knowledge base


@dataclass(frozen=True, slots=True)
class CitationView:
    id: str
    title: str
    url: str | None
    level: str | None  # C confirmed, P partly confirmed; None when the id is not in the registry
    partial: str | None = None

    @property
    def level_words(self) -> str:
        return {"C": "confirmed", "P": "partly confirmed"}.get(self.level or "", "not in registry")


@dataclass(frozen=True, slots=True)
class EntryView:
    id: str
    title: str
    version: str | None
    review_date: date | None


@dataclass(frozen=True, slots=True)
class SettingView:
    id: str
    value: str
    unit: str
    description: str


@dataclass(frozen=True, slots=True)
class BasisView:
    rule: str
    entries: tuple[EntryView, ...]
    citations: tuple[CitationView, ...]
    inputs: tuple[Input, ...]
    settings: tuple[SettingView, ...]
    note: str | None


class KnowledgeView:
    """What the templates ask of the knowledge base (typed, so the templates stay simple)."""

    def __init__(self, knowledge: Knowledge) -> None:
        self.k = knowledge

    def citation(self, citation_id: str) -> CitationView:
        c = self.k.citations.get(citation_id)
        if c is None:
            return CitationView(citation_id, citation_id, None, None)
        url = c.url
        if url is None and c.doi:
            url = f"https://doi.org/{c.doi}"
        if url is None and c.pmid:
            url = f"https://pubmed.ncbi.nlm.nih.gov/{c.pmid}/"
        return CitationView(c.id, c.title, url, c.level, c.partial)

    def entry(self, entry_id: str) -> EntryView:
        e = self.k.entries.get(entry_id)
        if e is None:
            return EntryView(entry_id, entry_id, None, None)
        return EntryView(e.id, e.title, e.version, e.review_date)

    def setting(self, setting_id: str) -> SettingView:
        s = self.k.settings.get(setting_id)
        if s is None:
            return SettingView(setting_id, "not set", "", "")
        return SettingView(s.id, fmt_value(s.value), s.unit, s.description)

    def basis(self, basis: Basis) -> BasisView:
        return BasisView(
            rule=basis.rule,
            entries=tuple(self.entry(e) for e in basis.entries),
            citations=tuple(self.citation(c) for c in basis.citations),
            inputs=basis.inputs,
            settings=tuple(self.setting(s) for s in basis.settings),
            note=basis.note,
        )

    def drug_title(self, option_id: str) -> str:
        for option in self.k.drugs:
            if option.id == option_id:
                return option.title
        return option_id.replace("-", " ")

    def criterion_title(self, criterion_id: str) -> str:
        for criterion in self.k.maturity.criteria:
            if criterion.id == criterion_id:
                return criterion.title
        return criterion_id.replace("-", " ")


# --------------------------------------------------------------------------------------------
# The record as a timeline


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
            grouped[site_label(item.joint, item.side)].append(item)
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
                f"{fmt_value(obs.value_quantity)}°"
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
                    site_label(obs.site.joint, obs.site.side),
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


# --------------------------------------------------------------------------------------------
# Charts: inline SVG drawn on the server, with a text summary and the data for a table


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    value: float
    ref: str


@dataclass(frozen=True, slots=True)
class Series:
    key: str
    label: str
    points: tuple[Point, ...]


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    title: str
    unit: str
    series: tuple[Series, ...]
    summary: str
    svg: Markup
    band: tuple[float | None, float | None] | None = None

    def rows(self) -> list[tuple[date, str, float, str]]:
        """(date, series, value, ref) for the data table, by date then series."""
        out = [(p.day, s.label, p.value, p.ref) for s in self.series for p in s.points]
        return sorted(out, key=lambda r: (r[0], r[1]))


PALETTE = ("#0b5cad", "#b3261e", "#2e7d32", "#a15c00", "#6a1b9a", "#00838f", "#5d4037", "#37474f")
DASHES = ("", "6 3", "2 3", "8 3 2 3")
MARKERS = ("circle", "square", "diamond", "triangle")

W, H = 680, 270
LEFT, RIGHT, TOP, BOTTOM = 46, 170, 26, 34


Y_TICKS = 5
MAX_Y_TICKS = 10


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5 and 5 times a power of ten that is at least `raw`."""
    if not math.isfinite(raw) or raw <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(f * power for f in (1.0, 2.0, 2.5, 5.0, 10.0) if f * power >= raw * (1 - 1e-9))


def _nice_max(value: float, step: float) -> float:
    return max(step, step * -(-value // step))


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    if kind == "triangle":
        pts = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon points="{pts}" fill="{colour}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"/>'


def line_chart_svg(
    chart_id: str,
    label: str,
    series: tuple[Series, ...],
    unit: str,
    y_step: float,
    y_floor: float = 0.0,
    band: tuple[float | None, float | None] | None = None,
    band_label: str = "",
) -> Markup:
    """A small line chart: dates along x, values up y, one line (colour, dash and marker) per
    series, a legend on the right, an optional shaded reference band."""
    days = [p.day for s in series for p in s.points]
    values = [p.value for s in series for p in s.points]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=1), last + timedelta(days=1)
    span = (last - first).days
    top_value = max([*values, y_floor, *(b for b in (band or ()) if b is not None)])
    top_value = min(top_value, 1e300)  # finite once scaled (values are clamped to the axis)
    # The axis follows the data's range: past MAX_Y_TICKS steps of y_step, Y_TICKS steps of a
    # round size. The page's size no longer grows with the largest value (an ALP of 1e7 drew a
    # gridline per 50 U/L: 27 MB).
    if top_value * 1.05 / y_step > MAX_Y_TICKS:
        y_step = _nice_step(top_value * 1.05 / Y_TICKS)
    y_max = _nice_max(top_value * 1.05, y_step)
    plot_w, plot_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(max(0.0, value), y_max) / y_max)

    out: list[str] = [
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {W} {H}" role="img"'
        f' aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    if band is not None:
        low = band[0] if band[0] is not None else 0.0
        high = band[1] if band[1] is not None else y_max
        out.append(
            f'<rect class="band" x="{LEFT}" y="{y(high):.1f}" width="{plot_w}"'
            f' height="{max(0.0, y(low) - y(high)):.1f}"><title>{escape(band_label)}</title></rect>'
        )
        out.append(
            f'<text class="band-label" x="{LEFT + 4}" y="{y(high) + 11:.1f}">'
            f"{escape(band_label)}</text>"
        )
    for step in range(round(y_max / y_step) + 1):
        tick = step * y_step
        out.append(
            f'<line class="grid" x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(tick):.1f}"'
            f' y2="{y(tick):.1f}"/><text class="axis" x="{LEFT - 6}" y="{y(tick) + 3:.1f}"'
            f' text-anchor="end">{fmt_value(tick)}</text>'
        )
    ticks = 5 if span >= 5 else span
    for i in range(ticks + 1):
        day = first + timedelta(days=round(span * i / ticks))
        out.append(
            f'<line class="grid" x1="{x(day):.1f}" x2="{x(day):.1f}" y1="{TOP + plot_h}"'
            f' y2="{TOP + plot_h + 4}"/><text class="axis" x="{x(day):.1f}"'
            f' y="{TOP + plot_h + 16}" text-anchor="middle">{day.isoformat()}</text>'
        )
    out.append(
        f'<text class="axis" x="{LEFT - 40}" y="{TOP - 14}" text-anchor="start">'
        f"{escape(unit)}</text>"
    )
    for i, s in enumerate(series):
        colour, dash = PALETTE[i % len(PALETTE)], DASHES[(i // len(PALETTE)) % len(DASHES)]
        marker = MARKERS[i % len(MARKERS)]
        coords = " ".join(f"{x(p.day):.1f},{y(p.value):.1f}" for p in s.points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<g class="series" data-series="{escape(s.key)}">')
        out.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"'
            f"{dash_attr}/>"
        )
        for p in s.points:
            out.append(
                f"<g>{_marker(marker, x(p.day), y(p.value), colour)}<title>"
                f"{escape(s.label)}: {fmt_value(p.value)} {escape(unit)} on {p.day.isoformat()}"
                "</title></g>"
            )
        ly = TOP + 6 + i * 16
        lx = LEFT + plot_w + 14
        out.append(
            f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{colour}"'
            f' stroke-width="2"{dash_attr}/>{_marker(marker, lx + 9, ly, colour)}'
            f'<text x="{lx + 24}" y="{ly + 4}">{escape(s.label)}</text>'
        )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def _series_summary(s: Series, unit: str) -> str:
    first, last = s.points[0], s.points[-1]
    if len(s.points) == 1:
        return f"{s.label} {fmt_value(first.value)}{unit} on {first.day.isoformat()}"
    return (
        f"{s.label} from {fmt_value(first.value)}{unit} on {first.day.isoformat()}"
        f" to {fmt_value(last.value)}{unit} on {last.day.isoformat()}"
    )


def rom_series(record: PatientRecord) -> tuple[Series, ...]:
    """One series per joint, motion and side, oldest point first."""
    grouped: dict[tuple[str, str, str], list[Point]] = defaultdict(list)
    for obs in sorted(record.observations, key=_day):
        code = _code(obs, FINDING)
        parts = exam_parts(code) if code else None
        if obs.cancelled or parts is None or parts[2] != "rom":
            continue
        if obs.value_quantity is None or obs.effective is None:
            continue
        joint, motion, _ = parts
        grouped[(joint, motion, obs.site.side or "side?")].append(
            Point(obs.effective, obs.value_quantity, obs.ref)
        )

    def order(key: tuple[str, str, str]) -> tuple[int, str, str]:
        return [str(j) for j in JOINTS].index(key[0]), key[1], key[2]

    return tuple(
        Series(f"{j}-{m}-{s}", f"{s.capitalize()} {j} {m}", tuple(grouped[(j, m, s)]))
        for j, m, s in sorted(grouped, key=order)
    )


def rom_chart(record: PatientRecord) -> Chart | None:
    series = rom_series(record)
    if not series:
        return None
    summary = "Range of motion over time, in degrees: " + "; ".join(
        _series_summary(s, "°") for s in series
    )
    svg = line_chart_svg("rom-chart", summary, series, "degrees", 30.0, y_floor=150.0)
    return Chart("rom-chart", "Range of motion per joint and side", "degrees", series, summary, svg)


def alp_chart(record: PatientRecord) -> Chart | None:
    grouped: dict[str, list[tuple[Point, Observation]]] = defaultdict(list)
    for obs in sorted(record.observations, key=_day):
        code = _code(obs, LOINC)
        if obs.cancelled or code not in ALP_CODES or obs.value_quantity is None:
            continue
        if obs.effective is None:
            continue
        grouped[code].append((Point(obs.effective, obs.value_quantity, obs.ref), obs))
    if not grouped:
        return None
    series = tuple(
        Series(code, ALP_CODES[code], tuple(p for p, _ in grouped[code]))
        for code in ALP_CODES
        if code in grouped
    )
    main = grouped["6768-6"] if "6768-6" in grouped else next(iter(grouped.values()))
    units = {o.unit for _, o in main if o.unit}
    unit = units.pop() if len(units) == 1 else "U/L"
    ranged = [o for _, o in main if o.reference_low is not None or o.reference_high is not None]
    band: tuple[float | None, float | None] | None = None
    band_label = ""
    summary = f"Alkaline phosphatase over time, in {unit}: " + "; ".join(
        _series_summary(s, f" {unit}") for s in series
    )
    if ranged:
        latest = ranged[-1]
        band = (latest.reference_low, latest.reference_high)
        band_label = f"reference range {_reference(latest)} {unit}"
        summary += f". Shaded: the laboratory's {band_label}."
    else:
        summary += ". No reference range was reported."
    svg = line_chart_svg("alp-chart", summary, series, unit, 50.0, 100.0, band, band_label)
    return Chart("alp-chart", "Alkaline phosphatase", unit, series, summary, svg, band)


# --------------------------------------------------------------------------------------------
# The exam form: field names, prefill, reading and validation, and the observations it writes


def rom_field(joint: str, side: str, motion: str) -> str:
    return f"{joint}-{side}-{motion}"


def sign_field(joint: str, side: str, sign: str) -> str:
    return f"{joint}-{side}-{sign}"


def examined_field(joint: str, side: str) -> str:
    return f"{joint}-{side}-examined"


def field_label(joint: str, side: str, what: str) -> str:
    return f"{side.capitalize()} {joint} {what}"


TRUE_WORDS = frozenset({"yes", "on", "true", "1"})


def _checked(value: object) -> bool:
    return str(value).strip().lower() in TRUE_WORDS if value is not None else False


@dataclass(frozen=True, slots=True)
class ExamSite:
    joint: str
    side: str
    rom: dict[str, float]  # motion -> degrees, only the motions entered
    signs: dict[str, bool]  # all four signs


@dataclass(frozen=True, slots=True)
class ExamEntry:
    """A read exam: the date, the joint-sides examined, and errors by field name."""

    day: date | None
    sites: tuple[ExamSite, ...]
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class Prefill:
    """The last recorded values, as the form's field values, and when each joint-side was last
    examined."""

    values: dict[str, str]
    last_examined: dict[str, date]

    def to_json(self) -> str:
        return json.dumps(self.values, sort_keys=True)


def prefill(record: PatientRecord) -> Prefill:
    values: dict[str, str] = {}
    last: dict[str, date] = {}
    for obs in sorted(record.observations, key=_day):
        code = _code(obs, FINDING)
        parts = exam_parts(code) if code else None
        side = obs.site.side
        if obs.cancelled or parts is None or side not in SIDES:
            continue
        joint, what, kind = parts
        if kind == "rom" and what in EXAM_MOTIONS[joint] and obs.value_quantity is not None:
            values[rom_field(joint, side, what)] = fmt_value(obs.value_quantity)
        elif kind == "sign" and obs.value_bool is not None:
            values[sign_field(joint, side, what)] = "yes" if obs.value_bool else ""
        else:
            continue
        if obs.effective is not None:
            last[f"{joint}-{side}"] = obs.effective
    return Prefill({k: v for k, v in values.items() if v}, last)


def read_prefill(raw: str | None) -> dict[str, str]:
    """The prefill the form was shown with (a hidden field); anything unreadable counts as none."""
    if not raw:
        return {}
    try:
        parsed = json.loads(raw)
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): str(v) for k, v in parsed.items() if isinstance(v, str | int | float)}


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if value == value and value not in (float("inf"), float("-inf")) else None


def _same(kind: str, entered: str, shown: str | None) -> bool:
    if kind == "sign":
        return _checked(entered) == _checked(shown)
    if not entered and not shown:
        return True
    a, b = _number(entered), _number(shown or "")
    return a is not None and b is not None and a == b


def read_exam(
    values: Mapping[str, object], today: date, shown: Mapping[str, str] | None = None
) -> ExamEntry:
    """Read and check an exam from the form's fields (the JSON API builds the same fields).

    A joint-side is left out when all its fields are blank. When the form was prefilled with
    the last values (`shown`), a joint-side whose fields are all unchanged is left out too unless
    its "examined" box is ticked: reopening the form must not re-record old findings as new.
    """
    errors: dict[str, str] = {}
    raw_date = str(values.get(DATE_FIELD) or "").strip()
    day: date | None = None
    if not raw_date:
        errors[DATE_FIELD] = "Enter the exam date."
    else:
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            errors[DATE_FIELD] = "Enter the exam date as YYYY-MM-DD."
        else:
            if day > today:
                errors[DATE_FIELD] = (
                    f"The exam date cannot be in the future (today is {today.isoformat()})."
                )
            elif day < EARLIEST_EXAM:
                errors[DATE_FIELD] = "The exam date cannot be before 1900."
    sites: list[ExamSite] = []
    for joint in JOINTS:
        for side in SIDES:
            fields = [(rom_field(joint, side, m), "rom", m) for m in EXAM_MOTIONS[joint]]
            fields += [(sign_field(joint, side, s), "sign", s) for s in SIGNS]
            entered = {name: str(values.get(name) or "").strip() for name, _, _ in fields}
            ticked = _checked(values.get(examined_field(joint, side)))
            blank = not any(
                (_checked(entered[n]) if kind == "sign" else entered[n]) for n, kind, _ in fields
            )
            if blank and not ticked:
                continue
            if (
                shown is not None
                and not ticked
                and all(_same(kind, entered[n], shown.get(n)) for n, kind, _ in fields)
            ):
                continue
            rom: dict[str, float] = {}
            for name, kind, motion in fields:
                if kind != "rom" or not entered[name]:
                    continue
                number = _number(entered[name])
                label = field_label(joint, side, motion)
                if number is None:
                    errors[name] = f"{label}: enter a number of degrees (0 to 200)."
                elif not ROM_MIN <= number <= ROM_MAX:
                    errors[name] = f"{label}: {entered[name]}° is out of range; enter 0 to 200."
                else:
                    rom[motion] = number
            signs = {s: _checked(entered[sign_field(joint, side, s)]) for s in SIGNS}
            sites.append(ExamSite(joint, side, rom, signs))
    if not sites and not errors:
        errors["form"] = (
            "Nothing to save: enter a joint's findings, or tick “examined, no change” for the"
            " joints you examined."
        )
    return ExamEntry(day, tuple(sites), errors)


def exam_observations(entry: ExamEntry) -> list[Observation]:
    """The observations one exam writes: each ROM entered and every sign of each examined
    joint-side (true or false), with the project's finding codes and the side as body site."""
    assert entry.ok and entry.day is not None
    out: list[Observation] = []

    def add(code: str, display: str, site: ExamSite, **value: Any) -> None:
        out.append(
            Observation(
                ref=f"Observation/exam-{uuid.uuid4()}",
                codings=(Coding(FINDING, code, display),),
                text=display,
                effective=entry.day,
                site=BodySite(joint=site.joint, side=site.side),  # type: ignore[arg-type]
                **value,
            )
        )

    for site in entry.sites:
        for motion, degrees in site.rom.items():
            display = f"{site.joint.capitalize()} {motion} range of motion"
            add(f"{site.joint}-{motion}-rom", display, site, value_quantity=degrees, unit="deg")
        for sign, present in site.signs.items():
            add(
                f"{site.joint}-{sign}",
                f"{site.joint.capitalize()} {sign}",
                site,
                value_bool=present,
            )
    return out


def describe_exam(entry: ExamEntry) -> str:
    """A short description for the audit log (sites only, no values)."""
    sites = ", ".join(f"{s.side} {s.joint}" for s in entry.sites)
    return f"exam {entry.day.isoformat() if entry.day else ''}: {sites}"


def form_rows() -> list[dict[str, Any]]:
    """The form's layout: one row per joint and side, its ROM and sign fields."""
    rows: list[dict[str, Any]] = []
    for joint in JOINTS:
        for side in SIDES:
            rows.append(
                {
                    "joint": joint,
                    "side": side,
                    "key": f"{joint}-{side}",
                    "examined": examined_field(joint, side),
                    "rom": [
                        (rom_field(joint, side, m), m, field_label(joint, side, m))
                        for m in EXAM_MOTIONS[joint]
                    ],
                    "signs": [
                        (sign_field(joint, side, s), s, field_label(joint, side, s)) for s in SIGNS
                    ],
                }
            )
    return rows


def exam_field_names() -> Iterable[str]:
    for row in form_rows():
        yield row["examined"]
        for name, _, _ in row["rom"]:
            yield name
        for name, _, _ in row["signs"]:
            yield name


def rebase_exam(
    values: Mapping[str, str], shown: Mapping[str, str], latest: Mapping[str, str]
) -> dict[str, str]:
    """The form's values moved onto a newer prefill, after someone else saved an exam while this
    form was open: a joint-side the clinician changed (or ticked "examined") keeps what they
    entered; a joint-side they left as prefilled shows the newer last values, so saving again
    never records the old prefilled findings as a new exam."""
    rebased = {DATE_FIELD: values.get(DATE_FIELD, "")} if DATE_FIELD in values else {}
    for joint in JOINTS:
        for side in SIDES:
            fields = [(rom_field(joint, side, m), "rom") for m in EXAM_MOTIONS[joint]]
            fields += [(sign_field(joint, side, s), "sign") for s in SIGNS]
            ticked = examined_field(joint, side)
            changed = _checked(values.get(ticked)) or not all(
                _same(kind, str(values.get(name) or "").strip(), shown.get(name))
                for name, kind in fields
            )
            source = values if changed else latest
            for name, _ in fields:
                if source.get(name):
                    rebased[name] = str(source[name])
            if changed and _checked(values.get(ticked)):
                rebased[ticked] = "yes"
    return rebased
