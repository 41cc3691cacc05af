"""A note's text cut into sentences, each with the section it sits in.

Clinical notes are line-oriented (templates, lists, "R knee: warm, swollen"), so a line break ends
a sentence unless the line plainly runs on (no closing punctuation, next line starts in lower
case). Within a line, ". " before a capital, "!", "?" and ";" end a sentence, except after the
short abbreviations notes use ("Rt. knee", "pt. reports"). A heading line ("Family history:",
"Goals:", "RIGHT KNEE:") sets the section, or the joint and side, for the lines under it.
Offsets are kept: every sentence is a slice of the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hosentinel.notes.vocab import Vocabulary

Section = str  # "current" | "historical" | "family" | "hypothetical"

# Words whose full stop does not end a sentence even before a capital ("Rt. Knee", "Dr. Lee").
_ABBREVIATIONS = frozenset(
    {"rt", "lt", "r", "l", "pt", "pts", "dr", "vs", "e.g", "i.e", "mr", "mrs", "ms", "st", "approx"}
)
_END = re.compile(r"[.!?;]+(?=\s)|;")
_LAST_WORD = re.compile(r"([A-Za-z.]+)$")


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    section: Section
    joint: str | None = None  # from a heading line above ("Right knee:")
    side: str | None = None


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        spans.append((pos, pos + len(stripped)))
        pos += len(line)
    return spans


def _runs_on(text: str, line: tuple[int, int], following: tuple[int, int]) -> bool:
    body = text[line[0] : line[1]].rstrip()
    nxt = text[following[0] : following[1]].lstrip()
    return bool(body and nxt) and body[-1] not in ".!?;:" and nxt[0].islower()


def _cut(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences within one logical line."""
    pieces: list[tuple[int, int]] = []
    begin = start
    for match in _END.finditer(text, start, end):
        if match.group().startswith("."):
            word = _LAST_WORD.search(text, begin, match.start())
            after = text[match.end() : match.end() + 3].lstrip()
            if (word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS) or (
                after and not after[0].isupper()
            ):
                continue  # "prev. 110", "ext. rot", "Dr. Lee": the sentence goes on
        pieces.append((begin, match.end()))
        begin = match.end()
    pieces.append((begin, end))
    return [(a, b) for a, b in pieces if text[a:b].strip()]


def split(text: str, vocab: Vocabulary) -> list[Sentence]:
    lines = _line_spans(text)
    logical: list[tuple[int, int]] = []
    for span in lines:
        if logical and _runs_on(text, logical[-1], span):
            logical[-1] = (logical[-1][0], span[1])
        else:
            logical.append(span)
    sentences: list[Sentence] = []
    section: Section = "current"
    joint: str | None = None
    side: str | None = None
    for start, end in logical:
        body = text[start:end]
        if not body.strip():
            joint = side = None  # a blank line ends a joint heading's reach
            continue
        heading = vocab.headings.match(body)
        if heading is not None:
            found = vocab.sections.finditer(body, 0, heading.end())
            section = found[0][0] if found else "current"
            joint = side = None
        else:
            head_joint, head_side, rest = _joint_heading(body, vocab)
            if head_joint is not None:
                joint, side = head_joint, head_side
                if not rest:
                    continue
        for a, b in _cut(text, start, end):
            sentences.append(Sentence(a, b, section, joint, side))
    return sentences


_JOINT_HEADING = re.compile(r"^[ \t\-*#>]*([A-Za-z/. ]{1,30}?)[ \t]*:[ \t]*(.*)$")


def _joint_heading(body: str, vocab: Vocabulary) -> tuple[str | None, str | None, str]:
    """ "Right knee:" -> ("knee", "right", rest of the line); (None, None, body) otherwise."""
    match = _JOINT_HEADING.match(body)
    if match is None:
        return None, None, body
    label = match.group(1)
    joints = vocab.joints.finditer(label)
    if len(joints) != 1:
        return None, None, body
    sides = vocab.sides.finditer(label)
    leftover = label
    for _, a, b in [*joints, *sides]:
        leftover = leftover[:a] + " " * (b - a) + leftover[b:]
    if leftover.strip(" ./"):
        return None, None, body  # "Pain in knee:" is a sentence, not a heading
    side = sides[0][0] if len(sides) == 1 else None
    return joints[0][0], side, match.group(2)
