"""The wording of cards: Markdown-safe text, summaries under 140 characters, sites, dates, the
patient's inputs and the citations a statement rests on, and the short words for the engine's
ids. Pure: no web, no storage."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date

from hosentinel.core.assessment import Assessment, Basis, Input
from hosentinel.knowledge.loader import Knowledge
from hosentinel.knowledge.schema import DrugOption

SUMMARY_LIMIT = 140  # characters; the summary must be shorter
SOURCE_LABEL = "HO Sentinel"

PRIORITY_WORDS = {"urgent": "Urgent", "soon": "Soon", "routine": "Routine"}
CAUTION_WORDS = {"contraindicated": "Contraindicated", "caution": "Caution"}
MAX_INPUTS = 3

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def md(text: object) -> str:
    """Plain text made safe for Markdown: special characters escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;:") + "…"


def fit_summary(parts: Sequence[str], limit: int = SUMMARY_LIMIT) -> str:
    """Parts joined with "; " into one sentence under `limit` characters; parts that do not fit
    are dropped from the end (the first is kept, shortened if need be)."""
    kept: list[str] = []
    for part in parts:
        candidate = "; ".join([*kept, part]) + "."
        if len(candidate) < limit:
            kept.append(part)
    if not kept:
        return short(parts[0] if parts else SOURCE_LABEL, limit - 2) + "."
    sentence = "; ".join(kept) + "."
    return sentence[0].upper() + sentence[1:]


def day(value: date) -> str:
    return value.isoformat()


def kind(knowledge: Knowledge, kind: str) -> str:
    """An index event's kind in running text ("spinal cord injury"): its `short` in the
    knowledge base."""
    found = next((k for k in knowledge.index_events.kinds if k.id == kind), None)
    return md(found.short if found else kind)


def to_do(knowledge: Knowledge, rec_id: str) -> str:
    """A recommendation in a few words ("rule out DVT first"): its `short` in the knowledge
    base."""
    rec = knowledge.recommendations.get(rec_id)
    return md(rec.short if rec else rec_id)


def option_kind(knowledge: Knowledge, option: str) -> str:
    """The kind of a drug option in running text ("an NSAID"): its `in_a_sentence`."""
    drug = _drug(knowledge, option)
    return md(drug.in_a_sentence if drug else option)


def lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def first_clause(text: str) -> str:
    return lower_first(re.split(r"[;.]\s", text.strip(), maxsplit=1)[0].rstrip("."))


def _input(item: Input) -> str:
    text = md(item.what)
    if item.value is not None and str(item.value) not in item.what:
        text += f" = {md(item.value)}"
    if item.date is not None:
        text += f" ({day(item.date)})"
    return text


def inputs(basis: Basis) -> str:
    """The patient's data a statement rests on (the first few, then a count)."""
    shown = [_input(i) for i in basis.inputs[:MAX_INPUTS]]
    more = len(basis.inputs) - MAX_INPUTS
    if more > 0:
        shown.append(f"+{more} more")
    return "; ".join(shown)


def _citation(knowledge: Knowledge, cid: str) -> str:
    c = knowledge.citations.get(cid)
    if c is None:
        return md(cid)
    title = md(short(c.title, 90))
    url = c.link
    return f"[{title}]({url.replace(')', '%29').replace(' ', '%20')})" if url else title


def sources(knowledge: Knowledge, citations: Iterable[str], limit: int = 2) -> str:
    """The " Sources: [title](url); ..." tail for the first `limit` citations ("" if none)."""
    ids = list(dict.fromkeys(citations))
    if not ids:
        return ""
    shown = [_citation(knowledge, cid) for cid in ids[:limit]]
    more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
    return " Sources: " + "; ".join(shown) + more + "."


def footer(a: Assessment) -> str:
    return (
        f"_HO Sentinel knowledge {md(a.knowledge_release)} "
        f"({md(a.knowledge_digest[:19])}…), assessed as of {day(a.as_of)}. Decision support, "
        "not a diagnosis: check the basis against the chart._"
    )


def option_title(knowledge: Knowledge, option: str) -> str:
    """The knowledge base's title of a drug option ("NSAID (indomethacin)"), Markdown-safe."""
    drug = _drug(knowledge, option)
    return md(drug.title if drug else option)


def _drug(knowledge: Knowledge, option: str) -> DrugOption | None:
    return next((drug for drug in knowledge.drugs if drug.id == option), None)
