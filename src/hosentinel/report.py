"""A readable summary of an assessment for people (`--format text`), with Rich.

Every item is printed with a short "why": the rule that fired and the patient's own inputs, so a
clinician can check the reasoning without opening the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from hosentinel.core.assessment import Assessment, Basis

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


def why(basis: Basis, limit: int = 3) -> Text:
    """The rule and up to `limit` patient inputs, in one short line."""
    parts = [
        f"{i.what}"
        + (f" = {i.value}" if i.value not in (None, "") else "")
        + (f" ({i.date.isoformat()})" if i.date else "")
        for i in basis.inputs[:limit]
    ]
    more = f" +{len(basis.inputs) - limit} more" if len(basis.inputs) > limit else ""
    inputs = "; ".join(parts) + more
    cites = ", ".join(basis.citations[:2])
    return _plain(f"[{basis.rule}] {inputs}" + (f" — {cites}" if cites else ""))


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
        t = _table("Index events", ["kind", "date", "day", "joints", "why"])
        for e in a.index_events:
            _row(
                t, e.kind, e.date.isoformat(), str(e.days_since), ", ".join(e.joints), why(e.basis)
            )
        out.print(t)
    t = _table(f"Risk: {a.risk.level}", ["factor", "effect", "why"])
    for f in a.risk.factors:
        _row(t, f.title + (" (strong)" if f.strong else ""), "; ".join(f.effects[:1]), why(f.basis))
    for m in a.risk.models:
        _row(t, f"{m.title} [{m.status}]", m.reason, why(m.basis, 0))
    out.print(t)
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
            site = " ".join(x for x in (s.side, s.joint or "limb") if x)
            _row(t, site, _styled(s.level), "; ".join(f.summary for f in s.findings))
        out.print(t)
    _recommendations(out, a)
    if a.cautions:
        t = _table(
            "Cautions (checked for every drug option)",
            ["level", "about", "reason", "summary", "why"],
        )
        for c in a.cautions:
            about = c.about + ("" if c.recommended else " (not recommended)")
            _row(t, _styled(c.level), about, c.reason, c.summary, why(c.basis, 2))
        out.print(t)
    if a.lesions:
        t = _table("Lesions", ["site", "maturity", "referral", "criteria"])
        for lesion in a.lesions:
            site = " ".join(x for x in (lesion.side, lesion.joint or "site unknown") if x)
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
    t = _table("Recommendations", ["priority", "id", "summary", "sites", "why"])
    for r in a.recommendations:
        summary = r.summary + (" ⚠ conflicting evidence" if r.conflicting_evidence else "")
        _row(t, _styled(r.priority), r.id, summary, ", ".join(r.sites), why(r.basis, 2))
    out.print(t)


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
