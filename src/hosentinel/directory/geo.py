"""US ZIP code -> coordinates (offline, from the `zipcodes` package), distances, search cells.

Clinicians are placed at the centre of their practice ZIP code (ZIP5). A search looks only at the
grid cells that the radius' bounding box covers, then measures the great-circle distance.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

EARTH_RADIUS_MILES = 3958.8
MILES_PER_DEGREE_LAT = 69.05
CELL_DEGREES = 0.25
_ZIP = re.compile(r"([0-9]{5})(?:-?[0-9]{4})?")


class ZipError(ValueError):
    """A ZIP code that is malformed or not a known US ZIP code."""


@dataclass(frozen=True, slots=True)
class ZipPlace:
    zip5: str
    lat: float
    lon: float
    city: str
    state: str

    @property
    def label(self) -> str:
        return f"{self.zip5} ({self.city}, {self.state})"


@cache
def _zip_tables() -> tuple[dict[str, ZipPlace], frozenset[str]]:
    """The ZIP codes of the `zipcodes` package with a location (about 42,000), and those it lists
    at 0,0, i.e. without one (military APO/FPO codes and a few special-purpose codes)."""
    import zipcodes

    table: dict[str, ZipPlace] = {}
    unlocated: set[str] = set()
    rows: list[dict[str, Any]] = zipcodes.list_all()  # type: ignore[no-untyped-call]
    for row in rows:
        lat, lon = float(row.get("lat") or 0), float(row.get("long") or 0)
        if abs(lat) < 1 and abs(lon) < 1:
            unlocated.add(row["zip_code"])
            continue
        table[row["zip_code"]] = ZipPlace(row["zip_code"], lat, lon, row["city"], row["state"])
    return table, frozenset(unlocated)


def zip_table() -> dict[str, ZipPlace]:
    return _zip_tables()[0]


def zip5(value: str) -> str:
    """The five-digit ZIP of "60611", "60611-2654" or "606112654"; ZipError otherwise."""
    match = _ZIP.fullmatch(value.strip())
    if match is None:
        raise ZipError(f"{value.strip()!r} is not a US ZIP code: use 5 digits, e.g. 60611.")
    return match.group(1)


def zip_place(value: str) -> ZipPlace:
    code = zip5(value)
    table, unlocated = _zip_tables()
    place = table.get(code)
    if place is None and code in unlocated:
        raise ZipError(
            f"ZIP code {code} has no location (a military or special-purpose code): use the ZIP "
            "code of a street address."
        )
    if place is None:
        raise ZipError(f"ZIP code {code} does not exist (it is not in the US ZIP code list).")
    return place


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, math.sqrt(h)))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """The point on the unit sphere: the chord between two such points orders exactly as the
    great-circle distance does, and needs no trigonometry to compute."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def chord_for_miles(miles: float) -> float:
    """The chord length on the unit sphere of a great-circle distance in miles."""
    return 2 * math.sin(min(math.pi, miles / EARTH_RADIUS_MILES) / 2)


def miles_for_chord(chord: float) -> float:
    return 2 * EARTH_RADIUS_MILES * math.asin(min(1.0, chord / 2))


def cell(degrees: float) -> int:
    return math.floor(degrees / CELL_DEGREES)


@dataclass(frozen=True, slots=True)
class Box:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    @property
    def lat_cells(self) -> list[int]:
        return list(range(cell(self.lat_min), cell(self.lat_max) + 1))

    @property
    def lon_cells(self) -> tuple[int, int]:
        return cell(self.lon_min), cell(self.lon_max)


def bounding_box(lat: float, lon: float, radius_miles: float) -> Box:
    """A latitude/longitude box that holds every point within the radius (generously: the
    longitude span is taken at the box's latitude farthest from the equator)."""
    dlat = radius_miles / MILES_PER_DEGREE_LAT * 1.01
    far = min(89.0, max(abs(lat - dlat), abs(lat + dlat)))
    dlon = min(180.0, radius_miles / (MILES_PER_DEGREE_LAT * math.cos(math.radians(far))) * 1.01)
    return Box(lat - dlat, lat + dlat, lon - dlon, lon + dlon)
