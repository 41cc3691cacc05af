"""The directory's pure parts: NPI check digit, ZIP codes, taxonomy, the NPPES and FHIR readers,
and the synthetic directory."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from hosentinel.directory import nppes
from hosentinel.directory.fhir_bundle import (
    NPI_SYSTEM,
    DirectoryBundleError,
    read_directory_bundle,
)
from hosentinel.directory.geo import (
    ZipError,
    chord_for_miles,
    haversine_miles,
    miles_for_chord,
    unit_vector,
    zip_place,
)
from hosentinel.directory.npi import make_npi, valid_npi
from hosentinel.directory.records import ClinicianIn, Problem
from hosentinel.directory.synth import (
    DEMO_DIRECTORY,
    demo_clinicians,
    synth_clinicians,
    write_nppes,
)
from hosentinel.directory.taxonomy import NUCC_SYSTEM, UnknownSpecialty, taxonomy


def test_npi_check_digit() -> None:
    assert valid_npi("1234567893")  # the CMS worked example
    assert not valid_npi("1234567890")
    assert not valid_npi("123456789")
    assert not valid_npi("12345678931")
    assert not valid_npi("12345678a3")
    for body in (0, 123_456_789, 900_000_000, 999_999_999):
        npi = make_npi(body)
        assert valid_npi(npi) and npi.startswith(f"{body:09d}")
        wrong = npi[:9] + str((int(npi[9]) + 1) % 10)
        assert not valid_npi(wrong)


def test_zip_codes_and_distances() -> None:
    chicago = zip_place("60611")
    assert (chicago.city, chicago.state) == ("Chicago", "IL")
    assert zip_place("60611-2654") == chicago == zip_place("606112654")
    with pytest.raises(ZipError, match="ZIP code 00000 does not exist"):
        zip_place("00000")
    with pytest.raises(ZipError, match="is not a US ZIP code"):
        zip_place("6061")
    with pytest.raises(ZipError, match="ZIP code 09001 has no location"):
        zip_place("09001")  # an APO code: listed, without coordinates
    new_york = zip_place("10001")
    miles = haversine_miles(chicago.lat, chicago.lon, new_york.lat, new_york.lon)
    assert 700 < miles < 725  # Chicago to Manhattan, about 711 miles
    # The chord between unit vectors gives back the same great-circle distance.
    a, b = unit_vector(chicago.lat, chicago.lon), unit_vector(new_york.lat, new_york.lon)
    chord = sum((p - q) ** 2 for p, q in zip(a, b, strict=True)) ** 0.5
    assert miles_for_chord(chord) == pytest.approx(miles, rel=1e-9)
    assert miles_for_chord(chord_for_miles(50)) == pytest.approx(50)


def test_taxonomy_groups_and_codes() -> None:
    tax = taxonomy()
    assert set(tax.groups) == {"physiatry", "orthopaedic-surgery", "radiation-oncology"}
    assert tax.groups["physiatry"].codes[0] == "208100000X"
    assert {"2081P0004X", "2081P0301X"} <= set(tax.groups["physiatry"].codes)
    assert tax.groups["orthopaedic-surgery"].codes[0] == "207X00000X"
    assert "207XS0114X" in tax.groups["orthopaedic-surgery"].codes
    assert tax.groups["radiation-oncology"].codes == ("2085R0001X",)
    for code in tax.by_code:
        assert len(code) == 10 and code.endswith("X"), code
    group, specialty = tax.resolve("207xs0114x")
    assert group.id == "orthopaedic-surgery"
    assert specialty is not None and specialty.code == "207XS0114X"
    assert tax.resolve("physiatry") == (tax.groups["physiatry"], None)
    with pytest.raises(UnknownSpecialty, match="Unknown specialty '207Q00000X'"):
        tax.resolve("207Q00000X")  # family medicine: a real code, not one the directory has


def _csv(header: list[str], rows: list[dict[str, str]]) -> io.StringIO:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: row.get(k, "") for k in header})
    out.seek(0)
    return out


def _row(npi: str, **fields: str) -> dict[str, str]:
    row = {
        nppes.NPI: npi,
        nppes.ENTITY: "1",
        nppes.LAST: "RIVERA",
        nppes.FIRST: "ANA",
        nppes.CREDENTIAL: "M.D.",
        nppes.ADDRESS1: "100 EXAMPLE AVENUE",
        nppes.CITY: "CHICAGO",
        nppes.STATE: "IL",
        nppes.POSTAL: "606112654",
        nppes.PHONE: "3125550100",
        nppes.taxonomy_column(1): "207X00000X",
        nppes.primary_column(1): "Y",
    }
    row.update(fields)
    return row


# A subset of the real file's 330 columns, in another order, with a column the reader ignores.
HEADER = [
    "Replacement NPI",
    *reversed(nppes.HEADER),
]


def test_nppes_reader_reports_each_bad_row_and_keeps_going() -> None:
    good, second = make_npi(900_000_001), make_npi(900_000_002)
    rows = [
        _row(good),  # line 2
        _row(good[:9] + str((int(good[9]) + 1) % 10)),  # 3: check digit
        _row(make_npi(900_000_003), **{nppes.ENTITY: "2", nppes.LAST: ""}),  # 4: organisation
        _row(make_npi(900_000_004), **{nppes.DEACTIVATED: "05/01/2020"}),  # 5: deactivated
        _row(make_npi(900_000_005), **{nppes.taxonomy_column(1): "207Q00000X"}),  # 6
        _row(make_npi(900_000_006), **{nppes.POSTAL: "00000"}),  # 7: no such ZIP
        _row(make_npi(900_000_007), **{nppes.LAST: ""}),  # 8: no last name
        _row(  # 9: reactivated after deactivation, two codes, the primary in slot 2
            second,
            **{
                nppes.DEACTIVATED: "05/01/2020",
                nppes.REACTIVATED: "06/01/2021",
                nppes.taxonomy_column(1): "2081P0004X",
                nppes.primary_column(1): "N",
                nppes.taxonomy_column(2): "208100000X",
                nppes.primary_column(2): "Y",
                nppes.POSTAL: "77030",
            },
        ),
        _row("12345", **{nppes.LAST: "SHORT"}),  # 10: not 10 digits
    ]
    items = list(nppes.read_nppes(_csv(HEADER, rows)))
    loaded = [i for i in items if isinstance(i, ClinicianIn)]
    problems = {p.where: p for p in items if isinstance(p, Problem)}
    assert [c.npi for c in loaded] == [good, second]
    first = loaded[0]
    assert (first.last_name, first.first_name, first.city, first.zip5) == (
        "Rivera",
        "Ana",
        "Chicago",
        "60611",
    )
    assert first.phone == "(312) 555-0100" and first.taxonomies == (("207X00000X", True),)
    assert loaded[1].taxonomies == (("208100000X", True), ("2081P0004X", False))
    assert loaded[1].zip5 == "77030"
    assert {w: (p.kind, p.reason) for w, p in problems.items()} == {
        "line 3": ("bad", "NPI fails the check digit"),
        "line 4": ("skipped", "an organisation (entity type 2), not a person"),
        "line 5": ("skipped", "NPI deactivated on 05/01/2020"),
        "line 6": ("skipped", "no supported specialty"),
        "line 7": (
            "bad",
            "ZIP code 00000 does not exist (it is not in the US ZIP code list).",
        ),
        "line 8": ("bad", "no last name"),
        "line 10": ("bad", "NPI is not 10 digits"),
    }
    assert str(problems["line 3"]).startswith("line 3 NPI ")


def test_nppes_reader_names_missing_columns() -> None:
    header = [c for c in nppes.HEADER if c != nppes.POSTAL]
    with pytest.raises(nppes.NppesFormatError, match="Postal Code"):
        list(nppes.read_nppes(_csv(header, [])))


def _bundle(*resources: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    ).encode()


def _practitioner(pid: str, npi: str) -> dict[str, Any]:
    return {
        "resourceType": "Practitioner",
        "id": pid,
        "identifier": [{"system": NPI_SYSTEM, "value": npi}],
        "name": [{"family": "Okafor", "given": ["Grace", "N"]}],
        "qualification": [{"code": {"text": "MD"}}],
    }


def _role(rid: str, pid: str, code: str, location: str = "loc") -> dict[str, Any]:
    return {
        "resourceType": "PractitionerRole",
        "id": rid,
        "practitioner": {"reference": f"Practitioner/{pid}"},
        "location": [{"reference": f"Location/{location}"}],
        "specialty": [{"coding": [{"system": NUCC_SYSTEM, "code": code}]}],
    }


LOCATION = {
    "resourceType": "Location",
    "id": "loc",
    "address": {
        "line": ["200 Example Street", "Suite 3"],
        "city": "Seattle",
        "state": "WA",
        "postalCode": "98104",
    },
    "telecom": [{"system": "phone", "value": "(206) 555-0101"}],
}


def test_fhir_directory_bundle() -> None:
    npi = make_npi(900_000_010)
    raw = _bundle(
        _practitioner("p1", npi),
        LOCATION,
        _role("r1", "p1", "207X00000X"),
        _role("r2", "p1", "207XS0114X"),  # a second role of the same surgeon adds a code
        _practitioner("p2", "1234567890"),  # check digit wrong
        _role("r3", "p2", "207X00000X"),
        _practitioner("p3", make_npi(900_000_011)),
        _role("r4", "p3", "207Q00000X"),  # family medicine: out of scope
        {"resourceType": "Location", "id": "bad", "address": "Main Street"},  # not an Address
        _role("r5", "p1", "208100000X", location="missing"),
    )
    items = list(read_directory_bundle(raw))
    loaded = [i for i in items if isinstance(i, ClinicianIn)]
    problems = [(p.where, p.kind, p.reason) for p in items if isinstance(p, Problem)]
    assert len(loaded) == 1
    surgeon = loaded[0]
    assert (surgeon.npi, surgeon.last_name, surgeon.first_name) == (npi, "Okafor", "Grace N")
    assert surgeon.taxonomies == (("207X00000X", True), ("207XS0114X", False))
    assert (surgeon.address1, surgeon.address2, surgeon.zip5) == (
        "200 Example Street",
        "Suite 3",
        "98104",
    )
    assert surgeon.phone == "(206) 555-0101" and surgeon.credential == "MD"
    assert surgeon.source == "fhir"
    assert problems[0][0] == "entry 9 (Location/bad)" and problems[0][1] == "bad"
    assert problems[1:] == [
        ("entry 6 (PractitionerRole/r3)", "bad", "the practitioner has no valid NPI identifier"),
        ("entry 8 (PractitionerRole/r4)", "skipped", "no supported specialty"),
        ("entry 10 (PractitionerRole/r5)", "bad", "no practice Location in the Bundle"),
    ]
    with pytest.raises(DirectoryBundleError, match="not a FHIR Bundle"):
        list(read_directory_bundle(b'{"resourceType": "Patient"}'))
    with pytest.raises(DirectoryBundleError, match="not JSON"):
        list(read_directory_bundle(b"NPI,Entity Type Code"))


def test_synthetic_directory_is_deterministic_and_reads_back() -> None:
    first = list(synth_clinicians(200, seed=3))
    assert first == list(synth_clinicians(200, seed=3))
    assert first != list(synth_clinicians(200, seed=4))
    assert all(valid_npi(c.npi) and c.npi.startswith("9") for c in first)
    assert len({c.npi for c in first}) == 200
    assert all(c.phone and "555-01" in c.phone for c in first)
    near = list(synth_clinicians(50, seed=1, near=("60611",), radius=30))
    chicago = zip_place("60611")
    assert all(haversine_miles(chicago.lat, chicago.lon, c.lat, c.lon) <= 30 for c in near)
    out = io.StringIO()
    assert write_nppes(out, iter(first)) == 200
    out.seek(0)
    back = list(nppes.read_nppes(out))
    assert all(isinstance(c, ClinicianIn) for c in back)
    assert [(c.npi, c.zip5, c.taxonomies) for c in back if isinstance(c, ClinicianIn)] == [
        (c.npi, c.zip5, c.taxonomies) for c in first
    ]


def test_the_demo_directory_file_is_the_generators_output() -> None:
    out = io.StringIO(newline="")
    write_nppes(out, demo_clinicians())
    assert DEMO_DIRECTORY.read_bytes() == out.getvalue().encode()
    groups = {taxonomy().by_code[c.taxonomies[0][0]].group for c in demo_clinicians()}
    assert groups == {"physiatry", "orthopaedic-surgery", "radiation-oncology"}
