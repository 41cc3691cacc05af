"""Check or regenerate the knowledge base's RxNorm product value set
(`knowledge/data/valuesets/rxnorm-products.yaml`) and the bone-scan / referral order codes
(`orders.yaml`) against their public sources (docs/clinical-content.md, "Checking the value sets
against their sources").

    python scripts/rxnorm_products.py sources CHECKOUT_PDDI CHECKOUT_ECQM DIR
    python scripts/rxnorm_products.py check --pddi DIR --vsac DIR --openfda FILE [FILE ...]
    python scripts/rxnorm_products.py write --pddi DIR --vsac DIR --openfda FILE [FILE ...]

The sources are files a maintainer has locally (a clone of each public repository, read at the
commits below, and the openFDA NDC responses); none of them is in this repository. `sources`
prints the git commands that copy the source files out of two local clones into DIR/pddi and
DIR/vsac. `check` exits 1 and prints the differences when the YAML is not what the sources give;
`write` rewrites the product list (the header, citations and limitations are kept as they are).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
VALUESETS = ROOT / "src" / "hosentinel" / "knowledge" / "data" / "valuesets"
PRODUCTS = VALUESETS / "rxnorm-products.yaml"
ORDERS = VALUESETS / "orders.yaml"
FHIR = "{http://hl7.org/fhir}"

# Where each source file is: https://github.com/HL7/PDDI-CDS at one commit (value sets US 1.1;
# later commits replace the warfarin codes with a pointer to VSAC), and the VSAC expansions
# vendored by https://github.com/cqframework/ecqm-content-qicore-2025 (directory
# input/vocabulary/valueset/external), each at the commit it was read at.
PDDI_COMMIT = "ae51e303d43ea4faa0f68fd4be61806cb9dbc8b7"
PDDI_PATH = "input/vocabulary/valueset-{name}.xml"
VSAC_PATH = "input/vocabulary/valueset/external/valueset-{oid}.json"
C2025_01 = "8476c37ac051b96ae79c9f1201610d556171c3d6"
C2025_06 = "8afd4d442e8d0530058060abe26009f86ce42f34"
C2025_08 = "cddafb77e1110ad25b8dbe8be322adc4c38f4326"
C2025_08_MAIN = "db5a7e143304b19b70cbf6a89e5ebeab9e40df61"

# PDDI value set -> the RxNorm ingredient (IN) it is about (labs-and-medications.yaml lists it).
PDDI_INGREDIENTS = {
    "warfarin": "11289",
    "aspirin": "1191",
    "ibuprofen": "5640",
    "naproxen": "7258",
    "celecoxib": "140587",
    "indomethacin": "5781",
}
# VSAC value sets (OID -> commit, the ingredients whose products are taken from it), read by
# the ingredient's name in the RxNorm name (the PDDI IG has no value sets for these). A product
# taken also counts every other ingredient it names (aspirin in aspirin / dipyridamole); aspirin
# products alone come from the PDDI value set only.
ANTICOAGULANTS = ("apixaban", "rivaroxaban", "enoxaparin", "heparin")
VSAC_PRODUCT_SETS = {
    "2.16.840.1.113762.1.4.1248.22": (C2025_01, ANTICOAGULANTS),  # Anticoagulants, All Indications
    "2.16.840.1.113883.3.117.1.7.1.200": (C2025_01, ANTICOAGULANTS),  # Anticoagulant Therapy
    "2.16.840.1.113883.3.117.1.7.1.218": (C2025_01, ANTICOAGULANTS),  # Unfractionated Heparin
    "2.16.840.1.113883.3.117.1.7.1.219": (C2025_01, ANTICOAGULANTS),  # LMW Heparin, VTE
    "2.16.840.1.113883.3.3157.4045": (C2025_01, ANTICOAGULANTS),  # Oral Anticoagulant Medications
    # Antithrombotic Therapy for Ischemic Stroke
    "2.16.840.1.113762.1.4.1110.62": (
        C2025_06,
        ("clopidogrel", "prasugrel", "ticagrelor", "dipyridamole", "cilostazol"),
    ),
    "2.16.840.1.113883.3.464.1003.1051": (C2025_06, ("dipyridamole",)),  # Dipyridamole Medications
    # Antidepressant Medication
    "2.16.840.1.113883.3.464.1003.196.11.1530": (
        C2025_08,
        (
            "sertraline",
            "fluoxetine",
            "paroxetine",
            "citalopram",
            "escitalopram",
            "fluvoxamine",
            "venlafaxine",
            "duloxetine",
            "desvenlafaxine",
        ),
    ),
    # Glucocorticoids (oral only)
    "2.16.840.1.113883.3.464.1003.196.12.1266": (
        C2025_06,
        ("prednisone", "prednisolone", "methylprednisolone", "dexamethasone", "hydrocortisone"),
    ),
}
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
# The order concepts of orders.yaml and the VSAC value set (OID, commit) each code must be in.
VSAC_ORDER_SETS = {
    "bone-scan-order": ("2.16.840.1.113883.3.526.3.320", C2025_01),  # Bone Scan
    "surgeon-referral-order": ("2.16.840.1.113883.3.464.1003.101.11.1215", C2025_08_MAIN),
}
SYSTEM_URLS = {"loinc": "http://loinc.org", "snomed": "http://snomed.info/sct"}
# openFDA NDC products: the FDA active-ingredient name -> the RxNorm ingredient. Every RxCUI
# openFDA links to such a product contains it; openFDA gives no term type.
OPENFDA_INGREDIENTS = {"ALENDRONATE SODIUM": "46041"}

# RxNorm names: SCD "ingredient strength unit dose-form", SBD the same + " [Brand]", packs
# "{n (SCD) / ...} Pack" (+ " [Brand]" for a BPCK). Components (no dose form), dose-form groups
# and ingredients/brands (no strength) are left out: orders name products.
STRENGTH = re.compile(r"\d(\.\d+)? (MG|MCG|UNT|MEQ|ML|%)(/[A-Z]+)?\b")
DOSE_FORM = re.compile(
    r"\b(Tablet|Capsule|Suspension|Solution|Suppository|Powder|Injection|Gum|Granules|Lozenge|"
    r"Syrup|Elixir|Liquid|Packet|Prefilled Syringe|Cartridge|Enema|Kit|Cream|Gel|Patch)\b"
)

Product = dict[str, Any]


def _norm(text: str) -> str:
    return " ".join(text.split())


def tty(display: str) -> str | None:
    """The RxNorm term type a name has (SCD, SBD, GPCK, BPCK), or None for the others."""
    branded = display.endswith("]")
    if re.search(r"\}\s*Pack", display):
        return "BPCK" if branded else "GPCK"
    if "Reformulated" in display or not STRENGTH.search(display):
        return None
    return ("SBD" if branded else "SCD") if DOSE_FORM.search(display) else None


def read_pddi(directory: Path, name: str) -> dict[str, str]:
    """code -> display of a PDDI value set (FHIR XML, compose.include.concept)."""
    found: dict[str, str] = {}
    for concept in ET.parse(directory / f"valueset-{name}.xml").iter(f"{FHIR}concept"):
        code = concept.find(f"{FHIR}code")
        display = concept.find(f"{FHIR}display")
        if code is not None and display is not None:
            found[code.attrib["value"]] = _norm(display.attrib["value"])
    return found


def read_vsac(directory: Path, oid: str) -> list[dict[str, str]]:
    """The expansion.contains entries of a VSAC value set (FHIR JSON)."""
    source = json.loads((directory / f"valueset-{oid}.json").read_text(encoding="utf-8"))
    contains: list[dict[str, str]] = source["expansion"]["contains"]
    return contains


def read_openfda(files: list[Path]) -> list[tuple[str, str]]:
    """(RxCUI, RxNorm ingredient) of every product with an ingredient of OPENFDA_INGREDIENTS.
    A file is an openFDA NDC API response (`results`) or a list of them kept as
    `{"records": [{"result": ...}]}`."""
    results: list[dict[str, Any]] = []
    for path in files:
        source = json.loads(path.read_text(encoding="utf-8"))
        results += source.get("results", [])
        results += [record["result"] for record in source.get("records", [])]
    found: list[tuple[str, str]] = []
    for result in results:
        for active in result["active_ingredients"]:
            ingredient = OPENFDA_INGREDIENTS.get(active["name"])
            if ingredient is not None:
                found.extend((c, ingredient) for c in result.get("openfda", {}).get("rxcui", []))
    return found


def _add(products: dict[str, Product], code: str, kind: str | None, ingredients: list[str]) -> None:
    product = products.setdefault(code, {"code": code, "tty": kind, "ingredients": []})
    product["ingredients"] += [i for i in ingredients if i not in product["ingredients"]]


def expected_products(pddi: Path, vsac: Path, openfda: list[Path]) -> list[Product]:
    """The product list the sources give, in the YAML's form and order."""
    products: dict[str, Product] = {}
    for name, ingredient in PDDI_INGREDIENTS.items():
        excluded = read_pddi(pddi, f"{name}-exclude") if name == "ibuprofen" else {}
        for code, display in read_pddi(pddi, name).items():
            kind = tty(display)
            if kind is not None and code not in excluded:
                _add(products, code, kind, [ingredient])
    for oid, (_, taken) in VSAC_PRODUCT_SETS.items():
        for entry in read_vsac(vsac, oid):
            display = _norm(entry["display"])
            kind = tty(display)
            names = [n for n in VSAC_INGREDIENTS if re.search(rf"\b{n}\b", display.lower())]
            if kind is not None and set(names) & set(taken):
                _add(products, entry["code"], kind, [VSAC_INGREDIENTS[n] for n in names])
    for code, ingredient in read_openfda(openfda):
        _add(products, code, None, [ingredient])
    # A product only openFDA names has no term type: the key is left out, as in the YAML.
    listed = [{k: v for k, v in p.items() if v is not None} for p in products.values()]
    return sorted(listed, key=lambda p: int(str(p["code"])))


def order_problems(vsac: Path) -> list[str]:
    """Each order code of orders.yaml that is not, with its display, in its VSAC value set."""
    concepts = {c["id"]: c for c in yaml.safe_load(ORDERS.read_text(encoding="utf-8"))["concepts"]}
    problems = []
    for concept, (oid, _) in VSAC_ORDER_SETS.items():
        listed = {(c["system"], c["code"], c["display"]) for c in read_vsac(vsac, oid)}
        for code in concepts[concept]["codes"]:
            if (SYSTEM_URLS[code["system"]], code["code"], code["display"]) not in listed:
                problems.append(f"{concept}: {code} is not in VSAC {oid}")
    return problems


def product_problems(written: list[Product], expected: list[Product]) -> list[str]:
    ours = {p["code"]: p for p in written}
    theirs = {p["code"]: p for p in expected}
    problems = [f"not in the sources: {ours[c]}" for c in sorted(ours.keys() - theirs.keys())]
    problems += [f"missing from the YAML: {theirs[c]}" for c in sorted(theirs.keys() - ours.keys())]
    problems += [
        f"differs: YAML {ours[c]}, sources {theirs[c]}"
        for c in sorted(ours.keys() & theirs.keys())
        if ours[c] != theirs[c]
    ]
    if not problems and written != expected:
        problems.append("same products, different order (run write)")
    return problems


def write(expected: list[Product]) -> None:
    text = PRODUCTS.read_text(encoding="utf-8")
    header = text[: text.index("\nproducts:\n") + 1]
    lines = ["products:"]
    for p in expected:
        ingredients = ", ".join(json.dumps(i) for i in p["ingredients"])
        kind = f"tty: {p['tty']}, " if "tty" in p else ""
        lines.append(f"  - {{code: {json.dumps(p['code'])}, {kind}ingredients: [{ingredients}]}}")
    PRODUCTS.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")


def sources(pddi_clone: str, ecqm_clone: str, into: str) -> list[str]:
    """Shell commands copying every source file out of local clones of the two repositories."""
    commands = [f"mkdir -p {into}/pddi {into}/vsac"]
    for name in [*PDDI_INGREDIENTS, "ibuprofen-exclude"]:
        path = PDDI_PATH.format(name=name)
        commands.append(
            f"git -C {pddi_clone} show {PDDI_COMMIT}:{path} > {into}/pddi/{Path(path).name}"
        )
    sets = [(oid, c) for oid, (c, _) in VSAC_PRODUCT_SETS.items()] + list(VSAC_ORDER_SETS.values())
    for oid, commit in sets:
        path = VSAC_PATH.format(oid=oid)
        commands.append(f"git -C {ecqm_clone} show {commit}:{path} > {into}/vsac/{Path(path).name}")
    return commands


def _say(*lines: str) -> None:
    sys.stdout.write("".join(f"{line}\n" for line in lines))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("sources", help="print the git commands that copy the sources")
    listing.add_argument("pddi_clone")
    listing.add_argument("ecqm_clone")
    listing.add_argument("into")
    for name in ("check", "write"):
        sub = commands.add_parser(name)
        sub.add_argument("--pddi", type=Path, required=True, help="PDDI-CDS value set XML files")
        sub.add_argument("--vsac", type=Path, required=True, help="VSAC value set JSON files")
        sub.add_argument("--openfda", type=Path, nargs="+", required=True, help="openFDA NDC JSON")
    args = parser.parse_args(argv)
    if args.command == "sources":
        _say(*sources(args.pddi_clone, args.ecqm_clone, args.into))
        return 0
    expected = expected_products(args.pddi, args.vsac, args.openfda)
    if args.command == "write":
        write(expected)
        return 0
    written = yaml.safe_load(PRODUCTS.read_text(encoding="utf-8"))["products"]
    problems = product_problems(written, expected) + order_problems(args.vsac)
    kinds = ", ".join(sorted({str(p.get("tty")) for p in expected}))
    _say(
        *problems,
        f"{len(expected)} products from the sources ({kinds}), {len(written)} in the YAML",
        "OK: the YAML is what the sources give" if not problems else f"{len(problems)} problems",
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
