"""FHIR DocumentReference / DiagnosticReport text -> the record's Observations.

Each finding read from a note becomes an `Observation` with the project's finding code, the
note's date, the side in `site`, and the sentence as its `evidence`; a ROM finding whose note
gives the earlier value ("80°, previously 110°") adds that value as a second Observation of the
same note and date, just before it. Called by the importer (`hosentinel.fhir.builders`) with the
resource's date already read; the knowledge base's `notes-vocabulary` entry gives the words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from hosentinel.core.record import FINDING, BodySite, Coding, Observation
from hosentinel.fhir.access import JSONObject, child, children, one_line, string
from hosentinel.knowledge.loader import Knowledge
from hosentinel.notes.decode import Unreadable, attachment_text, checked_text, media_type
from hosentinel.notes.extract import NoteFinding, read_text
from hosentinel.notes.vocab import Vocabulary, vocabulary

_REPORT_KINDS = ("bone-scan-ho", "radiograph-ho")


class NoteReader:
    """Reads the notes of one Bundle (the Binary resources in it resolve `attachment.url`)."""

    def __init__(self, knowledge: Knowledge, binaries: Mapping[str, JSONObject] | None = None):
        self.vocab: Vocabulary = vocabulary(knowledge)
        self.binaries: Mapping[str, JSONObject] = binaries or {}

    def document(
        self, res: JSONObject, ref: str, day: date | None, warnings: list[str]
    ) -> list[Observation]:
        texts: list[str] = []
        attachments = [child(content, "attachment") for content in children(res, "content")]
        plain = [
            a for a in attachments if media_type(string(a, "contentType")) in ("", "text/plain")
        ]  # a PDF or HTML rendition beside the text one is not ours to read
        for attachment in plain:
            try:
                texts.append(attachment_text(attachment, self.binaries))
            except Unreadable as why:
                warnings.append(one_line(f"{ref}: note skipped: {why}"))
        if not plain:
            kinds = ", ".join(sorted({string(a, "contentType") or "?" for a in attachments}))
            warnings.append(one_line(f"{ref}: note skipped: no text/plain content ({kinds})"))
        # A report filed as a note ("US duplex venous right lower extremity") reads like one.
        kind, site = self._report_kind(_title(res, "type"))
        found: list[NoteFinding] = []
        for text in texts:
            found.extend(read_text(text, self.vocab, report_kind=kind, report_site=site))
        return self._observations(_distinct(found), ref, day)

    def report(
        self, res: JSONObject, ref: str, day: date | None, warnings: list[str]
    ) -> list[Observation]:
        kind, site = self._report_kind(_title(res, "code"))
        texts: list[str] = []
        if res.get("conclusion") is not None:
            try:
                texts.append(checked_text(res.get("conclusion")))
            except Unreadable as why:
                warnings.append(one_line(f"{ref}: conclusion skipped: {why}"))
        for form in children(res, "presentedForm"):
            if media_type(string(form, "contentType")) not in ("", "text/plain"):
                continue
            try:
                texts.append(attachment_text(form, self.binaries))
            except Unreadable as why:
                warnings.append(one_line(f"{ref}: presentedForm skipped: {why}"))
        found: list[NoteFinding] = []
        for text in texts:
            found.extend(read_text(text, self.vocab, report_kind=kind, report_site=site))
        return self._observations(_distinct(found), ref, day)

    def _report_kind(self, title: str) -> tuple[str | None, tuple[str | None, str | None]]:
        kind: str | None = None
        modalities = self.vocab.imaging.finditer(title)
        if modalities:
            kind = modalities[0][0]
        elif self.vocab.duplex.search(title):
            kind = "dvt"
        joints = self.vocab.joints.finditer(title)
        sides = self.vocab.sides.finditer(title) or self.vocab.limb_sides.finditer(title)
        joint = joints[0][0] if len(joints) == 1 else None
        side = sides[0][0] if len({s[0] for s in sides}) == 1 else None
        return kind, (joint, side)

    def _observations(
        self, findings: list[NoteFinding], ref: str, day: date | None
    ) -> list[Observation]:
        out: list[Observation] = []
        for f in findings:
            site = BodySite(f.joint, f.side)  # type: ignore[arg-type]
            coding = (Coding(FINDING, f.code),)
            if f.earlier is not None:
                out.append(_observation(ref, coding, day, f.earlier, site, f.sentence))
            out.append(_observation(ref, coding, day, f.value, site, f.sentence))
        return out


def _title(res: JSONObject, key: str) -> str:
    concept = child(res, key)
    texts = [string(concept, "text"), *(string(c, "display") for c in children(concept, "coding"))]
    return " ".join(t for t in texts if t)


def _distinct(findings: list[NoteFinding]) -> list[NoteFinding]:
    seen: set[str] = set()
    out: list[NoteFinding] = []
    for f in findings:
        if f.key() not in seen:
            seen.add(f.key())
            out.append(f)
    return out


def _observation(
    ref: str,
    coding: tuple[Coding, ...],
    day: date | None,
    value: bool | float | str,
    site: BodySite,
    sentence: str,
) -> Observation:
    if isinstance(value, bool):
        return Observation(ref, coding, None, day, value_bool=value, site=site, evidence=sentence)
    if isinstance(value, float):
        return Observation(
            ref, coding, None, day, value_quantity=value, unit="deg", site=site, evidence=sentence
        )
    return Observation(ref, coding, None, day, value_code=value, site=site, evidence=sentence)
