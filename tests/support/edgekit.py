"""Records and helpers for the engine-edge tests written against surviving mutants (issue 20):
tests/core/test_pathway_edges.py and tests/core/test_reading_edges.py. Through
`assessment_json(evaluate(...))` only, so the tests survive refactors of core/."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hosentinel.core.engine import evaluate
from hosentinel.core.output import assessment_json
from hosentinel.core.record import BodySite, Coding, Observation, Procedure, Sex
from hosentinel.knowledge.loader import Knowledge, default_knowledge
from tests.support.recordkit import AS_OF, SCI, Item, ago, cond, finding, record

K = default_knowledge()
EXCISION = "Excision of heterotopic ossification, right hip"
THA = "52734007"  # SNOMED CT total hip replacement
# A confirmed, early hip HO after SCI: bone scan positive, radiograph not yet.
EARLY_RIGHT_HIP = (cond(SCI, 45), finding("bone-scan-ho", "positive", 2, "hip", "right"))
# A right hip HO that is stable, quiescent and limits function (mature once ALP is normal).
MATURE_RIGHT_HIP = (
    cond(SCI, 400),
    cond("M61.251", 200),
    finding("ho-growth", "stable", 5, "hip"),
    finding("ho-activity", "quiescent", 5, "hip"),
    finding("function-limited", True, 5, "hip"),
)


def with_setting(name: str, value: float) -> Knowledge:
    """The knowledge base as a site that changed one local setting would load it."""
    settings = {**K.settings, name: K.settings[name].model_copy(update={"value": value})}
    return replace(K, settings=settings)


def assess(*items: Item, sex: Sex = "male", knowledge: Knowledge = K) -> dict[str, Any]:
    return assessment_json(evaluate(record(*items, sex=sex), knowledge, AS_OF))


def recs(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in out["recommendations"]}


def quantity(code: str, value: float, unit: str | None, days: int = 1, **kw: Any) -> Observation:
    return Observation(
        ref=f"Observation/{code}-{value}-{unit}-{days}",
        codings=(Coding("loinc", code),),
        effective=AS_OF.fromordinal(AS_OF.toordinal() - days),
        value_quantity=value,
        unit=unit,
        **kw,
    )


def hip_excision(days: int) -> Procedure:
    """An HO excision of the right hip, with its body site coded."""
    return Procedure(
        ref=f"Procedure/excision-{days}",
        codings=(),
        text=EXCISION,
        performed=ago(days),
        site=BodySite(joint="hip", side="right"),
    )


def dvt_duplex(found: bool, side: str, days: int) -> Observation:
    """DESIGN.md: finding code `dvt`, valueBoolean with bodySite side."""
    return Observation(
        ref=f"Observation/duplex-{side}-{days}",
        codings=(Coding("finding", "dvt"),),
        effective=AS_OF.fromordinal(AS_OF.toordinal() - days),
        value_bool=found,
        site=BodySite(side=side),  # type: ignore[arg-type]
    )
