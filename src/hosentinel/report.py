"""A readable summary of an assessment for people (`--format text`), with Rich.

Every item is printed with a short "why": the rule that fired and the patient's own inputs, so a
clinician can check the reasoning without opening the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hosentinel.core.assessment import Assessment, Basis
from hosentinel.core.site_words import site_heading, site_label

if TYPE_CHECKING:
    from hosentinel.knowledge.loader import Knowledge


class Titled(Protocol):
    """A row's label (a demo catalog entry): the report needs only its title."""

    @property
    def title(self) -> str: ...


LEVEL_STYLE = {
    "high": "bold red",
    "moderate": "yellow",
    "low": "green",
    "confirmed": "bold red",
    "probable": "red",
    "possible": "yellow",
    "none": "green",
    "urgent": "bold red",
    "soon": "yellow",
    "routine": "cyan",
    "contraindicated": "bold red",
    "caution": "yellow",
}


def _plain(value: str) -> Text:
    """Text shown as is: rule ids like [risk-level] must not be read as Rich markup."""
    return Text(value)


def _styled(value: str) -> Text:
    return Text(value, style=LEVEL_STYLE.get(value, ""))


# UCUM unit codes as words (a value reads "38 degrees Celsius", not "38 Cel").
UNIT_WORDS = {
    "Cel": "degrees Celsius",
    "[degF]": "degrees Fahrenheit",
    "deg": "degrees",
    "U/L": "units per litre",
    "mg/L": "milligrams per litre",
    "mg/dL": "milligrams per decilitre",
    "mL/min/{1.73_m2}": "mL per minute per 1.73 m²",
    "mL/min/1.73m2": "mL per minute per 1.73 m²",
    "wk": "weeks",
    "d": "days",
    "%": "percent",
}


def in_words(value: object) -> str:
    """A basis input's value with its unit code said in words."""
    text = str(value)
    number, _, unit = text.rpartition(" ")
    if number and unit in UNIT_WORDS:
        return f"{number} {UNIT_WORDS[unit]}"
    return text


def why(basis: Basis, limit: int = 3) -> Text:
    """Up to `limit` of the patient's inputs in words, then the rule id in brackets (for a
    reader who wants to look it up; the JSON output has every citation)."""
    parts = [
        f"{i.what}"
        + (f" = {in_words(i.value)}" if i.value not in (None, "") else "")
        + (f" ({i.date.isoformat()})" if i.date else "")
        for i in basis.inputs[:limit]
    ]
    more = f" +{len(basis.inputs) - limit} more" if len(basis.inputs) > limit else ""
    inputs = "; ".join(parts) + more
    text = Text(inputs + (" " if inputs else ""))
    text.append(f"[{basis.rule}]", style="dim")
    return text


def _item(out: Console, head: Text, *details: tuple[str, Text | str]) -> None:
    """One item as a short block that wraps at words at any width (tables with a "why"
    column broke words in two at 80 columns): the head, then indented labelled lines."""
    out.print(Padding(head, (0, 0, 0, 2)))
    for label, detail in details:
        line = Text(label + ": ", style="dim")
        line.append(detail if isinstance(detail, Text) else Text(detail))
        out.print(Padding(line, (0, 0, 0, 4)))


def _row(table: Table, *cells: str | Text) -> None:
    table.add_row(*(Text(c) if isinstance(c, str) else c for c in cells))


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=True)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_assessment(
    a: Assessment, console: Console | None = None, title: str | None = None
) -> None:
    out = console or Console()
    header = Text.assemble(
        (a.patient, "bold"),
        f"  as of {a.as_of.isoformat()}  ",
        ("risk ", "dim"),
        _styled(a.risk.level),
        ("  suspicion ", "dim"),
        _styled(a.suspicion.level),
        ("  phase ", "dim"),
        a.surveillance.phase,
    )
    out.print(
        Panel(
            header,
            title=title or "HO Sentinel assessment",
            subtitle=f"knowledge {a.knowledge_release} {a.knowledge_digest[:19]}…",
        )
    )
    if a.index_events:
        out.print(Text("Index events", style="bold"))
        for e in a.index_events:
            joints = f", joints at risk: {', '.join(e.joints)}" if e.joints else ""
            head = Text(f"{e.kind} on {e.date.isoformat()} (day {e.days_since}){joints}")
            _item(out, head, ("why", why(e.basis)))
    out.print(Text.assemble(("Risk: ", "bold"), _styled(a.risk.level)))
    for f in a.risk.factors:
        head = Text(f"{f.title}" + (" (strong)" if f.strong else ""))
        _item(out, head, ("effect", "; ".join(f.effects[:1])), ("why", why(f.basis)))
    for m in a.risk.models:
        _item(out, Text(f"{m.title}: {m.status}"), ("note", m.reason), ("why", why(m.basis, 0)))
    sv = a.surveillance
    window = f"{sv.window_start} to {sv.window_end}" if sv.window_start else "no window"
    t = _table(f"Surveillance: {sv.phase} ({window})", ["joint", "side", "due", "last examined"])
    for d in sv.due:
        due = Text(d.due.isoformat(), style="bold red" if d.overdue else "")
        _row(t, d.joint, d.side, due, d.last_examined.isoformat() if d.last_examined else "never")
    out.print(t)
    if a.suspicion.sites:
        t = _table(f"Suspicion: {a.suspicion.level}", ["site", "level", "findings"])
        for s in a.suspicion.sites:
            site = site_label(s.joint, s.side)
            found = "; ".join(f.summary for f in s.findings)
            _row(t, site, _styled(s.level), found + (f". {s.dvt.summary}" if s.dvt else ""))
        out.print(t)
    _recommendations(out, a)
    if a.cautions:
        out.print(Text("Cautions (checked for every drug option)", style="bold"))
        for c in a.cautions:
            about = c.about.replace("-", " ") + (
                "" if c.recommended else " (not among today's suggestions)"
            )
            head = Text.assemble(_styled(c.level), f" {about}: {c.reason.replace('-', ' ')}")
            _item(out, head, ("what", c.summary), ("why", why(c.basis, 2)))
    if a.lesions:
        t = _table("Lesions", ["site", "maturity", "referral", "criteria"])
        for lesion in a.lesions:
            site = site_heading(lesion.joint, lesion.side)
            crit = ", ".join(
                f"{k}: {'?' if v is None else ('yes' if v else 'no')}" for k, v in lesion.criteria
            )
            _row(t, site, lesion.maturity, lesion.surgical_referral, crit)
        out.print(t)
        out.print(Text(f"Classic rule: {a.lesions[0].classic_rule}", style="dim"))
        for evidence in a.lesions[0].newer_evidence:
            out.print(
                Text(f"Newer evidence: {evidence['text']} [{evidence['citation']}]", style="dim")
            )
    if a.education:
        out.print(Text("Education: " + "; ".join(f"{e.title} ({e.level})" for e in a.education)))
    for gap in a.missing_inputs:
        out.print(Text(f"Missing: {gap.id} — {gap.why_it_matters}", style="magenta"))
    if a.import_warnings:
        out.print(
            Text(
                f"Import: {len(a.import_warnings)} warning(s); {a.unknown_codes} unknown code(s)",
                style="dim",
            )
        )


def _recommendations(out: Console, a: Assessment) -> None:
    if not a.recommendations:
        out.print(Text("No recommendations.", style="dim"))
        return
    out.print(Text("Recommendations", style="bold"))
    for r in a.recommendations:
        summary = r.summary + (" (the evidence conflicts)" if r.conflicting_evidence else "")
        head = Text.assemble(_styled(r.priority), f" {summary}")
        details: list[tuple[str, Text | str]] = [("id", r.id)]
        if r.sites:
            details.append(("sites", ", ".join(r.sites)))
        details.append(("why", why(r.basis, 2)))
        _item(out, head, *details)


def print_demo_summary(
    rows: Iterable[tuple[Titled, Assessment]],
    release: str,
    digest: str,
    console: Console | None = None,
) -> None:
    out = console or Console()
    t = _table(
        f"HO Sentinel demo patients (synthetic) — knowledge {release}",
        ["patient", "as of", "phase", "risk", "suspicion", "recommendations", "cautions"],
    )
    for entry, a in rows:
        recs = " ".join(r.id for r in a.recommendations) or "-"
        cautions = ", ".join(
            f"{c.about}:{c.reason}" for c in a.cautions if c.level == "contraindicated"
        )
        _row(
            t,
            entry.title,
            a.as_of.isoformat(),
            a.surveillance.phase,
            _styled(a.risk.level),
            _styled(a.suspicion.level),
            recs,
            cautions or "-",
        )
    out.print(t)
    out.print(
        Text(
            f"Knowledge digest {digest}. Run `hosentinel assess <bundle> --as-of <date> "
            "--format text` for one patient's full assessment with its basis.",
            style="dim",
        )
    )


def print_knowledge(k: Knowledge, console: Console | None = None) -> None:
    out = console or Console()
    out.print(Text(f"HO Sentinel knowledge release {k.release}", style="bold"))
    out.print(Text(f"digest {k.digest}"))
    counts = (
        f"{len(k.citations)} sources, {len(k.concepts)} coded concepts, "
        f"{len(k.risk_factors)} risk factors, {len(k.risk_models)} published models, "
        f"{sum(len(d.cautions) for d in k.drugs)} drug cautions on {len(k.drugs)} drug options, "
        f"{len(k.recommendations)} recommendations, {len(k.education)} education modules, "
        f"{len(k.unconfirmed)} unconfirmed statements kept out"
    )
    out.print(Text(counts))
    table = _table(
        "Local settings (no source gives these numbers; set your own)",
        ["setting", "value", "meaning", "why local"],
    )
    for setting in k.settings.values():
        _row(
            table,
            setting.id,
            f"{setting.value:g} {setting.unit}",
            setting.description,
            setting.why_local,
        )
    out.print(table)
