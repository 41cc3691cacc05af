"""Step 3: the surveillance window and which joints are due for examination.

Each index event has its own window, from `window_start_days` to `window_end_months` after it
(AAPM&R: symptoms start 2 weeks to 12 months after the event). The patient is in-window while any
window is open, so a new fracture on day 85 of an SCI does not reset the clock; the joints of each
open window are due every `exam_interval_days` (a local setting) after their last examination.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from hosentinel.core.assessment import Basis, DueJoint, IndexEvent, Input, Phase, Surveillance
from hosentinel.core.facts import Facts
from hosentinel.core.record import FINDING, JOINTS, SIDES, Joint, Observation, Side
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


def open_events(
    knowledge: Knowledge, events: tuple[IndexEvent, ...], as_of: date
) -> tuple[IndexEvent, ...]:
    """Events (on or before as-of) whose window contains as-of, oldest first."""
    found = []
    for event in events:
        start, end = window_of(knowledge, event.date)
        if start <= as_of <= end:
            found.append(event)
    return tuple(found)


def episode_start(
    knowledge: Knowledge,
    events: tuple[IndexEvent, ...],
    upcoming: tuple[IndexEvent, ...],
    as_of: date,
) -> date | None:
    """The start of the current episode: the earliest event whose window has not closed (open,
    or not yet opened), else the next upcoming event, else the latest past event."""
    live = [e for e in events if as_of <= window_of(knowledge, e.date)[1]]
    if live:
        return live[0].date
    if upcoming:
        return upcoming[0].date
    return events[-1].date if events else None


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
    considered = (*events, *upcoming[:1])
    windows = [(e, *window_of(knowledge, e.date)) for e in considered]
    open_now = [w for w in windows if w[1] <= as_of <= w[2]]
    pending = [w for w in windows if as_of < w[1]]
    phase: Phase
    if open_now:
        phase = "in-window"
        shown = open_now
    elif pending:
        phase = "before-window"
        shown = pending[:1]
    else:
        phase = "after-window"
        shown = windows[-1:]
    start = min(w[1] for w in shown)
    end = max(w[2] for w in shown)
    anchors = [w[0] for w in shown]
    window_basis = Basis(
        rule=WINDOW_RULE,
        entries=("index-events",),
        citations=spec_citations,
        inputs=tuple(dict.fromkeys(i for e in anchors for i in e.basis.inputs)),
        note="; ".join(
            f"{e.kind} on {e.date.isoformat()}: window {ws.isoformat()} to {we.isoformat()}"
            for e, ws, we in (w for w in windows if w[0] in anchors)
        )
        + ".",
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
    sources: dict[tuple[Joint, Side], tuple[IndexEvent, date]] = {}
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


def _joint_order(item: tuple[tuple[Joint, Side], tuple[IndexEvent, date]]) -> tuple[int, int]:
    (joint, side), _ = item
    return JOINT_ORDER[joint], SIDE_ORDER[side]
