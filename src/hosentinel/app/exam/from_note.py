"""A note pasted into the exam form: the notes reader (hosentinel.notes) proposes exam values,
each with the sentence it was read from; the clinician ticks the ones they confirm, and only
those fill the form's empty fields when the exam is saved. Nothing is saved from the note
itself, and the note's text is not stored.

What is proposed: a sign the note says is present at a joint and side (pain, swelling, warmth,
redness) and a range of motion with its degrees, for the joints and motions of the form. The
reader drops negated, hypothetical, historical and other-person mentions ("no swelling", "watch
for warmth", "mother had..."), so they are never proposed. A finding without a side is shown but
not proposed: the form needs the side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from hosentinel.app.exam.model import rom_field, sign_field
from hosentinel.app.exam.motions import SIGNS, motion
from hosentinel.app.knowledge_view import fmt_value
from hosentinel.knowledge.loader import Knowledge
from hosentinel.notes.extract import NoteFinding, read_text
from hosentinel.notes.vocab import vocabulary

NOTE_FIELD = "note"
ACCEPT_FIELD = "accept"
# A pasted note longer than this is refused with a message (a note is a few kB).
MAX_NOTE_CHARS = 50_000


class NoteTooLong(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Proposal:
    field: str | None  # the form field it fills; None: not proposed (no side)
    value: str  # as the form takes it: "80", "yes"
    label: str  # "Right hip flexion: 80°"
    before: str  # the evidence sentence, around the words the finding was read from
    mention: str
    after: str
    accepted: bool = False

    @property
    def choice(self) -> str:
        """The checkbox value: the field and the value it fills."""
        return f"{self.field}={self.value}"


def _evidence(text: str, f: NoteFinding) -> tuple[str, str, str]:
    start, end = f.sentence_span
    m0, m1 = f.mention
    if not (start <= m0 <= m1 <= end):
        return f.sentence, "", ""
    return text[start:m0].lstrip(), text[m0:m1], text[m1:end].rstrip()


def _proposal(text: str, f: NoteFinding) -> Proposal | None:
    parts = f.code.split("-")
    joint = f.joint or parts[0]
    where = f"{f.side.capitalize()} {joint}" if f.side else f"{joint.capitalize()} (side not said)"
    if f.code.endswith("-rom") and isinstance(f.value, float):
        m = motion(joint, "-".join(parts[1:-1]))
        if m is None:
            return None
        value = fmt_value(f.value)
        earlier = f" (the note gives {fmt_value(f.earlier)}° before)" if f.earlier else ""
        label = f"{where} {m.label}: {value}°{earlier}"
        field = rom_field(joint, f.side, m.motion) if f.side else None
    elif len(parts) == 2 and parts[1] in SIGNS and f.value is True:
        value, label = "yes", f"{where} {parts[1]}: yes"
        field = sign_field(joint, f.side, parts[1]) if f.side else None
    else:
        return None  # not an exam value (imaging, duplex, spasticity) or not a present sign
    return Proposal(field, value, label, *_evidence(text, f))


def proposals(text: str, knowledge: Knowledge, accepted: Iterable[str] = ()) -> list[Proposal]:
    """What the note proposes for the form, in the note's order; those in `accepted` (checkbox
    values) come back ticked."""
    if len(text) > MAX_NOTE_CHARS:
        raise NoteTooLong(
            f"The note is too long to read here ({len(text):,} characters; at most "
            f"{MAX_NOTE_CHARS:,}). Paste the part about the joints."
        )
    ticked = set(accepted)
    found = read_text(text.replace("\x00", " "), vocabulary(knowledge))
    out: list[Proposal] = []
    for f in sorted(found, key=lambda f: f.mention):
        p = _proposal(text, f)
        if p is not None and p.choice not in {q.choice for q in out if q.field}:
            out.append(replace(p, accepted=p.choice in ticked))
    return out


def apply_accepted(
    values: Mapping[str, str], accepted: Iterable[str], allowed: Iterable[str]
) -> tuple[dict[str, str], int]:
    """The form's values with each confirmed proposal filled in where the field was left empty
    (what the clinician typed wins); returns them and how many were filled. Only the form's own
    fields can be filled."""
    names = set(allowed)
    out = dict(values)
    filled = 0
    for choice in accepted:
        name, _, value = choice.partition("=")
        if name in names and value and not out.get(name, "").strip():
            out[name] = value
            filled += 1
    return out, filled
