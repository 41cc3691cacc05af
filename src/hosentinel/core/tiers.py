"""Which recommendations are `next` (what the team should do now) and which are `also`.

The contract allows at most MAX_NEXT items in `next`, urgent first. Urgent and soon items fill it
in pathway order; anything waiting for another step (a drug while the DVT work-up is open) is
never `next`. When nothing is urgent or soon, the first routine item is `next`, so the team
always sees one thing to do.
"""

from __future__ import annotations

from dataclasses import replace

from hosentinel.core.assessment import Recommendation

MAX_NEXT = 4  # contract (DESIGN.md, additions of 2026-12-05), not a clinical number


def assign_tiers(ordered: tuple[Recommendation, ...]) -> tuple[Recommendation, ...]:
    """`ordered` is in display order (priority, then pathway order)."""
    ready = [r for r in ordered if not r.waits_for]
    chosen = [r.id for r in ready if r.priority in ("urgent", "soon")][:MAX_NEXT]
    if not chosen and ready:
        chosen = [ready[0].id]
    return tuple(replace(r, tier="next" if r.id in chosen else "also") for r in ordered)
