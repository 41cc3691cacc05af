"""The RxNorm product value set (`knowledge/data/valuesets/rxnorm-products.yaml`): consistent with
the rest of the knowledge base, and the resolution it gives: a clinical-drug, branded-drug or pack
code means its ingredient for every concept the ingredient belongs to.

Whether the products are what their public sources list (HL7 PDDI CDS IG value sets, NLM VSAC
value sets, openFDA NDC records) is checked by `scripts/rxnorm_products.py check` against local
copies of those sources (docs/clinical-content.md); the sources are not in this repository."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from hosentinel.knowledge.loader import Knowledge, default_knowledge, load_knowledge
from tests.support.rxkit import (
    DESIGN_INGREDIENTS,
    INDOMETHACIN_25_MG_CAPSULE,
    PRODUCTS_ENTRY,
    products,
    products_of,
)

DATA = Path(__file__).resolve().parents[2] / "src" / "hosentinel" / "knowledge" / "data"
TARGET = DATA / "valuesets" / "rxnorm-products.yaml"
K = default_knowledge()


def _ingredient_codes(k: Knowledge) -> set[str]:
    """Every RxNorm code a concept of the knowledge base lists (ingredients only: the concepts
    name drugs by ingredient, products come from the product file)."""
    return {
        c.code for concept in k.concepts.values() for c in concept.codes if c.system == "rxnorm"
    }


def test_every_ingredient_of_a_product_is_an_ingredient_code_the_knowledge_base_defines() -> None:
    ingredients = _ingredient_codes(K)
    for product in products(K):
        assert set(product.ingredients) <= ingredients, product
        assert product.code not in ingredients, product  # a product is not an ingredient
        assert len(set(product.ingredients)) == len(product.ingredients), product


def test_no_product_code_is_listed_twice() -> None:
    codes = [p.code for p in products(K)]
    assert len(codes) == len(set(codes))
    assert all(code.isdigit() for code in codes)


def test_term_types_are_rxnorm_product_types_and_each_is_used() -> None:
    kinds = {p.tty for p in products(K)}
    # None: openFDA links an RxCUI to a product without its term type (the file's limitations).
    assert kinds == {"SCD", "SBD", "GPCK", "BPCK", None}


def test_a_term_type_that_is_not_a_product_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    target = copy / "valuesets" / "rxnorm-products.yaml"
    text = target.read_text(encoding="utf-8")
    bad = text.replace(
        f'{{code: "{INDOMETHACIN_25_MG_CAPSULE}", tty: SCD,',
        f'{{code: "{INDOMETHACIN_25_MG_CAPSULE}", tty: IN,',
    )
    assert bad != text
    target.write_text(bad, encoding="utf-8")
    with pytest.raises(Exception, match="tty"):
        load_knowledge(copy)


def test_every_citation_of_the_product_file_is_in_the_registry_with_its_source() -> None:
    entry = K.entries[PRODUCTS_ENTRY]
    cited = [c.id for c in entry.citations]
    assert cited
    for cid in cited:
        url = K.citations[cid].url
        assert url is not None and url.startswith(("https://", "http://")), cid
    # The written file says where the codes come from and how they are checked.
    raw = yaml.safe_load(TARGET.read_text(encoding="utf-8"))
    limitations = " ".join(raw["limitations"])
    assert "scripts/rxnorm_products.py" in limitations


def test_every_drug_the_design_names_has_product_codes() -> None:
    """DESIGN.md's RxNorm ingredients are the knowledge base's, and each has products."""
    ingredients = _ingredient_codes(K)
    for name, code in DESIGN_INGREDIENTS.items():
        assert code in ingredients, name
        assert products_of(K, code), name


def test_every_product_code_means_the_concepts_of_its_ingredients() -> None:
    # A fresh load (not the cached default) so this test runs the loader's product step itself:
    # `make mutate` forks from a process that already holds the default knowledge base.
    k = load_knowledge()
    for product in products(k):
        expected: set[str] = set()
        for ingredient in product.ingredients:
            expected |= k.concepts_for_code("rxnorm", ingredient)
        assert expected, product
        assert k.concepts_for_code("rxnorm", product.code) == expected, product


def test_indomethacin_25_mg_capsule_means_indomethacin() -> None:
    """The drug-code requirement's own example: "indomethacin 25 MG oral capsule is 197817"."""
    k = load_knowledge()
    capsule = k.concepts_for_code("rxnorm", INDOMETHACIN_25_MG_CAPSULE)
    assert capsule == k.concepts_for_code("rxnorm", DESIGN_INGREDIENTS["indomethacin"])
    assert {"nsaid", "indomethacin"} <= capsule


def test_drug_classes_reach_their_products() -> None:
    """A product of each class ingredient carries the class (anticoagulant, NSAID, antiplatelet,
    SSRI, corticosteroid, bisphosphonate) the NSAID and pregnancy cautions name."""
    k = load_knowledge()
    for cls in ("anticoagulant", "nsaid", "antiplatelet", "ssri", "corticosteroid"):
        with_products = [
            c.code for c in k.concepts[cls].codes if c.system == "rxnorm" and products_of(k, c.code)
        ]
        assert with_products, cls
        for ingredient in with_products:
            for code in products_of(k, ingredient):
                assert cls in k.concepts_for_code("rxnorm", code), (cls, code)
    for code in products_of(k, DESIGN_INGREDIENTS["alendronate"]):
        assert {"alendronate", "bisphosphonate"} <= k.concepts_for_code("rxnorm", code), code


def test_without_the_product_file_the_codes_mean_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    (copy / "valuesets" / "rxnorm-products.yaml").unlink()
    k = load_knowledge(copy)
    assert not k.concepts_for_code("rxnorm", INDOMETHACIN_25_MG_CAPSULE)
    assert k.concepts_for_code("rxnorm", DESIGN_INGREDIENTS["indomethacin"])
