"""A synthetic clinician directory in the NPPES file format, deterministic for a seed.

Names are drawn from short lists of common given and family names, street addresses are made up
("1234 Cedar Avenue"), telephone numbers are in the 555-01xx range reserved for fiction, and NPIs
start with 9 (no NPI issued so far does) with a valid check digit: the file looks like NPPES but
describes nobody. ZIP codes are real (from the `zipcodes` package), so distances are real.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from hosentinel.directory import nppes
from hosentinel.directory.geo import ZipPlace, haversine_miles, zip_place, zip_table
from hosentinel.directory.npi import make_npi
from hosentinel.directory.records import ClinicianIn
from hosentinel.directory.taxonomy import taxonomy

FIRST_NAMES = (
    "Alex", "Amara", "Ana", "Ben", "Carmen", "Chen", "Dana", "David", "Elena", "Emeka", "Farah",
    "Grace", "Hana", "Ian", "Imani", "Jamal", "Jonah", "Kai", "Laura", "Leila", "Luis", "Maya",
    "Mei", "Nadia", "Noah", "Omar", "Priya", "Rafael", "Rosa", "Sam", "Sofia", "Tariq", "Tomas",
    "Uma", "Victor", "Wen", "Yara", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Bauer", "Becker", "Brennan", "Castillo", "Cho", "Cohen",
    "Dawson", "Delgado", "Eriksen", "Fischer", "Fong", "Garcia", "Gupta", "Haddad", "Hughes",
    "Ibarra", "Ivanova", "Jensen", "Kaur", "Keller", "Kim", "Lambert", "Larsen", "Mendez",
    "Moreau", "Nakamura", "Novak", "Okafor", "Olsen", "Park", "Patel", "Quinn", "Rahman", "Reyes",
    "Rossi", "Sato", "Schmidt", "Silva", "Tanaka", "Torres", "Ueda", "Vargas", "Weber", "Wong",
    "Yilmaz", "Young", "Zimmerman",
)  # fmt: skip
STREET_NAMES = (
    "Cedar", "Maple", "Oak", "Willow", "Birch", "Elm", "Harbor", "Lakeview", "Meadow", "Orchard",
    "Ridge", "River", "Summit", "Sunset", "Valley", "Park", "Hillcrest", "Juniper", "Aspen",
)  # fmt: skip
STREET_KINDS = ("Street", "Avenue", "Road", "Boulevard", "Drive", "Lane", "Way")
SUITES = (None, None, "Suite 100", "Suite 210", "Floor 3", "Building B")
# Share of each group in the synthetic directory, and how often a subspecialty is primary.
GROUP_WEIGHTS = {"physiatry": 40, "orthopaedic-surgery": 45, "radiation-oncology": 15}
FIRST_NPI_BODY = 900_000_000
# The demo directory sits around these ZIP codes (Chicago, Houston, Seattle).
DEMO_CENTRES = ("60611", "77030", "98104")
DEMO_RADIUS_MILES = 40.0


def _places(near: tuple[str, ...], radius: float) -> list[ZipPlace]:
    table = zip_table()
    if not near:
        return [table[z] for z in sorted(table)]
    centres = [zip_place(z) for z in near]
    return [
        table[z]
        for z in sorted(table)
        if any(haversine_miles(c.lat, c.lon, table[z].lat, table[z].lon) <= radius for c in centres)
    ]


def synth_clinicians(
    count: int, seed: int, near: tuple[str, ...] = (), radius: float = DEMO_RADIUS_MILES
) -> Iterator[ClinicianIn]:
    """`count` synthetic clinicians, the same for the same arguments. With `near`, every one
    practises within `radius` miles of one of those ZIP codes; else anywhere in the US."""
    rng = random.Random(seed)
    places = _places(near, radius)
    tax = taxonomy()
    groups = list(GROUP_WEIGHTS)
    weights = [GROUP_WEIGHTS[g] for g in groups]
    for index in range(count):
        group = tax.groups[rng.choices(groups, weights)[0]]
        base = group.codes[0]
        primary = base if rng.random() < 0.6 else rng.choice(group.codes)
        codes = [(primary, True)]
        if len(group.codes) > 1 and rng.random() < 0.2:
            other = rng.choice(group.codes)
            if other != primary:
                codes.append((other, False))
        place = rng.choice(places)
        yield ClinicianIn(
            npi=make_npi(FIRST_NPI_BODY + index),
            last_name=rng.choice(LAST_NAMES),
            first_name=rng.choice(FIRST_NAMES),
            credential=rng.choice(("MD", "MD", "DO")),
            address1=f"{rng.randint(10, 9899)} {rng.choice(STREET_NAMES)} "
            f"{rng.choice(STREET_KINDS)}",
            address2=rng.choice(SUITES),
            city=place.city,
            state=place.state,
            zip5=place.zip5,
            phone=f"({rng.randint(201, 989)}) 555-01{rng.randint(0, 99):02d}",
            lat=place.lat,
            lon=place.lon,
            taxonomies=tuple(codes),
        )


def nppes_row(c: ClinicianIn) -> dict[str, str]:
    row = {
        nppes.NPI: c.npi,
        nppes.ENTITY: "1",
        nppes.LAST: c.last_name.upper(),
        nppes.FIRST: c.first_name.upper(),
        nppes.CREDENTIAL: c.credential or "",
        nppes.ORGANIZATION: "",
        nppes.ADDRESS1: c.address1.upper(),
        nppes.ADDRESS2: (c.address2 or "").upper(),
        nppes.CITY: c.city.upper(),
        nppes.STATE: c.state,
        # NPPES writes ZIP+4 without a dash where it has one.
        nppes.POSTAL: c.zip5 + ("0001" if int(c.npi[-3:]) % 2 else ""),
        nppes.PHONE: "".join(ch for ch in c.phone or "" if ch.isdigit()),
        nppes.DEACTIVATED: "",
        nppes.REACTIVATED: "",
    }
    for slot in range(1, 4):
        code, primary = c.taxonomies[slot - 1] if slot <= len(c.taxonomies) else ("", False)
        row[nppes.taxonomy_column(slot)] = code
        row[nppes.primary_column(slot)] = ("Y" if primary else "N") if code else ""
    return row


def write_nppes(out: TextIO, clinicians: Iterator[ClinicianIn]) -> int:
    """Write the NPPES CSV (every field quoted, as the real file is); returns the row count."""
    writer = csv.DictWriter(out, fieldnames=nppes.HEADER, quoting=csv.QUOTE_ALL)
    writer.writeheader()
    rows = 0
    for c in clinicians:
        writer.writerow(nppes_row(c))
        rows += 1
    return rows


DEMO_DIRECTORY = Path(__file__).parent / "demo_directory.csv"
DEMO_COUNT = 360
DEMO_SEED = 6


def demo_clinicians() -> Iterator[ClinicianIn]:
    return synth_clinicians(DEMO_COUNT, DEMO_SEED, near=DEMO_CENTRES)
