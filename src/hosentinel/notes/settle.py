"""Note findings beside coded ones: what counts.

- A coded finding (an Observation with the same finding code, joint and side, on the same day)
  wins: the note's reading of that finding, and the earlier value it gave with it, is dropped.
- Copied-forward text: the same sentence giving the same finding in a later note is not new
  evidence; only its first (earliest) note counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hosentinel.core.record import FINDING, Observation


def _code(obs: Observation) -> str | None:
    return next((c.code for c in obs.codings if c.system == FINDING), None)


def _normal(sentence: str) -> str:
    return " ".join(sentence.lower().split())


def settle(observations: Sequence[Observation]) -> list[Observation]:
    """The observations to keep, in their order."""
    coded: set[tuple[str, str | None, str | None, date | None]] = set()
    for obs in observations:
        code = _code(obs)
        if code is not None and obs.evidence is None:
            coded.add((code, obs.site.joint, obs.site.side, obs.effective))
    # Group each note's readings of one finding in one sentence (value and earlier value).
    groups: dict[tuple[str, str, str | None, str | None, str], list[Observation]] = {}
    for obs in observations:
        code = _code(obs)
        if obs.evidence is not None and code is not None:
            key = (obs.ref, code, obs.site.joint, obs.site.side, _normal(obs.evidence))
            groups.setdefault(key, []).append(obs)
    dropped: set[int] = set()
    first_seen: dict[tuple[str, str | None, str | None, str], date | None] = {}
    ordered = sorted(groups.items(), key=lambda item: item[1][0].effective or date.min)
    for (_, code, joint, side, sentence), members in ordered:
        day = members[0].effective
        if (code, joint, side, day) in coded:
            dropped.update(id(o) for o in members)
            continue
        copy_key = (code, joint, side, sentence)
        if copy_key in first_seen and first_seen[copy_key] != day:
            dropped.update(id(o) for o in members)  # the same sentence, copied into a later note
            continue
        first_seen.setdefault(copy_key, day)
    return [o for o in observations if id(o) not in dropped]
