"""Range of motion in degrees, read from one sentence.

"R knee flexion 80°", "PROM L hip flex 0-95 deg", "80 degrees of knee flexion",
"knee flexion decreased from 110 to 80", "flexion 80 (previously 110)",
"Hip flexion R 80 L 110", "lacks 30° of elbow extension" (extension -30: "higher is better", 0 is
full extension, a negative value is extension lacking), "flexion contracture of 20°".
A number counts only with a degree sign or word, a range ("0-95"), or a ROM word in the sentence
(PROM, AROM, goniometry): "hip flexion 3/5" (strength) and "hip flex 2x10" (exercise) are not
motion. WFL / WNL give no number and so no finding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hosentinel.notes.vocab import Vocabulary

_NUM = r"(-?\d{1,3}(?:\.\d)?)"
_UNIT = r"\s*(?:°|º|deg(?:rees?|s)?\b\.?|degs?\b)?"
_LEAD = (
    r"[\s:=,]*(?:(?:\(?(?:PROM|AROM|AAROM|ROM)\)?|is|of|at|to|measured|measures|measuring"
    r"|limited to|only|now|today|currently|approx\.?|approximately|~)\s*[:=]?\s*){0,3}"
)
_SIDE = r"(?:\(?(?P<side>right|left|rt|lt|r|l)\.?\)?\s*[:=]?\s*)?"
_AFTER = re.compile(
    rf"{_LEAD}{_SIDE}(?:(?:0|-?\d{{1,3}})\s*(?:-|–|to)\s*)?(?P<num>{_NUM})(?P<unit>{_UNIT})", re.I
)
_RANGE = re.compile(rf"{_LEAD}(?:0|-?\d{{1,3}})\s*(?:-|–|to)\s*\d", re.I)
_FROM_TO = re.compile(
    rf"[\s:,]*(?:(?:has\s)?(?:decreased|declined|dropped|reduced|improved|increased|gone|went|progressed)\s)?"
    rf"from\s{_NUM}{_UNIT}\s*(?:to|->|→)\s*{_NUM}(?P<unit>{_UNIT})",
    re.I,
)
_BEFORE = re.compile(rf"{_NUM}(?P<unit>{_UNIT})\s*(?:of\s)?(?:\S+\s){{0,2}}$", re.I)
_TABLE = re.compile(
    rf"{_LEAD}(?:R|Rt|right)\s*[:=]?\s*{_NUM}{_UNIT}[\s,;/]*(?:L|Lt|left)\s*[:=]?\s*{_NUM}{_UNIT}",
    re.I,
)
_EARLIER = re.compile(
    rf"\s*[,(;]?\s*(?:(?:today|now|currently)\s)?(?:(?:down|decreased|reduced|up|improved|increased|declined)\s)?"
    rf"(?:from|previously|prev\.?|was|were|compared (?:to|with)|vs\.?|prior|baseline"
    rf"|last (?:week|visit|session|note|time))"
    rf"\s*[:=]?\s*(?:of\s)?{_NUM}{_UNIT}",
    re.I,
)
_EARLIER_TRAILING = re.compile(
    rf"\s*(?:today|now|currently)?\s*[,(;]\s*{_NUM}{_UNIT}\s*"
    r"(?:last|on|at|prior|previously|on admission|at admission|before)\b",
    re.I,
)
# "R knee AROM 0-100 deg": an arc from extension to flexion (knee and elbow only, see extract).
_ARC = re.compile(
    rf"(?<![\w/])(?:PROM|AROM|AAROM|ROM)\s*[:=]?\s*(-?\d{{1,3}})\s*(?:-|–|to)\s*(\d{{1,3}})(?P<unit>{_UNIT})",
    re.I,
)
_NOT_DEGREES = re.compile(
    r"\s*(?:/\s*5|x\s*\d|reps?\b|sets?\b|lbs?\b|kg\b|sec|min\b|times\b|%)", re.I
)
_LACKING_NUMBER = re.compile(rf"{_NUM}{_UNIT}", re.I)


_SIDE_NAMES = {
    "right": "right",
    "rt": "right",
    "r": "right",
    "left": "left",
    "lt": "left",
    "l": "left",
}


@dataclass(frozen=True, slots=True)
class Reading:
    motion: str
    value: float
    start: int  # the phrase within the sentence
    end: int
    earlier: float | None = None
    side: str | None = None  # from a table row "R 80 L 110"
    arc: bool = False  # read from an extension-flexion arc, "ROM 10-120"


def _plausible(motion: str, value: float) -> bool:
    return -90 <= value <= 40 if motion == "extension" else 0 <= value <= 200


def _is_degrees(text: str, end: int, unit: str, ranged: bool, rom_word: bool) -> bool:
    if _NOT_DEGREES.match(text, end):
        return False
    return bool(unit.strip()) or ranged or rom_word


def _earlier(text: str, pos: int) -> float | None:
    match = _EARLIER.match(text, pos) or _EARLIER_TRAILING.match(text, pos)
    return float(match.group(1)) if match else None


def read_rom(text: str, vocab: Vocabulary) -> list[Reading]:
    rom_word = vocab.rom_words.search(text) is not None
    readings: list[Reading] = []
    lacking = vocab.extension_lacking.search(text)
    if lacking is not None:
        numbers = list(_LACKING_NUMBER.finditer(text))
        if numbers:
            near = min(numbers, key=lambda m: abs(m.start() - lacking.end()))
            if abs(near.start() - lacking.end()) <= 30 and not _NOT_DEGREES.match(text, near.end()):
                value = -abs(float(near.group(1)))
                if _plausible("extension", value):
                    start, end = min(lacking.start(), near.start()), max(lacking.end(), near.end())
                    readings.append(Reading("extension", value, start, end))
    motions = vocab.motions.finditer(text)
    if not motions:
        for arc in _ARC.finditer(text):
            low, high = float(arc.group(1)), float(arc.group(2))
            if _plausible("flexion", high) and _plausible("extension", -abs(low)):
                readings.append(Reading("flexion", high, arc.start(), arc.end(), arc=True))
                if low:  # "ROM 10-120": extension lacks 10; "0-120" says nothing more
                    readings.append(
                        Reading("extension", -abs(low), arc.start(), arc.end(), arc=True)
                    )
    for index, (motion, m_start, m_end) in enumerate(motions):
        if motion == "extension" and lacking is not None:
            continue
        stop = motions[index + 1][1] if index + 1 < len(motions) else len(text)
        if vocab.unmeasured.match(text, m_end) or re.match(r"[\s:=-]*(?:WFL|WNL)", text[m_end:]):
            continue
        table = _TABLE.match(text, m_end, stop)
        if table is not None:
            for side, group in (("right", 1), ("left", 2)):
                value = float(table.group(group))
                if _plausible(motion, value):
                    readings.append(Reading(motion, value, m_start, table.end(), None, side))
            continue
        from_to = _FROM_TO.match(text, m_end, stop)
        if from_to is not None:
            value, before = float(from_to.group(2)), float(from_to.group(1))
            if _plausible(motion, value) and _is_degrees(
                text, from_to.end(), from_to.group("unit"), False, rom_word
            ):
                readings.append(Reading(motion, value, m_start, from_to.end(), before))
            continue
        after = _AFTER.match(text, m_end, stop)
        if after is not None:
            value = float(after.group("num"))
            ranged = _RANGE.match(text, m_end, stop) is not None
            if _plausible(motion, value) and _is_degrees(
                text, after.end(), after.group("unit"), ranged, rom_word
            ):
                row_side = _SIDE_NAMES.get((after.group("side") or "").lower())
                earlier = _earlier(text, after.end())
                readings.append(Reading(motion, value, m_start, after.end(), earlier, row_side))
            continue
        previous_end = motions[index - 1][2] if index else 0
        before_match = _BEFORE.search(text, previous_end, m_start)
        if before_match is not None:
            value = float(before_match.group(1))
            unit = before_match.group("unit")
            if unit.strip() and _plausible(motion, value):
                readings.append(Reading(motion, value, before_match.start(), m_end))
    return readings
