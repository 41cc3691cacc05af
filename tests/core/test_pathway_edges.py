"""Edges of the pathway steps split out of the planner in issue 12 (the DVT gate, the drug options,
the cautions, the `next`/`also` tiers, the units), through `evaluate(...).to_json()` only.

Written against surviving mutants of `make mutate` (issue 20): each test names the line of
../shared/DESIGN.md, ../shared/clinical/*.md or the local setting it rests on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from recordkit import AS_OF, Item, record, text_proc

from hosentinel.core.engine import evaluate
from hosentinel.knowledge.loader import Knowledge, default_knowledge

K = default_knowledge()
EXCISION = "Excision of heterotopic ossification, right hip"


def with_setting(name: str, value: float) -> Knowledge:
    """The knowledge base as a site that changed one local setting would load it."""
    settings = {**K.settings, name: K.settings[name].model_copy(update={"value": value})}
    return replace(K, settings=settings)


def assess(*items: Item, sex: str = "male", knowledge: Knowledge = K) -> dict[str, Any]:
    return evaluate(record(*items, sex=sex), knowledge, AS_OF).to_json()


def recs(out: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in out["recommendations"]}


# --- drug options after excision --------------------------------------------------------------


@pytest.mark.parametrize(("extra", "offered"), [(0, True), (1, False)])
def test_post_excision_drug_options_end_with_the_follow_up(extra: int, offered: bool) -> None:
    """Setting post_excision_followup_days: "Days after HO excision during which the operated
    joint is examined for recurrence and therapy continues" (inclusive). A site whose NSAID window
    is longer than its follow-up still offers nothing after excision once the follow-up is over:
    the post-excision stage ends with it."""
    follow_up = int(K.setting("post_excision_followup_days"))
    site = with_setting("nsaid_prophylaxis_window_days", follow_up + 30)
    out = assess(text_proc(EXCISION, follow_up + extra), knowledge=site)
    nsaid = recs(out).get("nsaid-indomethacin")
    assert (nsaid is not None and nsaid["basis"]["rule"] == "recommend:drug-post-excision") is (
        offered
    )


def test_the_excision_is_the_basis_of_a_post_excision_option() -> None:
    """DESIGN.md: "Every recommendation carries its basis ... the patient's own inputs (FHIR
    references, values, dates) that made it fire"."""
    excision = text_proc(EXCISION, 2)
    out = assess(excision)
    nsaid = recs(out)["nsaid-indomethacin"]
    assert nsaid["basis"]["rule"] == "recommend:drug-post-excision"
    assert excision.ref in {i["ref"] for i in nsaid["basis"]["inputs"]}
    assert "nsaid_prophylaxis_window_days" in nsaid["basis"]["settings"]
