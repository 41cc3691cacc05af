"""Step 1 of the pathway: the injuries and operations that start surveillance, and their joints."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from hosentinel.core.assessment import Basis, IndexEvent
from hosentinel.core.clauses import fact_input
from hosentinel.core.facts import Fact, Facts
from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

RULE = "index-event"


@dataclass(frozen=True, slots=True)
class FoundEvents:
    events: tuple[IndexEvent, ...]  # dated on or before as-of, oldest first
    upcoming: tuple[IndexEvent, ...]  # dated after as-of (the record knows of a later event)
    undated: tuple[str, ...]  # refs of index entries without a date


def _joints_for(
    kind: s.IndexEventKind, concepts: set[str]
) -> tuple[list[s.Joint], list[str], bool]:
    """Joints for this event, the citations of the site rules that gave them, and whether any
    of those rules is a local mapping rather than a sourced one."""
    joints: list[s.Joint] = []
    citations: list[str] = []
    local = False
    for rule in kind.sites:
        if rule.concepts and not concepts.intersection(rule.concepts):
            continue
        for joint in rule.joints:
            if joint not in joints:
                joints.append(joint)
        citations.extend(c.id for c in rule.citations)
        local = local or rule.local
    return joints, citations, local


def _events_from(
    knowledge: Knowledge, facts: list[Fact], as_of: date
) -> tuple[list[IndexEvent], list[str]]:
    spec = knowledge.index_events
    # Group the entries by (ref) so one coded fracture that matches several concepts (fracture,
    # long-bone-fracture, fracture-lower-limb) makes one event with all its concepts.
    by_ref: dict[str, list[Fact]] = {}
    for fact in facts:
        by_ref.setdefault(fact.ref, []).append(fact)
    events: list[IndexEvent] = []
    undated: list[str] = []
    for ref, ref_facts in by_ref.items():
        concepts = {f.concept for f in ref_facts}
        for kind in spec.kinds:
            if not concepts.intersection(kind.concepts):
                continue
            first = next(f for f in ref_facts if f.concept in kind.concepts)
            if first.start is None:
                undated.append(ref)
                continue
            joints, site_citations, local = _joints_for(kind, concepts)
            side = next((f.site.side for f in ref_facts if f.site.side), None)
            basis = Basis(
                rule=RULE,
                entries=(spec.id,),
                citations=tuple(dict.fromkeys([c.id for c in kind.citations] + site_citations)),
                inputs=(fact_input(first, kind.title),),
                note="The joints for this event are a local mapping, not sourced."
                if local
                else None,
            )
            events.append(
                IndexEvent(
                    kind=kind.id,
                    date=first.start,
                    days_since=(as_of - first.start).days,
                    joints=tuple(joints),
                    side=side,
                    basis=basis,
                    concepts=tuple(sorted(concepts)),
                )
            )
    return _merge_same_event(events), undated


def _merge_same_event(events: list[IndexEvent]) -> list[IndexEvent]:
    """One event per (kind, date): a hip replacement is often both a Procedure and a Z96.64
    Condition on the same day, and one burn is coded by site and depth (T22, T24) and by extent
    (T31) at once. Entries on different sides make one event without a side (both sides)."""
    merged: dict[tuple[str, date], IndexEvent] = {}
    for event in events:
        key = (event.kind, event.date)
        first = merged.get(key)
        if first is None:
            merged[key] = event
            continue
        merged[key] = replace(
            first,
            joints=tuple(dict.fromkeys(first.joints + event.joints)),
            side=first.side if first.side == event.side else None,
            concepts=tuple(sorted(set(first.concepts) | set(event.concepts))),
            basis=replace(
                first.basis,
                inputs=tuple(dict.fromkeys(first.basis.inputs + event.basis.inputs)),
                citations=tuple(dict.fromkeys(first.basis.citations + event.basis.citations)),
            ),
        )
    return sorted(merged.values(), key=lambda e: (e.date, e.kind))


def find_index_events(knowledge: Knowledge, facts: Facts, as_of: date) -> FoundEvents:
    concepts = {c for kind in knowledge.index_events.kinds for c in kind.concepts}
    concepts |= {
        c for kind in knowledge.index_events.kinds for rule in kind.sites for c in rule.concepts
    }
    current = [
        f for c in sorted(concepts) for f in facts.of(c) if f.kind in ("condition", "procedure")
    ]
    future = [f for f in facts.future_index_facts if f.concept in concepts]
    events, undated = _events_from(knowledge, current, as_of)
    upcoming, _ = _events_from(knowledge, future, as_of)
    return FoundEvents(tuple(events), tuple(upcoming), tuple(undated))
