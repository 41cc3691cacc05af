"""Which joint and which side a mention in a sentence is about.

The joint: the one a preposition ties the mention to ("swelling of the R knee"), else the nearest
before it ("R knee warm"), else the nearest after it, else the heading above the sentence. The side:
a side word right before that joint ("R knee", "left-sided hip", "right hip and knee"), or in
brackets right after it ("knee (R)"), or "on the right" when the sentence names one joint, else the
heading's. A side word anywhere else ("left message", "L4", "left-handed") is not a joint's side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hosentinel.notes.sentences import Sentence
from hosentinel.notes.vocab import Vocabulary

Match = tuple[str, int, int]  # (label, start, end) within the sentence

_TIED_AFTER = re.compile(
    r"[\s,]*(?:of|in|at|over|around|about|to|on|involving|along|across|near|surrounding|from)\s"
    r"(?:the\s|his\s|her\s|their\s|pt'?s\s)?(?:[\w/.()\-]{1,9}\s){0,2}",
    re.IGNORECASE,
)
_GAP_BEFORE = re.compile(r"[\s\-.]*", re.IGNORECASE)
_JOINT_GLUE = re.compile(r"(?:[\s,/&\-.]|and)*", re.IGNORECASE)
_BRACKET_AFTER = re.compile(r"\s*[(\[]\s*(right|left|rt|lt|r|l|b/?l|bilat(?:eral)?)\s*[)\]]", re.I)
_ON_THE = re.compile(r"\bon the (right|left)\b|\b(right|left)[- ]sided?\b|\b(bilateral)ly\b", re.I)
_COORDINATION = re.compile(r"\s*(?:,|and|&|/|or)\s*(?:the\s)?", re.IGNORECASE)
_SIDE_AFTER = re.compile(r"\s*:?\s*(right|left|rt|lt|r|l)\b\.?(?!\s*(?:>|/))", re.IGNORECASE)
_GREATER = re.compile(r"\b(right|left|r|l)\s*>\s*(?:right|left|r|l)\s*$", re.IGNORECASE)
_SIDE_WORD = {
    "right": "right",
    "rt": "right",
    "r": "right",
    "left": "left",
    "lt": "left",
    "l": "left",
}


@dataclass(frozen=True, slots=True)
class Scan:
    """The joint and side words of one sentence, found once."""

    text: str
    joints: list[Match]
    sides: list[Match]
    others: list[re.Match[str]]

    @classmethod
    def of(cls, text: str, vocab: Vocabulary) -> Scan:
        return cls(
            text,
            vocab.joints.finditer(text),
            vocab.sides.finditer(text),
            list(vocab.other_sites.finditer(text)),
        )


def joint_for(scan: Scan, start: int, end: int, *, window: int = 60) -> Match | None:
    for joint in scan.joints:
        if joint[1] >= end and _TIED_AFTER.fullmatch(scan.text, end, joint[1]):
            return joint
    before = [j for j in scan.joints if j[2] <= start and start - j[2] <= window]
    after = [j for j in scan.joints if j[1] >= end and j[1] - end <= window]
    # "R foot edema, L knee pain": a body part that is not one of the joints, nearer than any
    # joint, owns the mention.
    others = [(m.start(), m.end()) for m in scan.others]
    near_before = max((b for a, b in others if b <= start), default=None)
    near_after = min((a for a, b in others if a >= end), default=None)
    if before and not (near_before is not None and near_before > before[-1][2]):
        return before[-1]
    if near_before is not None and start - near_before <= 12:
        return None
    if after and not (near_after is not None and near_after < after[0][1]):
        return after[0]
    inside = [j for j in scan.joints if j[1] >= start and j[2] <= end]
    return inside[0] if inside else None


def coordinated(scan: Scan, joint: Match) -> list[Match]:
    """The joint and those joined to it: "right hip and knee", "shoulder, elbow"."""
    group = [joint]
    index = scan.joints.index(joint)
    for step in (-1, 1):
        i = index
        while 0 <= i + step < len(scan.joints):
            a, b = sorted((scan.joints[i], scan.joints[i + step]), key=lambda m: m[1])
            if not _COORDINATION.fullmatch(scan.text, a[2], b[1]):
                break
            i += step
            group.append(scan.joints[i])
    return sorted(group, key=lambda m: m[1])


def side_of_joint(scan: Scan, joint: Match) -> str | None:
    """ "right" / "left" / "both" or None, for the joint word at `joint`."""
    text = scan.text
    greater = _GREATER.search(text, 0, joint[1])
    if greater is not None and _GAP_BEFORE.fullmatch(text, greater.end(), joint[1]):
        return _SIDE_WORD.get(greater.group(1).lower())  # "swelling R > L knee"
    for side in reversed([s for s in scan.sides if s[2] <= joint[1]]):
        gap = text[side[2] : joint[1]]
        if _GAP_BEFORE.fullmatch(gap):
            return side[0]
        # "right hip and knee": only joint words and glue between the side and this joint
        stripped = gap
        for other in scan.joints:
            if side[2] <= other[1] and other[2] <= joint[1]:
                stripped = stripped.replace(text[other[1] : other[2]], " ", 1)
        if len(gap) <= 30 and _JOINT_GLUE.fullmatch(stripped):
            return side[0]
        break
    bracket = _BRACKET_AFTER.match(text, joint[2])
    if bracket is not None:
        word = bracket.group(1).lower().rstrip(".")
        return _SIDE_WORD.get(word, "both")
    after = _SIDE_AFTER.match(text, joint[2])
    if after is not None and not any(0 <= j[1] - after.end() <= 2 for j in scan.joints):
        return _SIDE_WORD.get(after.group(1).lower())  # "Knee: R swollen", "Elbow R: no edema"
    if len({j[0] for j in scan.joints}) == 1:
        on_the = _ON_THE.search(text)
        if on_the is not None:
            word = (on_the.group(1) or on_the.group(2) or "").lower()
            return _SIDE_WORD.get(word, "both")
    return None


def site_for(
    scan: Scan, sentence: Sentence, start: int, end: int, default: tuple[str | None, str | None]
) -> list[tuple[str | None, tuple[str, ...]]]:
    """[(joint, sides)] for a mention at [start, end) of the sentence: one per joint it is about
    ("right hip and knee swollen": two); sides is () when unknown, ("left", "right") for both."""
    joint = joint_for(scan, start, end)
    if joint is None:
        name = sentence.joint or default[0]
        side = sentence.side if sentence.joint else default[1]
        return [(name, _sides(side))]
    group = coordinated(scan, joint)
    shared = next((x for x in (side_of_joint(scan, j) for j in group) if x), None)
    out: list[tuple[str | None, tuple[str, ...]]] = []
    for member in group:
        side = side_of_joint(scan, member) or shared
        if side is None:  # "R hip warm, TTP over greater trochanter": the joint named with a side
            named = {
                side_of_joint(scan, j) for j in scan.joints if j[0] == member[0] and j != member
            }
            named.discard(None)
            side = named.pop() if len(named) == 1 else None
        if side is None and sentence.joint in (None, member[0]):
            side = sentence.side
        if side is None and default[0] in (None, member[0]):
            side = default[1]
        out.append((member[0], _sides(side)))
    return out


def _sides(side: str | None) -> tuple[str, ...]:
    if side == "both":
        return ("left", "right")
    return (side,) if side else ()
