"""One note's text -> the findings it states about the patient now.

The vocabulary's patterns find the candidates in each sentence (a cheap first pass skips
sentences with nothing to read); medspaCy's ConText says how each is asserted. A negated,
uncertain, historical, hypothetical or other-person mention is not a finding, with two exceptions
that the contract asks for: an imaging result ("no heterotopic ossification" -> radiograph-ho
absent) and a duplex result ("no DVT in the right leg" -> dvt false, right), each only with the
test named in the sentence or as the report's own kind. Section headings count too (a mention
under "Family history:" or "Goals:" is not a finding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from hosentinel.notes.context import Assertion, context_for
from hosentinel.notes.rom import read_rom
from hosentinel.notes.sentences import Sentence, split
from hosentinel.notes.site import Scan, site_for
from hosentinel.notes.vocab import Vocabulary

Value = bool | float | str

_BLANK_FORM = re.compile(r"\s*[:\-]?\s*(?:\(?\s*(?:y|yes)\s*/\s*(?:n|no)\s*\)?|_{2,})", re.I)
_FORM_NO = re.compile(
    r"\s*[:\-=]\s*(?:\[\s*[xX✓]\s*\]\s*)?(?:no|none|neg|negative|absent|denies|nil|n|0|-|wnl)\b",
    re.I,
)
_FORM_CHECKED_NO = re.compile(r"[^\n]{0,20}?\[\s*[xX✓]\s*\]\s*(?:no|none|absent|n)\b", re.I)
_FORM_CHECKED_YES = re.compile(r"[^\n]{0,20}?\[\s*[xX✓]\s*\]\s*(?:yes|y|present)\b", re.I)
_UNCHECKED_BEFORE = re.compile(r"(?:\[\s*\]|\(\s*\)|☐)\s*$")
_UNCHECKED_AFTER = re.compile(r"\s*:?\s*(?:\[\s*\]|\(\s*\)|☐)")
_CHECKED_BEFORE = re.compile(r"(?:\[\s*[xX✓]\s*\]|\(\s*[xX]\s*\)|☒|☑)\s*$")
_ZERO_PAIN = re.compile(r"[\s:=]*(?:0|zero)\s*/\s*10\b", re.I)
_THERAPY_AGENT = re.compile(
    r"[\s\-]*(?:compress(?:es)?|packs?|towels?|up\b|soaks?|shower|water|bath|whirlpool|medication|meds?\b"
    r"|control|management|regimen|scale|flag|cells?)",
    re.I,
)
_PRESSURE_BEFORE = re.compile(r"pressure\s*$", re.I)
# "Knee: no swelling": medspaCy's ": no" rule looks backward (for "Fever: no"), so a negation word
# right before the mention (up to three words, no comma between) is read here too.
_NO_BEFORE = re.compile(
    r"(?:^|[\s:;,(\-])(?:no|without|w/o|denies|negative for)\s+(?:[\w/]+\s+){0,3}$", re.I
)

_NO_AFTER = re.compile(
    r"[^.;,]{0,30}?\b(?:(?:has|have|had|is|are|was|been)\s)?(?:resolved|denied|absent|none"
    r"|ruled out|excluded|not (?:present|noted|seen|appreciated))\b",
    re.I,
)

_NEGATIVE_ANSWER: dict[str, Value] = {
    "bone-scan-ho": "negative",
    "radiograph-ho": "absent",
    "dvt": False,
}


@dataclass(frozen=True, slots=True)
class NoteFinding:
    """A finding read from a note. Offsets are into the note's text."""

    code: str
    joint: str | None
    side: str | None
    value: Value
    sentence: str
    sentence_span: tuple[int, int]
    mention: tuple[int, int]
    earlier: float | None = None

    def key(self) -> str:
        """A compact, stable description: "knee-swelling right true", "hip-flexion-rom left 80"."""
        value = str(self.value).lower() if isinstance(self.value, bool) else self.value
        if isinstance(value, float):
            value = f"{value:g}"
        where = self.side or "-"
        if self.code in ("bone-scan-ho", "radiograph-ho"):
            where = f"{self.joint or '-'} {where}"
        text = f"{self.code} {where} {value}"
        return f"{text} (earlier {self.earlier:g})" if self.earlier is not None else text


@dataclass
class _Candidate:
    kind: str  # sign | rom | spasticity | imaging | dvt
    label: str
    start: int
    end: int
    value: Value = True
    earlier: float | None = None
    side: str | None = None
    joint: str | None = None


# Notes are read again and again (every page view, every CDS call re-imports the record): the
# findings of recently read texts are kept, up to this many texts of up to _CACHED_TEXT chars.
_CACHE_SIZE = 2048
_CACHED_TEXT = 65_536
_CACHE: dict[tuple[int, str, str | None, tuple[str | None, str | None]], list[NoteFinding]] = {}


def read_text(
    text: str,
    vocab: Vocabulary,
    *,
    report_kind: str | None = None,
    report_site: tuple[str | None, str | None] = (None, None),
) -> list[NoteFinding]:
    """Findings in a note's text. `report_kind` ("bone-scan-ho", "radiograph-ho", "dvt") says the
    text is that test's report; `report_site` the joint and side its title names."""
    if len(text) > _CACHED_TEXT:
        return _read(text, vocab, report_kind, report_site)
    key = (id(vocab), vocab.version + text, report_kind, report_site)
    found = _CACHE.get(key)
    if found is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        found = _CACHE[key] = _read(text, vocab, report_kind, report_site)
    return list(found)


def clear_cache() -> None:
    _CACHE.clear()


def _read(
    text: str,
    vocab: Vocabulary,
    report_kind: str | None,
    report_site: tuple[str | None, str | None],
) -> list[NoteFinding]:
    findings: list[NoteFinding] = []
    seen: set[str] = set()
    for sentence in split(text, vocab):
        body = text[sentence.start : sentence.end].replace("\n", " ").replace("\r", " ")
        if vocab.trigger.search(body) is None and not (
            report_kind and vocab.imaging_negative.search(body)
        ):
            continue
        for finding in _read_sentence(body, sentence, vocab, report_kind, report_site):
            key = finding.key()
            if key not in seen:
                seen.add(key)
                findings.append(finding)
    return findings


def _read_sentence(
    body: str,
    sentence: Sentence,
    vocab: Vocabulary,
    report_kind: str | None,
    report_site: tuple[str | None, str | None],
) -> list[NoteFinding]:
    candidates = _candidates(body, vocab, report_kind)
    if not candidates:
        return []
    assertions = context_for(vocab.context).assert_spans(
        body, tuple((c.start, c.end) for c in candidates)
    )
    scan = Scan.of(body, vocab)
    out: list[NoteFinding] = []
    for cand, assertion in zip(candidates, assertions, strict=True):
        if not assertion.negated and (
            _NO_BEFORE.search(body, 0, cand.start) or _NO_AFTER.match(body, cand.end)
        ):
            assertion = replace(assertion, negated=True)
        if not _stands(cand, assertion, sentence, body):
            continue
        value = cand.value
        if cand.kind in ("imaging", "dvt") and assertion.negated:
            value = _NEGATIVE_ANSWER[cand.label]
        out.extend(_findings(cand, value, scan, sentence, body, report_site))
    return out


def _stands(cand: _Candidate, assertion: Assertion, sentence: Sentence, body: str) -> bool:
    """Is this mention about the patient now (negation aside for test results)?"""
    if sentence.section in ("historical", "family", "hypothetical"):
        return False
    if assertion.possible or assertion.historical or assertion.hypothetical:
        return False
    if assertion.other_person:
        return False
    if cand.kind in ("imaging", "dvt"):
        return True
    return not assertion.negated and _form_says_yes(body, cand)


def _form_says_yes(body: str, cand: _Candidate) -> bool:
    """Templates and checklists: "Edema: none", "Swelling: Y/N", "[ ] warmth", "[x] no"."""
    if cand.kind == "rom":
        return True
    before, tail = body[: cand.start], body[cand.end :]
    if _UNCHECKED_BEFORE.search(before) or _UNCHECKED_AFTER.match(tail):
        return False
    if _CHECKED_BEFORE.search(before):
        return True
    if _FORM_CHECKED_NO.match(tail):
        return False
    if _FORM_CHECKED_YES.match(tail):
        return True
    return not (_BLANK_FORM.match(tail) or _FORM_NO.match(tail))


def _candidates(body: str, vocab: Vocabulary, report_kind: str | None) -> list[_Candidate]:
    found: list[_Candidate] = []
    for sign, start, end in vocab.signs.finditer(body):
        if sign == "pain" and _ZERO_PAIN.match(body, end):
            continue
        if _THERAPY_AGENT.match(body, end) or _PRESSURE_BEFORE.search(body, 0, start):
            continue
        found.append(_Candidate("sign", sign, start, end))
    for reading in read_rom(body, vocab):
        if reading.arc and not any(j[0] in ("knee", "elbow") for j in vocab.joints.finditer(body)):
            continue  # a hip or shoulder arc does not say which motion it is
        found.append(
            _Candidate(
                "rom",
                reading.motion,
                reading.start,
                reading.end,
                reading.value,
                reading.earlier,
                reading.side,
            )
        )
    for match in vocab.spasticity.finditer(body):
        found.append(_Candidate("spasticity", "spasticity", match.start(), match.end()))
    if vocab.planning.search(body) is None:  # a planned test has no result yet
        found.extend(_imaging(body, vocab, report_kind))
        found.extend(_duplex(body, vocab, report_kind))
    return found


def _imaging(body: str, vocab: Vocabulary, report_kind: str | None) -> list[_Candidate]:
    modalities = vocab.imaging.finditer(body)
    if report_kind in ("bone-scan-ho", "radiograph-ho"):
        modalities = modalities or [(report_kind, 0, 0)]
    if not modalities:
        return []
    found: list[_Candidate] = []
    results = [(m.start(), m.end(), True) for m in vocab.ho_terms.finditer(body)]
    if not results:
        results = [(m.start(), m.end(), False) for m in vocab.imaging_negative.finditer(body)]
    for start, end, positive in results:
        kind = min(modalities, key=lambda m: min(abs(m[1] - end), abs(m[2] - start)))[0]
        if kind == "radiograph-ho" and not positive:
            continue  # "X-ray unremarkable" is about fracture and the rest, not HO
        if positive and kind == "radiograph-ho" and "uptake" in body[start:end].lower():
            continue
        negative = "negative" if kind == "bone-scan-ho" else "absent"
        answer = ("positive" if kind == "bone-scan-ho" else "present") if positive else negative
        found.append(_Candidate("imaging", kind, start, end, answer))
    return found[:1] if found and not found[0].value else found


def _duplex(body: str, vocab: Vocabulary, report_kind: str | None) -> list[_Candidate]:
    named = vocab.duplex.search(body) is not None
    if not named and report_kind != "dvt":
        return []
    found = [
        _Candidate("dvt", "dvt", m.start(), m.end(), True) for m in vocab.dvt_terms.finditer(body)
    ]
    # "Doppler RLE negative": a negative study with no word for DVT, only with the study named in
    # the sentence ("left femoral vein with normal flow" in a right-leg report is not a left study).
    if not found and named:
        negative = vocab.imaging_negative.search(body)
        if negative is not None and vocab.limb_sides.finditer(body):
            found.append(_Candidate("dvt", "dvt", negative.start(), negative.end(), False))
    for cand in found:
        limbs = vocab.limb_sides.finditer(body)
        if limbs:
            nearest = min(limbs, key=lambda m: min(abs(m[1] - cand.end), abs(m[2] - cand.start)))
            cand.side = nearest[0]
    return found


def _findings(
    cand: _Candidate,
    value: Value,
    scan: Scan,
    sentence: Sentence,
    body: str,
    report_site: tuple[str | None, str | None],
) -> list[NoteFinding]:
    def make(code: str, joint: str | None, side: str | None) -> NoteFinding:
        return NoteFinding(
            code=code,
            joint=joint,
            side=side,
            value=value,
            sentence=body.strip(),
            sentence_span=(sentence.start, sentence.end),
            mention=(sentence.start + cand.start, sentence.start + cand.end),
            earlier=cand.earlier,
        )

    if cand.kind == "spasticity":
        return [make("spasticity", None, None)]
    if cand.kind == "dvt":
        side = cand.side or (report_site[1] if report_site[0] is None else None)
        if side is None and report_site[1] is not None:
            side = report_site[1]
        limbs: tuple[str, ...] = ("left", "right") if side == "both" else (side,) if side else ()
        return [make("dvt", None, s) for s in limbs]  # a duplex result without a side: none
    out: list[NoteFinding] = []
    sites = site_for(scan, sentence, cand.start, cand.end, report_site)
    if cand.kind == "rom":
        sites = sites[:1]  # a measurement is of one joint
    for joint, sides in sites:
        if joint is None:
            continue
        if cand.kind == "rom" and cand.side is not None:
            sides = (cand.side,)  # a table row: "Hip flexion R 80 L 110"
        if cand.kind == "imaging":
            code = cand.label
        elif cand.kind == "rom":
            code = f"{joint}-{cand.label}-rom"
        else:
            code = f"{joint}-{cand.label}"
        out.extend([make(code, joint, s) for s in sides] if sides else [make(code, joint, None)])
    return out
