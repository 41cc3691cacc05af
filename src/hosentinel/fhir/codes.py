"""Codes and body sites as they arrive in FHIR CodeableConcepts.

A coding's system URI becomes the record's short alias (`icd10cm`, `snomed`, `loinc`, `rxnorm`,
`finding`) when it is one of the common spellings of those systems; any other system keeps its
URI. ICD-10-CM codes are written in their canonical form (upper case, dot after the category:
"s1411xa" -> "S14.11XA") so that the knowledge base's prefix matching works on codes sent without
the dot. Other codes keep their spelling, trimmed.
"""

from __future__ import annotations

import re

from hosentinel.core.record import (
    FINDING,
    JOINTS,
    SIDES,
    SYSTEM_ALIASES,
    SYSTEMS,
    BodySite,
    Coding,
)
from hosentinel.fhir.access import JSONObject, children, string

_VARIANTS: dict[str, tuple[str, ...]] = {
    "icd10cm": (
        "urn:oid:2.16.840.1.113883.6.90",
        "http://www.cms.gov/medicare/coding/icd10",
        "icd-10-cm",
        "icd10cm",
    ),
    "snomed": ("urn:oid:2.16.840.1.113883.6.96", "snomed", "snomed ct", "snomedct", "sct"),
    "loinc": ("urn:oid:2.16.840.1.113883.6.1", "loinc"),
    "rxnorm": ("urn:oid:2.16.840.1.113883.6.88", "rxnorm"),
    "finding": (),
}


def _key(uri: str) -> str:
    key = uri.strip().rstrip("/").lower()
    return "http://" + key.removeprefix("https://") if key.startswith("https://") else key


_ALIAS_BY_KEY: dict[str, str] = {_key(uri): alias for uri, alias in SYSTEM_ALIASES.items()}
_ALIAS_BY_KEY.update({_key(v): alias for alias, variants in _VARIANTS.items() for v in variants})

KNOWN_SYSTEMS: frozenset[str] = frozenset(SYSTEMS)


def system_alias(uri: str) -> str:
    """The short alias of a known code system, else the URI as given (trimmed)."""
    return _ALIAS_BY_KEY.get(_key(uri), uri.strip())


def normalise_code(system: str, code: str) -> str:
    code = code.strip()
    if system == "icd10cm":
        code = code.upper()
        if len(code) > 3 and "." not in code:
            code = f"{code[:3]}.{code[3:]}"
    return code


def codings(concept: JSONObject) -> tuple[Coding, ...]:
    """Every coding with a code, in order. Codings without a code are dropped."""
    found: list[Coding] = []
    for item in children(concept, "coding"):
        code = string(item, "code")
        if code is None:
            continue
        system = system_alias(string(item, "system") or "")
        found.append(Coding(system, normalise_code(system, code), string(item, "display")))
    return tuple(found)


def concept_text(concept: JSONObject) -> str | None:
    """The concept's text, else its first coding display."""
    text = string(concept, "text")
    if text is not None:
        return text
    for item in children(concept, "coding"):
        display = string(item, "display")
        if display is not None:
            return display
    return None


def first_code(concepts: list[JSONObject], *, text_fallback: bool = True) -> str | None:
    """The first coding's code across the concepts, else (if asked) the first concept's text."""
    for concept in concepts:
        for item in children(concept, "coding"):
            code = string(item, "code")
            if code is not None:
                return code
    for concept in concepts if text_fallback else []:
        text = string(concept, "text")
        if text is not None:
            return text
    return None


def status_codes(concept: JSONObject) -> set[str]:
    """Lower-cased codes of a status CodeableConcept (clinicalStatus, verificationStatus)."""
    codes = {code.lower() for item in children(concept, "coding") if (code := string(item, "code"))}
    text = string(concept, "text")
    if not codes and text is not None:
        codes.add(text.lower())
    return codes


# --- body sites --------------------------------------------------------------------------------

SIDE_CODES: dict[str, str] = {"7771000": "left", "24028007": "right"}
JOINT_CODES: dict[str, str] = {
    "24136001": "hip",
    "72696002": "knee",
    "16953009": "elbow",
    "16982005": "shoulder",
}
# Pre-coordinated concepts that name a side as well as the joint region.
SIDED_JOINT_CODES: dict[str, tuple[str, str]] = {
    "91775009": ("shoulder", "left"),  # Structure of left shoulder region
    "91774008": ("shoulder", "right"),  # Structure of right shoulder region
}
_SIDE_WORDS = {"left": "left", "lt": "left", "right": "right", "rt": "right"}
_WORD = re.compile(r"[a-z]+")


def _only(values: set[str]) -> str | None:
    """The one value found; none or conflicting values (left and right) give None."""
    return next(iter(values)) if len(values) == 1 else None


def _site(joints: set[str], sides: set[str]) -> BodySite:
    joint = _only(joints)
    side = _only(sides)
    return BodySite(
        joint=next((j for j in JOINTS if j == joint), None),
        side=next((s for s in SIDES if s == side), None),
    )


def site_from_concepts(concepts: list[JSONObject]) -> BodySite:
    """Joint and side from bodySite concepts: SNOMED codes first, else words in text/display."""
    joints: set[str] = set()
    sides: set[str] = set()
    words: list[str] = []
    for concept in concepts:
        for coding in codings(concept):
            if coding.system == "snomed":
                if coding.code in JOINT_CODES:
                    joints.add(JOINT_CODES[coding.code])
                if coding.code in SIDE_CODES:
                    sides.add(SIDE_CODES[coding.code])
                if coding.code in SIDED_JOINT_CODES:
                    joint, side = SIDED_JOINT_CODES[coding.code]
                    joints.add(joint)
                    sides.add(side)
            words.extend(_WORD.findall((coding.display or "").lower()))
        words.extend(_WORD.findall((string(concept, "text") or "").lower()))
    if not joints:
        joints = {word.removesuffix("s") for word in words if word.removesuffix("s") in JOINTS}
    if not sides:
        sides = {_SIDE_WORDS[word] for word in words if word in _SIDE_WORDS}
    return _site(joints, sides)


def site_from_codings(found: tuple[Coding, ...]) -> BodySite:
    """The joint a finding code names (`hip-flexion-rom`, `knee-pain`). Sites inside ICD-10-CM
    codes (M25.551: pain in right hip) are read by the engine (`hosentinel.core.sites`)."""
    joints: set[str] = {
        j for c in found if c.system == FINDING for j in JOINTS if c.code.startswith(f"{j}-")
    }
    return _site(joints, set())


def merge_sites(first: BodySite, then: BodySite) -> BodySite:
    """`first`'s joint and side win; `then` fills the gaps (an observation: its finding code,
    which names the joint, then bodySite; a procedure: bodySite, then the words of its name)."""
    return BodySite(joint=first.joint or then.joint, side=first.side or then.side)
