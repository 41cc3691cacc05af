"""Recommendations as the patient page shows them: in two tiers ("do next", "also consider") and
each drug with its own cautions under it.

The tier and a drug's caution reasons come from the assessment (DESIGN.md, additions of
2026-12-05: `tier`, `cautions`). They are read with defaults, so the page also works with an
engine that does not set them yet: then the first four urgent or soon items are "next", and a
drug's cautions are the cautions about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hosentinel.core.assessment import Assessment, Caution, Recommendation

NEXT_MAX = 4
SAFETY_RECOMMENDATIONS = frozenset({"rule-out-dvt"})
RANK = {"urgent": 0, "soon": 1, "routine": 2}

# Caution reasons in words (the reason ids are the contract's, DESIGN.md).
REASON_WORDS: dict[str, str] = {
    "gi-bleed-history": "past stomach or bowel bleeding",
    "peptic-ulcer": "peptic ulcer",
    "anticoagulant": "on an anticoagulant (blood thinner)",
    "antiplatelet": "on an antiplatelet drug",
    "ssri": "on an SSRI (bleeding risk with NSAIDs)",
    "corticosteroid": "on a corticosteroid",
    "renal-impairment": "reduced kidney function",
    "pregnancy": "pregnancy",
    "fracture-healing": "a fracture still healing",
    "recent-cabg": "recent heart bypass surgery (CABG)",
    "heart-failure": "heart failure",
    "oesophageal-disorder": "oesophageal disorder",
    "cannot-sit-upright": "cannot sit upright for 30 minutes",
    "hypocalcaemia": "low calcium",
    "osteomalacia": "osteomalacia",
    "allergy": "allergy to this drug",
}


def interruptive(kind: str, about: str, level: str) -> bool:
    """A safety alert, the only kind that interrupts (DESIGN.md quality bars): the DVT work-up,
    or a contraindicated drug."""
    if kind == "caution":
        return level == "contraindicated"
    return about in SAFETY_RECOMMENDATIONS


def reason_words(reason: str) -> str:
    return REASON_WORDS.get(reason, reason.replace("-", " "))


@dataclass(frozen=True, slots=True)
class RecView:
    rec: Recommendation
    tier: str  # next | also
    cautions: tuple[Caution, ...]
    interruptive: bool

    @property
    def key(self) -> str:
        return f"rec:{self.rec.id}"


def _cautions_for(rec: Recommendation, cautions: tuple[Caution, ...]) -> tuple[Caution, ...]:
    listed = getattr(rec, "cautions", None)
    reasons = set(listed) if isinstance(listed, list | tuple) else None
    return tuple(
        c for c in cautions if c.about == rec.id and (reasons is None or c.reason in reasons)
    )


def recommendation_views(a: Assessment) -> tuple[list[RecView], list[RecView]]:
    """(next, also), each in the engine's order."""
    recs = list(a.recommendations)
    tiers = {r.id: getattr(r, "tier", None) for r in recs}
    if not any(t in ("next", "also") for t in tiers.values()):
        ranked = sorted(recs, key=lambda r: RANK.get(r.priority, 3))
        first = [r.id for r in ranked if r.priority in ("urgent", "soon")][:NEXT_MAX]
        tiers = {r.id: "next" if r.id in first else "also" for r in recs}
    views = [
        RecView(
            r,
            tiers.get(r.id) or "also",
            _cautions_for(r, a.cautions),
            interruptive("recommendation", r.id, r.priority),
        )
        for r in recs
    ]
    nxt = sorted((v for v in views if v.tier == "next"), key=lambda v: RANK.get(v.rec.priority, 3))
    return nxt, [v for v in views if v.tier != "next"]


def other_cautions(a: Assessment) -> list[Caution]:
    """Cautions about drugs that are not among today's suggestions (those with a suggestion are
    shown under it)."""
    suggested = {r.id for r in a.recommendations}
    return [c for c in a.cautions if c.about not in suggested]
