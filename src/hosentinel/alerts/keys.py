"""The alert-key grammar, and the alerts of an assessment.

An alert is keyed `rec:<recommendation id>` or `caution:<about>:<reason>`; a CDS Hooks card that
stands for a whole service's answer is keyed `cds:<service id>`. `alert_states.alert_key` holds
these keys, whoever decided (the app or an EHR's feedback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from hosentinel.core.assessment import Assessment, Basis
from hosentinel.knowledge.loader import Knowledge

KeyKind = Literal["recommendation", "caution", "other"]

_CAUTION_ORDER = {"contraindicated": 0, "caution": 1}
_ABBREVIATIONS = {"dvt": "DVT", "alp": "ALP", "crp": "CRP", "ck": "CK", "ct": "CT", "rom": "ROM"}


def recommendation_key(rec_id: str) -> str:
    return f"rec:{rec_id}"


def caution_key(about: str, reason: str) -> str:
    return f"caution:{about}:{reason}"


def service_key(service_id: str) -> str:
    """The key of a CDS Hooks card that stands for the service's whole answer."""
    return f"cds:{service_id}"


def describe_key(key: str) -> tuple[KeyKind, str, str | None]:
    """(kind, about, reason) of an alert key, in the key's own words."""
    parts = key.split(":")
    if parts[0] == "rec" and len(parts) == 2:
        return "recommendation", parts[1], None
    if parts[0] == "caution" and len(parts) == 3:
        return "caution", parts[1], parts[2]
    return "other", key, None


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    kind: Literal["recommendation", "caution"]
    about: str  # the recommendation id (for a caution: the drug option it is about)
    reason: str | None  # caution reason id
    level: str  # recommendation priority or caution level
    summary: str
    basis: Basis


def alerts_of(assessment: Assessment) -> list[Alert]:
    """Every alert of an assessment: recommendations first, then cautions (one per drug and
    reason: the most severe when two rules give the same reason)."""
    found: list[Alert] = [
        Alert(
            recommendation_key(r.id), "recommendation", r.id, None, r.priority, r.summary, r.basis
        )
        for r in assessment.recommendations
    ]
    cautions = sorted(assessment.cautions, key=lambda c: _CAUTION_ORDER.get(c.level, 9))
    seen: set[str] = set()
    for c in cautions:
        key = caution_key(c.about, c.reason)
        if key in seen:
            continue
        seen.add(key)
        found.append(Alert(key, "caution", c.about, c.reason, c.level, c.summary, c.basis))
    return found


def _words(identifier: str) -> str:
    words = [_ABBREVIATIONS.get(w, w) for w in identifier.split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def alert_label(key: str, knowledge: Knowledge) -> str:
    """A short human label: "Rule out DVT", "NSAID (indomethacin): pregnancy"."""
    kind, about, reason = describe_key(key)
    if kind == "recommendation":
        # A drug suggestion reads as the drug ("NSAID (indomethacin)"), never as its id.
        drug = next((d.title for d in knowledge.drugs if d.recommendation == about), None)
        return drug or _words(about)
    if kind == "caution":
        drug = next((d.title for d in knowledge.drugs if d.recommendation == about), _words(about))
        return f"{drug}: {(reason or '').replace('-', ' ')}"
    return key
