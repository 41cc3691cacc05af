"""The patient page's charts: inline SVG drawn on the server (range of motion per joint and
side; alkaline phosphatase with the laboratory's reference band), with a text summary and the
data for a table. The figure around each chart (summary, data table) is the template macro in
_chart.html.

(This module kept its name in the split of the old patient view so that edits to
`line_chart_svg` on other branches merge; the rest moved to knowledge_view, timeline_view and
the exam package.)
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from hosentinel.app.knowledge_view import fmt_value
from hosentinel.app.timeline_view import LOINC, _code, _day, _reference, exam_parts
from hosentinel.core.record import FINDING, JOINTS, Observation, PatientRecord

ALP_CODES: dict[str, str] = {"6768-6": "ALP", "1777-2": "Bone ALP"}


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
