"""The RxNorm product value set (`knowledge/data/valuesets/rxnorm-products.yaml`) checked against
its sources, the HL7 PDDI CDS IG value sets vendored in tests/data/pddi-cds and the NLM VSAC
anticoagulant value sets extracted in tests/data/vsac (see their READMEs), and
the resolution it gives: a clinical-drug, branded-drug or pack code means its ingredient for every
concept the ingredient belongs to.

Run as a script with `--write` to regenerate the YAML from the vendored value sets."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

from hosentinel.knowledge.loader import load_knowledge

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "tests" / "data" / "pddi-cds"
TARGET = ROOT / "src" / "hosentinel" / "knowledge" / "data" / "valuesets" / "rxnorm-products.yaml"
VSAC = ROOT / "tests" / "data" / "vsac"
FHIR = "{http://hl7.org/fhir}"
# PDDI value set -> the RxNorm ingredient (IN) it is about. Only ingredients the knowledge base's
# value sets list (labs-and-medications.yaml).
INGREDIENTS = {
    "warfarin": "11289",
    "aspirin": "1191",
    "ibuprofen": "5640",
    "naproxen": "7258",
    "celecoxib": "140587",
    "indomethacin": "5781",
}
# VSAC anticoagulant value sets (OIDs) and the ingredients whose products are taken from them, by
# the ingredient's name in the RxNorm name (the PDDI IG has no value sets for these).
VSAC_ANTICOAGULANTS = (
    "2.16.840.1.113762.1.4.1248.22",  # Anticoagulants for All Indications
    "2.16.840.1.113883.3.117.1.7.1.200",  # Anticoagulant Therapy
    "2.16.840.1.113883.3.117.1.7.1.218",  # Unfractionated Heparin
    "2.16.840.1.113883.3.117.1.7.1.219",  # Low Molecular Weight Heparin for VTE Prophylaxis
    "2.16.840.1.113883.3.3157.4045",  # Oral Anticoagulant Medications
)
VSAC_INGREDIENTS = {
    "apixaban": "1364430",
    "rivaroxaban": "1114195",
    "enoxaparin": "67108",
    "heparin": "5224",
}
# RxNorm names: SCD "ingredient strength unit dose-form", SBD the same + " [Brand]", packs
# "{n (SCD) / ...} Pack" (+ " [Brand]" for a BPCK). Components (no dose form), dose-form groups
# and ingredients/brands (no strength) are left out: orders name products.
STRENGTH = re.compile(r"\d(\.\d+)? (MG|MCG|UNT|MEQ|ML|%)(/[A-Z]+)?\b")
DOSE_FORM = re.compile(
    r"\b(Tablet|Capsule|Suspension|Solution|Suppository|Powder|Injection|Gum|Granules|Lozenge|"
    r"Syrup|Elixir|Liquid|Packet|Prefilled Syringe|Cartridge|Enema|Kit|Cream|Gel|Patch)\b"
)


def _norm(text: str) -> str:
    return " ".join(text.split())


def read_valueset(name: str) -> dict[str, str]:
    """code -> display of a vendored value set (empty when the file is absent)."""
    path = SOURCE / f"valueset-{name}.xml"
    if not path.exists():
        return {}
    found: dict[str, str] = {}
    for concept in ET.parse(path).iter(f"{FHIR}concept"):
        code = concept.find(f"{FHIR}code")
        display = concept.find(f"{FHIR}display")
        if code is not None and display is not None:
            found[code.attrib["value"]] = _norm(display.attrib["value"])
    return found


def read_vsac(oid: str) -> dict[str, str]:
    """code -> display of an extracted VSAC value set."""
    source = json.loads((VSAC / f"valueset-{oid}.json").read_text(encoding="utf-8"))
    return {c["code"]: _norm(c["display"]) for c in source["expansion"]["contains"]}


def tty(display: str) -> str | None:
    """The RxNorm term type a name has (SCD, SBD, GPCK, BPCK), or None for the others."""
    branded = display.endswith("]")
    if re.search(r"\}\s*Pack", display):
        return "BPCK" if branded else "GPCK"
    if "Reformulated" in display or not STRENGTH.search(display):
        return None
    return ("SBD" if branded else "SCD") if DOSE_FORM.search(display) else None


def expected_products() -> list[dict[str, object]]:
    products: dict[str, dict[str, object]] = {}
    for name, ingredient in INGREDIENTS.items():
        excluded = read_valueset(f"{name}-exclude")
        for code, display in read_valueset(name).items():
            kind = tty(display)
            if kind is None or code in excluded:
                continue
            product = products.setdefault(code, {"code": code, "tty": kind, "ingredients": []})
            ingredients = product["ingredients"]
            assert isinstance(ingredients, list)
            if ingredient not in ingredients:
                ingredients.append(ingredient)
    for oid in VSAC_ANTICOAGULANTS:
        for code, display in read_vsac(oid).items():
            kind = tty(display)
            names = [n for n in VSAC_INGREDIENTS if re.search(rf"\b{n}\b", display.lower())]
            if kind is None or not names:
                continue
            product = products.setdefault(code, {"code": code, "tty": kind, "ingredients": []})
            ingredients = product["ingredients"]
            assert isinstance(ingredients, list)
            for name in names:
                if VSAC_INGREDIENTS[name] not in ingredients:
                    ingredients.append(VSAC_INGREDIENTS[name])
    return sorted(products.values(), key=lambda p: int(str(p["code"])))


def test_the_value_set_is_what_its_source_gives() -> None:
    written = yaml.safe_load(TARGET.read_text(encoding="utf-8"))
    assert written["products"] == expected_products()


def test_the_source_has_each_kind_of_product() -> None:
    kinds = {p["tty"] for p in expected_products()}
    assert kinds == {"SCD", "SBD", "GPCK", "BPCK"}
    assert tty("Indomethacin 25 MG") is None  # a component, no dose form
    assert tty("Indomethacin Oral Capsule") is None  # a dose-form group, no strength


def test_a_product_code_means_its_ingredient() -> None:
    # A fresh load (not the cached default) so this test runs the loader's product step itself:
    # `make mutate` forks from a process that already holds the default knowledge base.
    k = load_knowledge()
    assert k.concepts_for_code("rxnorm", "197817") == k.concepts_for_code("rxnorm", "5781")
    assert {"nsaid", "indomethacin"} <= k.concepts_for_code("rxnorm", "197817")
    assert "anticoagulant" in k.concepts_for_code("rxnorm", "855332")  # warfarin 5 MG tablet
    # a pack of naproxen with lansoprazole: the naproxen counts
    assert "nsaid" in k.concepts_for_code("rxnorm", "758486")
    # a topical ibuprofen (the PDDI value set excludes it): not a systemic NSAID code
    assert "nsaid" not in k.concepts_for_code("rxnorm", "141998")
    # VSAC anticoagulants: apixaban 5 MG tablet, rivaroxaban 20 MG tablet, enoxaparin 40 mg
    # syringe, heparin 5000 UNT/ML vial
    for product in ("1364445", "1232086", "854235", "1361615"):
        assert "anticoagulant" in k.concepts_for_code("rxnorm", product), product


def test_without_the_product_file_the_codes_mean_nothing(tmp_path: Path) -> None:
    import shutil

    data = ROOT / "src" / "hosentinel" / "knowledge" / "data"
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    (copy / "valuesets" / "rxnorm-products.yaml").unlink()
    assert not load_knowledge(copy).concepts_for_code("rxnorm", "197817")


HEADER = """\
id: valueset.rxnorm-products
kind: rxnorm-products
version: 1.1.0
status: active
title: RxNorm clinical drugs, branded drugs and packs, by ingredient
authors: [HO Sentinel knowledge team]
reviewers: [HO Sentinel clinical reviewer (pending local sign-off)]
review_date: 2026-12-05
citations:
  - id: cit-hl7-pddi-cds-valuesets
    supports: >-
      The RxNorm SCD, SBD, GPCK and BPCK codes of warfarin, aspirin, ibuprofen, naproxen,
      celecoxib and indomethacin products (value sets US 1.1, topical ibuprofen excluded as the
      IG does), each with the ingredient it contains.
  - id: cit-vsac-anticoagulants
    supports: >-
      The RxNorm SCD, SBD and pack codes of apixaban, rivaroxaban, enoxaparin and heparin
      products (NLM VSAC anticoagulant value sets), each with the ingredient it contains.
  - id: cit-rxnorm
    supports: RxNorm term types and the ingredient codes the products resolve to.
limitations:
  - >-
    Generated from the vendored PDDI CDS value sets (tests/data/pddi-cds) and the VSAC
    anticoagulant value set extracts (tests/data/vsac) by tests/knowledge/test_rxnorm_products.py
    --write; the term type is read from the RxNorm name (the names themselves are in the vendored
    files, not here).
  - >-
    Heparin products are those the VSAC anticoagulant value sets list, line-patency strengths
    included (2 UNT/ML): an order of one counts as an anticoagulant.
  - >-
    The bisphosphonates (alendronate, etidronate) have no product codes yet: no citable RxNorm
    product value set was found; their orders are matched by ingredient code or by name.
  - PDDI RxCUIs of 2018 and VSAC expansions of 2021-2024; later products are matched by name only.
"""


def write() -> None:
    lines = ["products:"]
    for p in expected_products():
        listed = p["ingredients"]
        assert isinstance(listed, list)
        ingredients = ", ".join(json.dumps(i) for i in listed)
        code = json.dumps(p["code"])
        lines.append(f"  - {{code: {code}, tty: {p['tty']}, ingredients: [{ingredients}]}}")
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
