"""scripts/rxnorm_products.py (the maintainer's check of the RxNorm product value set against its
public sources) on small synthetic source files written here, so its reading and comparison are
tested in CI without the sources, which are not in this repository. Codes 9000001... are made up."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "rxnorm_products.py"
# scripts/ is not a package: load the script as a module by its path.
_spec = importlib.util.spec_from_file_location("rxnorm_products", SCRIPT)
assert _spec is not None and _spec.loader is not None
rx = importlib.util.module_from_spec(_spec)
sys.modules["rxnorm_products"] = rx
_spec.loader.exec_module(rx)

ANTITHROMBOTIC = "2.16.840.1.113762.1.4.1110.62"


def _pddi(directory: Path, name: str, concepts: dict[str, str]) -> None:
    rows = "".join(
        f'<concept><code value="{c}"/><display value="{d}"/></concept>' for c, d in concepts.items()
    )
    directory.joinpath(f"valueset-{name}.xml").write_text(
        '<ValueSet xmlns="http://hl7.org/fhir"><compose><include>'
        f'<system value="http://www.nlm.nih.gov/research/umls/rxnorm"/>{rows}'
        "</include></compose></ValueSet>",
        encoding="utf-8",
    )


def _vsac(directory: Path, oid: str, contains: dict[str, str]) -> None:
    entries = [{"system": "rxnorm", "code": c, "display": d} for c, d in contains.items()]
    body = {"resourceType": "ValueSet", "expansion": {"contains": entries}}
    directory.joinpath(f"valueset-{oid}.json").write_text(json.dumps(body), encoding="utf-8")


def _sources(tmp_path: Path) -> tuple[Path, Path, list[Path]]:
    pddi, vsac = tmp_path / "pddi", tmp_path / "vsac"
    pddi.mkdir()
    vsac.mkdir()
    for name in [*rx.PDDI_INGREDIENTS, "ibuprofen-exclude"]:
        _pddi(pddi, name, {})
    for oid in rx.VSAC_PRODUCT_SETS:
        _vsac(vsac, oid, {})
    _pddi(
        pddi,
        "indomethacin",
        {
            "9000003": "Indomethacin 25 MG Oral Capsule",
            "9000001": "Indomethacin 25 MG",  # a component: no dose form
            "9000002": "Indomethacin Oral Capsule",  # a dose-form group: no strength
        },
    )
    _pddi(
        pddi,
        "ibuprofen",
        {"9000004": "Ibuprofen 5 % Topical Gel", "9000005": "Ibuprofen 200 MG Oral Tablet [Advil]"},
    )
    _pddi(pddi, "ibuprofen-exclude", {"9000004": "Ibuprofen 5 % Topical Gel"})
    _vsac(
        vsac,
        ANTITHROMBOTIC,
        {
            "9000006": "aspirin 81 MG Oral Tablet",  # aspirin alone: not taken from this set
            "9000007": "aspirin 25 MG / dipyridamole 200 MG Extended Release Oral Capsule",
            "9000008": "{28 (clopidogrel 75 MG Oral Tablet) } Pack [Brand]",
        },
    )
    raw = tmp_path / "ndc.json"
    result = {
        "active_ingredients": [{"name": "ALENDRONATE SODIUM"}],
        "openfda": {"rxcui": ["9000009"]},
    }
    raw.write_text(json.dumps({"results": [result]}), encoding="utf-8")
    kept = tmp_path / "records.json"
    other = {"active_ingredients": [{"name": "OTHER"}], "openfda": {"rxcui": ["9000010"]}}
    kept.write_text(json.dumps({"records": [{"result": other}]}), encoding="utf-8")
    return pddi, vsac, [raw, kept]


def test_the_sources_give_products_with_their_ingredients_and_term_types(tmp_path: Path) -> None:
    expected = rx.expected_products(*_sources(tmp_path))
    assert expected == [
        {"code": "9000003", "tty": "SCD", "ingredients": ["5781"]},
        {"code": "9000005", "tty": "SBD", "ingredients": ["5640"]},
        {"code": "9000007", "tty": "SCD", "ingredients": ["1191", "3521"]},
        {"code": "9000008", "tty": "BPCK", "ingredients": ["32968"]},
        {"code": "9000009", "ingredients": ["46041"]},
    ]


def test_term_types_read_from_rxnorm_names() -> None:
    assert rx.tty("Indomethacin 25 MG Oral Capsule") == "SCD"
    assert rx.tty("Naproxen 500 MG Oral Tablet [Naprosyn]") == "SBD"
    assert rx.tty("{30 (naproxen 375 MG Oral Tablet) } Pack") == "GPCK"
    assert rx.tty("Indomethacin 25 MG") is None
    assert rx.tty("Indomethacin Oral Capsule") is None


def test_a_check_names_every_difference(tmp_path: Path) -> None:
    expected: list[dict[str, Any]] = rx.expected_products(*_sources(tmp_path))
    assert rx.product_problems(expected, expected) == []
    written = [dict(p) for p in expected[1:]]  # 9000003 missing
    written[0]["ingredients"] = ["5781"]  # 9000005 with the wrong ingredient
    written.append({"code": "9999999", "tty": "SCD", "ingredients": ["5781"]})
    problems = rx.product_problems(written, expected)
    assert len(problems) == 3
    assert problems[0].startswith("not in the sources") and "9999999" in problems[0]
    assert problems[1].startswith("missing from the YAML") and "9000003" in problems[1]
    assert problems[2].startswith("differs") and "9000005" in problems[2]


def test_sources_prints_a_git_command_per_source_file() -> None:
    commands = rx.sources("PDDI", "ECQM", "OUT")
    files = [c.rsplit(" > ", 1)[1] for c in commands[1:]]
    assert len(files) == len(set(files)) == 7 + len(rx.VSAC_PRODUCT_SETS) + len(rx.VSAC_ORDER_SETS)
    assert all(c.startswith("git -C ") and " show " in c for c in commands[1:])
