"""The RxNorm product value set (`knowledge/data/valuesets/rxnorm-products.yaml`) checked against
its sources, the HL7 PDDI CDS IG value sets vendored in tests/data/pddi-cds, the NLM VSAC value
sets extracted in tests/data/vsac and the openFDA NDC records in tests/data/openfda (see their
READMEs), and the resolution it gives: a clinical-drug, branded-drug or pack code means its
ingredient for every concept the ingredient belongs to.

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
# VSAC value sets (OIDs) and the ingredients whose products are taken from them, by the
# ingredient's name in the RxNorm name (the PDDI IG has no value sets for these).
VSAC_VALUESETS = (
    "2.16.840.1.113762.1.4.1248.22",  # Anticoagulants for All Indications
    "2.16.840.1.113883.3.117.1.7.1.200",  # Anticoagulant Therapy
    "2.16.840.1.113883.3.117.1.7.1.218",  # Unfractionated Heparin
    "2.16.840.1.113883.3.117.1.7.1.219",  # Low Molecular Weight Heparin for VTE Prophylaxis
    "2.16.840.1.113883.3.3157.4045",  # Oral Anticoagulant Medications
    "2.16.840.1.113762.1.4.1110.62",  # Antithrombotic Therapy for Ischemic Stroke
    "2.16.840.1.113883.3.464.1003.1051",  # Dipyridamole Medications
    "2.16.840.1.113883.3.464.1003.196.11.1530",  # Antidepressant Medication
    "2.16.840.1.113883.3.464.1003.196.12.1266",  # Glucocorticoids (oral only)
)
VSAC_INGREDIENTS = {
    "apixaban": "1364430",
    "rivaroxaban": "1114195",
    "enoxaparin": "67108",
    "heparin": "5224",
    "aspirin": "1191",  # in a combination with dipyridamole
    "clopidogrel": "32968",
    "prasugrel": "613391",
    "ticagrelor": "1116632",
    "dipyridamole": "3521",
    "cilostazol": "21107",
    "sertraline": "36437",
    "fluoxetine": "4493",
    "paroxetine": "32937",
    "citalopram": "2556",
    "escitalopram": "321988",
    "fluvoxamine": "42355",
    "venlafaxine": "39786",
    "duloxetine": "72625",
    "desvenlafaxine": "734064",
    "prednisone": "8640",
    "prednisolone": "8638",
    "methylprednisolone": "6902",
    "dexamethasone": "3264",
    "hydrocortisone": "5492",
}
# openFDA NDC records (tests/data/openfda): the FDA active-ingredient name -> the RxNorm ingredient.
# Every RxCUI openFDA links to such a product contains it; openFDA gives no term type.
OPENFDA = ROOT / "tests" / "data" / "openfda" / "ndc-alendronate.json"
OPENFDA_INGREDIENTS = {"ALENDRONATE SODIUM": "46041"}
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


def read_openfda() -> list[tuple[str, str]]:
    """(RxCUI, RxNorm ingredient) for every RxCUI openFDA gives a product with an ingredient of
    OPENFDA_INGREDIENTS."""
    source = json.loads(OPENFDA.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []
    for record in source["records"]:
        result = record["result"]
        for active in result["active_ingredients"]:
            ingredient = OPENFDA_INGREDIENTS.get(active["name"])
            if ingredient is not None:
                found.extend((rxcui, ingredient) for rxcui in result["openfda"]["rxcui"])
    return found


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
    for oid in VSAC_VALUESETS:
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
    for code, ingredient in read_openfda():
        product = products.setdefault(code, {"code": code, "tty": None, "ingredients": []})
        ingredients = product["ingredients"]
        assert isinstance(ingredients, list)
        if ingredient not in ingredients:
            ingredients.append(ingredient)
    # A product only openFDA names has no term type: the key is left out, as in the YAML.
    listed = [{k: v for k, v in p.items() if v is not None} for p in products.values()]
    return sorted(listed, key=lambda p: int(str(p["code"])))


def test_the_value_set_is_what_its_source_gives() -> None:
    written = yaml.safe_load(TARGET.read_text(encoding="utf-8"))
    assert written["products"] == expected_products()


def test_the_source_has_each_kind_of_product() -> None:
    kinds = {p.get("tty") for p in expected_products()}
    assert kinds == {"SCD", "SBD", "GPCK", "BPCK", None}  # None: openFDA gives no term type
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
    # VSAC drug classes: clopidogrel 75 MG tablet, aspirin / dipyridamole ER capsule, sertraline
    # 50 MG tablet, duloxetine 30 MG DR capsule, prednisone 5 MG tablet, a dexamethasone pack
    assert "antiplatelet" in k.concepts_for_code("rxnorm", "309362")
    assert {"antiplatelet", "nsaid"} <= k.concepts_for_code("rxnorm", "259081")
    assert "ssri" in k.concepts_for_code("rxnorm", "312941")
    assert "ssri" in k.concepts_for_code("rxnorm", "596930")
    assert "corticosteroid" in k.concepts_for_code("rxnorm", "312617")
    assert "corticosteroid" in k.concepts_for_code("rxnorm", "846192")
    # openFDA: the RxCUIs of FOSAMAX 70 mg (NDC 78206-135) mean alendronate, a bisphosphonate
    for product in ("904431", "904433"):
        assert {"alendronate", "bisphosphonate"} <= k.concepts_for_code("rxnorm", product)
    assert k.concepts_for_code("rxnorm", "904431") == k.concepts_for_code("rxnorm", "46041")


def test_the_openfda_records_are_alendronate_products() -> None:
    """Every vendored record is an alendronate sodium product with its RxCUIs; a record of
    another drug (or one without RxCUIs) would be a transcription error."""
    source = json.loads(OPENFDA.read_text(encoding="utf-8"))
    assert len(source["records"]) == 8
    for record in source["records"]:
        result = record["result"]
        assert record["url"].startswith("https://api.fda.gov/drug/ndc.json?search=")
        assert result["product_ndc"].replace("-", "") in record["url"].replace("-", "")
        assert "ALENDRONATE SODIUM" in {a["name"] for a in result["active_ingredients"]}
        assert result["openfda"]["rxcui"] and all(c.isdigit() for c in result["openfda"]["rxcui"])


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
version: 1.2.0
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
  - id: cit-vsac-drug-classes
    supports: >-
      The RxNorm SCD and pack codes of clopidogrel, ticagrelor and dipyridamole products
      (Antithrombotic Therapy for Ischemic Stroke, Dipyridamole Medications), of sertraline,
      fluoxetine, paroxetine, citalopram, escitalopram, fluvoxamine, venlafaxine, duloxetine and
      desvenlafaxine products (Antidepressant Medication) and of oral prednisone, prednisolone,
      methylprednisolone, dexamethasone and hydrocortisone products (Glucocorticoids (oral
      only)), each with the ingredients it names.
  - id: cit-openfda-ndc-alendronate
    supports: >-
      The RxCUIs openFDA links to alendronate sodium products (alendronate alone and with
      cholecalciferol), each taken to contain alendronate; openFDA gives no term type.
  - id: cit-rxnorm
    supports: RxNorm term types and the ingredient codes the products resolve to.
limitations:
  - >-
    Generated from the vendored PDDI CDS value sets (tests/data/pddi-cds), the VSAC value set
    extracts (tests/data/vsac) and the openFDA NDC records (tests/data/openfda) by
    tests/knowledge/test_rxnorm_products.py --write; the term type is read from the RxNorm name
    (the names themselves are in the vendored files, not here).
  - >-
    Heparin products are those the VSAC anticoagulant value sets list, line-patency strengths
    included (2 UNT/ML): an order of one counts as an anticoagulant.
  - >-
    Alendronate: no RxNorm product value set was found; its product codes are the RxCUIs openFDA
    gives eight alendronate sodium NDC products (70 mg tablets, the 70 mg/75 mL solution, the
    cholecalciferol combination and two codes of 10 mg tablet labels), without a term type
    (listed without tty). Other strengths and packs are matched by ingredient code or by name.
  - >-
    Etidronate has no product codes: no citable source listing its RxNorm products was found
    (it is barely sold in the USA); its orders are matched by name only (no ingredient code
    either).
  - >-
    Corticosteroid products are the oral ones only (the NSAID label's caution is about oral
    corticosteroids); prasugrel and cilostazol products and branded SSRI/SNRI products are in
    none of the vendored value sets. All of these are matched by ingredient code or by name.
  - >-
    PDDI RxCUIs of 2018, VSAC expansions of 2021-2025 and openFDA records of 2026; later products
    are matched by name only.
"""


def write() -> None:
    lines = ["products:"]
    for p in expected_products():
        listed = p["ingredients"]
        assert isinstance(listed, list)
        ingredients = ", ".join(json.dumps(i) for i in listed)
        code = json.dumps(p["code"])
        kind = f"tty: {p['tty']}, " if "tty" in p else ""
        lines.append(f"  - {{code: {code}, {kind}ingredients: [{ingredients}]}}")
    TARGET.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write()
