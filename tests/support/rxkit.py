"""The knowledge base's own RxNorm product value set, for the tests that order or record a drug by
a product code. The codes are read from the cited YAML (knowledge/data/valuesets/
rxnorm-products.yaml), the drug names from the ingredient codes the knowledge base defines; the
public sources the products were taken from are checked by scripts/rxnorm_products.py, not here.
"""

from __future__ import annotations

from hosentinel.knowledge import schema as s
from hosentinel.knowledge.loader import Knowledge

PRODUCTS_ENTRY = "valueset.rxnorm-products"
# RxNorm ingredient codes as ../shared/DESIGN.md ("Codes") lists them: the drugs the engine
# reasons about. Indomethacin 25 MG oral capsule is 197817 (the drug-code requirement's example).
DESIGN_INGREDIENTS = {
    "warfarin": "11289",
    "apixaban": "1364430",
    "rivaroxaban": "1114195",
    "enoxaparin": "67108",
    "heparin": "5224",
    "aspirin": "1191",
    "ibuprofen": "5640",
    "naproxen": "7258",
    "celecoxib": "140587",
    "indomethacin": "5781",
    "alendronate": "46041",
}
INDOMETHACIN_25_MG_CAPSULE = "197817"


def products(k: Knowledge) -> list[s.Product]:
    entry = k.entries[PRODUCTS_ENTRY]
    assert isinstance(entry, s.ProductsFile)
    return entry.products


def products_of(k: Knowledge, ingredient: str) -> list[str]:
    """The product codes the knowledge base lists for one RxNorm ingredient code, in file order."""
    return [p.code for p in products(k) if ingredient in p.ingredients]


def ingredient_names(k: Knowledge, concept: str) -> dict[str, str]:
    """RxNorm ingredient code -> the name the knowledge base gives it, for a drug concept."""
    return {
        c.code: c.display
        for c in k.concepts[concept].codes
        if c.system == "rxnorm" and c.display is not None
    }
