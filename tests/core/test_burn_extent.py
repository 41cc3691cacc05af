"""A burn without its extent is named as a missing input (`burn-tbsa`): which codes give the extent
(the TBSA band, ICD-10-CM T31) is the knowledge base's concept `burn-extent`, not a code written
into the engine. A site whose knowledge base lists other codes changes the check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import hosentinel.knowledge
from hosentinel.core.engine import evaluate
from hosentinel.knowledge.loader import Knowledge, default_knowledge, load_knowledge
from tests.support.recordkit import AS_OF, Item, cond, record

DATA = Path(hosentinel.knowledge.__file__).parent / "data"
VALUESET = "valuesets/index-events.yaml"
EXTENT_CONCEPT = "  - id: burn-extent\n"
T31_LINE = "{system: icd10cm, code: T31, match: prefix"

ARM_BURN = cond("T22.211A", 20)  # second-degree burn of the right forearm: no extent
EXTENT_40 = cond("T31.40", 20)  # burns of 40-49% of body surface
CORROSION_EXTENT_40 = cond("T32.40", 20)  # corrosions of 40-49% of body surface


def missing(knowledge: Knowledge, *items: Item) -> set[str]:
    a = evaluate(record(*items), knowledge, AS_OF)
    assert [e.kind for e in a.index_events] == ["burn"]
    return {m.id for m in a.missing_inputs}


@pytest.fixture(scope="module")
def t32_extent(tmp_path_factory: pytest.TempPathFactory) -> Knowledge:
    """The bundled knowledge base with T32 (corrosions by extent) as the only extent codes."""
    data = tmp_path_factory.mktemp("kb") / "data"
    shutil.copytree(DATA, data)
    path = data / VALUESET
    text = path.read_text()
    head, concept = text.split(EXTENT_CONCEPT)
    assert T31_LINE in concept
    concept = concept.replace(T31_LINE, T31_LINE.replace("T31", "T32"), 1)
    path.write_text(head + EXTENT_CONCEPT + concept)
    return load_knowledge(data)


def test_the_bundled_extent_codes_are_t31() -> None:
    k = default_knowledge()
    assert "burn-tbsa" in missing(k, ARM_BURN)
    assert "burn-tbsa" not in missing(k, ARM_BURN, EXTENT_40)
    assert "burn-tbsa" in missing(k, ARM_BURN, CORROSION_EXTENT_40)


def test_other_extent_codes_in_the_knowledge_base_change_the_check(t32_extent: Knowledge) -> None:
    assert t32_extent.digest != default_knowledge().digest
    assert "burn-tbsa" in missing(t32_extent, ARM_BURN)
    # T31 still makes the burn an index event (concept `burn`) but no longer gives its extent.
    assert "burn-tbsa" in missing(t32_extent, ARM_BURN, EXTENT_40)
    assert "burn-tbsa" not in missing(t32_extent, ARM_BURN, CORROSION_EXTENT_40)
