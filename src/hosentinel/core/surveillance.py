"""Step 3: the surveillance window and which joints are due for examination.

The window runs from `window_start_days` to `window_end_months` after the latest index event
(AAPM&R: symptoms start 2 weeks to 12 months after the event). During it each joint of the
population is due every `exam_interval_days` (a local setting) after its last examination.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hosentinel.core.assessment import Basis, DueJoint, IndexEvent, Input, Phase, Surveillance
from hosentinel.core.facts import FINDING, Facts
from hosentinel.core.record import JOINTS, SIDES, Observation
from hosentinel.knowledge.loader import Knowledge

WINDOW_RULE = "surveillance-window"
JOINT_ORDER: dict[str, int] = {joint: n for n, joint in enumerate(JOINTS)}
SIDE_ORDER: dict[str, int] = {side: n for n, side in enumerate(SIDES)}
DUE_RULE = "joint-due"


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year = day.year + month_index // 12
    month = month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_of(knowledge: Knowledge, event_date: date) -> tuple[date, date]:
    spec = knowledge.index_events
    return (
        event_date + timedelta(days=spec.window_start_days),
        add_months(event_date, spec.window_end_months),
    )


def joint_of_finding(code: str) -> str | None:
    head = code.split("-", 1)[0]
    return head if head in JOINTS else None


def last_examinations(facts: Facts) -> dict[tuple[str, str], Observation]:
    """The latest bedside examination (ROM or sign) per (joint, side)."""
    latest: dict[tuple[str, str], Observation] = {}
    for obs in facts.observations:
        for coding in obs.codings:
            joint = joint_of_finding(coding.code) if coding.system == FINDING else None
            side = obs.site.side
            if joint is None or side is None:
                continue
            current = latest.get((joint, side))
            if current is None or (obs.effective or date.min) >= (current.effective or date.min):
                latest[(joint, side)] = obs
    return latest


def assess_surveillance(
    knowledge: Knowledge,
    facts: Facts,
    events: tuple[IndexEvent, ...],
    upcoming: tuple[IndexEvent, ...],
    as_of: date,
) -> Surveillance:
    spec_citations = tuple(c.id for c in knowledge.index_events.citations)
    if not events and not upcoming:
        return Surveillance(
            "not-applicable",
            None,
            None,
            (),
            Basis(
                rule=WINDOW_RULE,
                entries=("index-events",),
                citations=spec_citations,
                note="No index event in the record.",
            ),
        )
    anchor = events[-1] if events else upcoming[0]
    start, end = window_of(knowledge, anchor.date)
    phase: Phase
    if as_of < start:
        phase = "before-window"
    elif as_of <= end:
        phase = "in-window"
    else:
        phase = "after-window"
    window_basis = Basis(
        rule=WINDOW_RULE,
        entries=("index-events",),
        citations=spec_citations,
        inputs=anchor.basis.inputs,
        note=f"Latest index event ({anchor.kind}) on {anchor.date.isoformat()}.",
    )
    due = () if phase == "after-window" else _due_joints(knowledge, facts, events, upcoming, as_of)
    return Surveillance(phase, start, end, due, window_basis)


def _due_joints(
    knowledge: Knowledge,
    facts: Facts,
    events: tuple[IndexEvent, ...],
    upcoming: tuple[IndexEvent, ...],
    as_of: date,
) -> tuple[DueJoint, ...]:
    interval = timedelta(days=int(knowledge.setting("exam_interval_days")))
    # Every event whose window is open (or about to open) contributes its joints.
    sources: dict[tuple[str, str], tuple[IndexEvent, date]] = {}
    for event in (*events, *upcoming[:1]):
        start, end = window_of(knowledge, event.date)
        if as_of > end:
            continue
        sides = (event.side,) if event.side else SIDES
        for joint in event.joints:
            for side in sides:
                assert side is not None
                key = (joint, side)
                if key not in sources or start < sources[key][1]:
                    sources[key] = (event, start)
    last = last_examinations(facts)
    due: list[DueJoint] = []
    for (joint, side), (event, start) in sorted(sources.items(), key=_joint_order):
        exam = last.get((joint, side))
        examined = exam.effective if exam else None
        due_day = max(start, examined + interval) if examined else start
        inputs = list(event.basis.inputs)
        if exam is not None:
            inputs.append(Input(ref=exam.ref, what="last examination", date=examined))
        due.append(
            DueJoint(
                joint=joint,
                side=side,
                due=due_day,
                overdue=due_day < as_of,
                last_examined=examined,
                basis=Basis(
                    rule=DUE_RULE,
                    entries=("index-events",),
                    citations=event.basis.citations,
                    inputs=tuple(inputs),
                    settings=("exam_interval_days",),
                ),
            )
        )
    return tuple(due)


def _joint_order(item: tuple[tuple[str, str], tuple[IndexEvent, date]]) -> tuple[int, int]:
    (joint, side), _ = item
    return JOINT_ORDER[joint], SIDE_ORDER[side]
