"""Read the NPPES "NPI Downloadable File" (CSV, one row per NPI, about 330 columns), streamed.

Columns are found by header name, so the full file and any subset with the needed columns both
read. Each row becomes a `ClinicianIn` or a `Problem` with its line number, and reading goes on:
- bad: an NPI that is not 10 digits or fails the check digit, no last name, no practice address,
  a ZIP code that is malformed or not a known US ZIP code;
- skipped: an organisation (entity type 2), a deactivated NPI (not reactivated since), no
  supported taxonomy code (see taxonomy.yaml).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import TextIO

from hosentinel.directory.geo import ZipError, zip_place
from hosentinel.directory.npi import valid_npi
from hosentinel.directory.records import ClinicianIn, Problem
from hosentinel.directory.taxonomy import taxonomy

NPI = "NPI"
ENTITY = "Entity Type Code"
LAST = "Provider Last Name (Legal Name)"
FIRST = "Provider First Name"
CREDENTIAL = "Provider Credential Text"
ORGANIZATION = "Provider Organization Name (Legal Business Name)"
ADDRESS1 = "Provider First Line Business Practice Location Address"
ADDRESS2 = "Provider Second Line Business Practice Location Address"
CITY = "Provider Business Practice Location Address City Name"
STATE = "Provider Business Practice Location Address State Name"
POSTAL = "Provider Business Practice Location Address Postal Code"
PHONE = "Provider Business Practice Location Address Telephone Number"
DEACTIVATED = "NPI Deactivation Date"
REACTIVATED = "NPI Reactivation Date"
TAXONOMY_SLOTS = 15


def taxonomy_column(slot: int) -> str:
    return f"Healthcare Provider Taxonomy Code_{slot}"


def primary_column(slot: int) -> str:
    return f"Healthcare Provider Primary Taxonomy Switch_{slot}"


REQUIRED = (NPI, ENTITY, LAST, FIRST, ADDRESS1, CITY, STATE, POSTAL, taxonomy_column(1))
# The columns `synth` writes and a test file needs: the required ones and the optional ones.
HEADER = (
    NPI,
    ENTITY,
    LAST,
    FIRST,
    CREDENTIAL,
    ORGANIZATION,
    ADDRESS1,
    ADDRESS2,
    CITY,
    STATE,
    POSTAL,
    PHONE,
    DEACTIVATED,
    REACTIVATED,
    *[c for slot in range(1, 4) for c in (taxonomy_column(slot), primary_column(slot))],
)


class NppesFormatError(ValueError):
    """The file is not an NPPES CSV: needed columns are missing."""


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _mmddyyyy_key(value: str) -> tuple[int, int, int] | None:
    """NPPES dates are MM/DD/YYYY; an ISO date is accepted too."""
    try:
        if "/" in value:
            month, day, year = (int(p) for p in value.split("/"))
        else:
            year, month, day = (int(p) for p in value.split("-"))
    except ValueError:
        return None
    return year, month, day


def _proper(value: str) -> str:
    """NPPES writes names and addresses in capitals: "ABBOTT" -> "Abbott" for display."""
    return value.title() if value.isupper() else value


def _phone(value: str | None) -> str | None:
    digits = "".join(ch for ch in value or "" if ch.isdigit())
    if len(digits) == 10:
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return _clean(value)


def read_nppes(stream: TextIO) -> Iterator[ClinicianIn | Problem]:
    """Clinicians and problems, row by row (never the whole file in memory)."""
    reader = csv.DictReader(stream)
    fields = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in fields]
    if missing:
        raise NppesFormatError(
            "not an NPPES NPI file: missing column(s) " + ", ".join(repr(c) for c in missing)
        )
    slots = [s for s in range(1, TAXONOMY_SLOTS + 1) if taxonomy_column(s) in fields]
    supported = taxonomy().by_code
    for row in reader:
        where = f"line {reader.line_num}"
        npi = (row.get(NPI) or "").strip()
        if not valid_npi(npi):
            reason = (
                "NPI fails the check digit"
                if npi.isdigit() and len(npi) == 10
                else ("NPI is not 10 digits")
            )
            yield Problem(where, "bad", reason, npi or None)
            continue
        deactivated = _clean(row.get(DEACTIVATED))
        if deactivated:
            reactivated = _clean(row.get(REACTIVATED))
            if reactivated is None or (_mmddyyyy_key(reactivated) or (0, 0, 0)) < (
                _mmddyyyy_key(deactivated) or (0, 0, 0)
            ):
                yield Problem(
                    where, "skipped", f"NPI deactivated on {deactivated}", npi, "deactivated NPI"
                )
                continue
        entity = (row.get(ENTITY) or "").strip()
        if entity == "2":
            yield Problem(where, "skipped", "an organisation (entity type 2), not a person", npi)
            continue
        if entity != "1":
            yield Problem(where, "bad", f"entity type {entity or '(empty)'} is not 1 or 2", npi)
            continue
        codes: list[tuple[str, bool]] = []
        seen: set[str] = set()
        for slot in slots:
            code = (row.get(taxonomy_column(slot)) or "").strip().upper()
            if code in supported and code not in seen:
                seen.add(code)
                primary = (row.get(primary_column(slot)) or "").strip().upper() == "Y"
                codes.append((code, primary))
        if not codes:
            yield Problem(where, "skipped", "no supported specialty", npi)
            continue
        last, first = _clean(row.get(LAST)), _clean(row.get(FIRST))
        address1, city = _clean(row.get(ADDRESS1)), _clean(row.get(CITY))
        state = _clean(row.get(STATE))
        if last is None:
            yield Problem(where, "bad", "no last name", npi)
            continue
        if address1 is None or city is None or state is None:
            yield Problem(where, "bad", "no practice location address", npi)
            continue
        try:
            place = zip_place(row.get(POSTAL) or "")
        except ZipError as exc:
            yield Problem(where, "bad", str(exc), npi)
            continue
        codes.sort(key=lambda c: not c[1])
        yield ClinicianIn(
            npi=npi,
            last_name=_proper(last),
            first_name=_proper(first or ""),
            credential=_clean(row.get(CREDENTIAL)),
            address1=_proper(address1),
            address2=_proper(_clean(row.get(ADDRESS2)) or "") or None,
            city=_proper(city),
            state=state,
            zip5=place.zip5,
            phone=_phone(row.get(PHONE)),
            lat=place.lat,
            lon=place.lon,
            taxonomies=tuple(codes),
            source="nppes",
        )
