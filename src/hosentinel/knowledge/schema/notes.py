"""The notes reader's vocabulary: the words it looks for and its extra ConText triggers."""

from __future__ import annotations

from typing import Literal

from hosentinel.knowledge.schema.entry import Entry
from hosentinel.knowledge.schema.vocabulary import Joint, Strict


class ContextTrigger(Strict):
    """An extra ConText trigger for reading notes (category and direction as in ConText)."""

    literal: str
    category: Literal[
        "NEGATED_EXISTENCE", "POSSIBLE_EXISTENCE", "HISTORICAL", "HYPOTHETICAL", "FAMILY"
    ]
    direction: Literal["FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE", "PSEUDO"] = "FORWARD"


class NotesVocabularyFile(Entry):
    """The words the notes reader (`hosentinel.notes`) looks for: each a case-insensitive regular
    expression matched on word boundaries."""

    kind: Literal["notes-vocabulary"]
    joints: dict[Joint, list[str]]
    sides: dict[Literal["left", "right", "both"], list[str]]
    signs: dict[Literal["pain", "swelling", "warmth", "redness"], list[str]]
    motions: dict[str, list[str]]
    rom_words: list[str]
    unmeasured: list[str]
    extension_lacking: list[str]
    earlier_value: list[str]
    spasticity: list[str]
    ho_terms: list[str]
    imaging: dict[Literal["bone-scan-ho", "radiograph-ho"], list[str]]
    imaging_negative: list[str]
    duplex: list[str]
    dvt_terms: list[str]
    limb_sides: dict[Literal["left", "right", "both"], list[str]]
    other_sites: list[str] = []
    planning: list[str] = []
    sections: dict[Literal["historical", "family", "hypothetical", "current"], list[str]]
    context: list[ContextTrigger] = []
