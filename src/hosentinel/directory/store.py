"""The directory in the database: upsert from the readers, and search by specialty, name and
distance from a ZIP code.

Search plan (the same on SQLite and PostgreSQL): the covering index of `clinician_search`
(specialty group, lat cell, lon cell, x, y, z, npi) gives the clinicians of the group in the grid
cells the radius' bounding box covers; for those only, the squared chord between unit vectors
(exactly as ordered as the great-circle distance, and plain arithmetic) is filtered by the radius,
sorted and paginated in SQL, with the total as a window count; the clinicians of the page are
then read and their great-circle distance computed from the chord.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import TextClause, bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from hosentinel.directory.geo import (
    ZipPlace,
    bounding_box,
    cell,
    chord_for_miles,
    miles_for_chord,
    unit_vector,
)
from hosentinel.directory.records import ClinicianIn, LoadReport, Problem
from hosentinel.directory.taxonomy import Specialty, SpecialtyGroup, taxonomy
from hosentinel.store import models as m

BATCH = 2000
MAX_RADIUS_MILES = 300
MAX_PER_PAGE = 100


def _batches(items: Iterable[ClinicianIn | Problem], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def name_key(last: str, first: str) -> str:
    return f"{last} {first}".strip().lower()


def clinician_row(c: ClinicianIn, at: datetime) -> dict[str, Any]:
    return {
        "npi": c.npi,
        "last_name": c.last_name,
        "first_name": c.first_name,
        "credential": c.credential,
        "address1": c.address1,
        "address2": c.address2,
        "city": c.city,
        "state": c.state,
        "zip5": c.zip5,
        "phone": c.phone,
        "lat": c.lat,
        "lon": c.lon,
        "name_key": name_key(c.last_name, c.first_name),
        "source": c.source,
        "updated_at": at,
    }


def taxonomy_rows(c: ClinicianIn) -> list[dict[str, Any]]:
    return [{"npi": c.npi, "code": code, "is_primary": primary} for code, primary in c.taxonomies]


def search_rows(c: ClinicianIn) -> list[dict[str, Any]]:
    by_code = taxonomy().by_code
    groups = dict.fromkeys(by_code[code].group for code, _ in c.taxonomies)
    x, y, z = unit_vector(c.lat, c.lon)
    return [
        {
            "npi": c.npi,
            "specialty_group": group,
            "lat_cell": cell(c.lat),
            "lon_cell": cell(c.lon),
            "x": x,
            "y": y,
            "z": z,
        }
        for group in groups
    ]


def upsert(session: Session, items: Iterable[ClinicianIn | Problem], at: datetime) -> LoadReport:
    """Insert new clinicians, update known ones (same NPI), replace their specialties; count and
    keep the problems. Flushes, never commits (the caller owns the transaction)."""
    report = LoadReport()
    for chunk in _batches(items, BATCH):
        batch: dict[str, ClinicianIn] = {}
        for item in chunk:
            if isinstance(item, Problem):
                report.add(item)
            else:
                batch[item.npi] = item  # the last row of an NPI wins
        if not batch:
            continue
        known = set(session.scalars(select(m.Clinician.npi).where(m.Clinician.npi.in_(batch))))
        new = [c for npi, c in batch.items() if npi not in known]
        old = [c for npi, c in batch.items() if npi in known]
        if old:
            ids = [c.npi for c in old]
            session.execute(delete(m.ClinicianTaxonomy).where(m.ClinicianTaxonomy.npi.in_(ids)))
            session.execute(delete(m.ClinicianSearch).where(m.ClinicianSearch.npi.in_(ids)))
            session.execute(update(m.Clinician), [clinician_row(c, at) for c in old])
        if new:
            session.execute(insert(m.Clinician), [clinician_row(c, at) for c in new])
        values = list(batch.values())
        session.execute(insert(m.ClinicianTaxonomy), [r for c in values for r in taxonomy_rows(c)])
        session.execute(insert(m.ClinicianSearch), [r for c in values for r in search_rows(c)])
        report.inserted += len(new)
        report.updated += len(old)
    session.flush()
    return report


# --------------------------------------------------------------------------------------------
# Search


class SearchError(ValueError):
    """A search that cannot run (radius, page): the message says what to change."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    group: SpecialtyGroup
    code: Specialty | None
    origin: ZipPlace
    radius_miles: float = 50.0
    name: str | None = None
    page: int = 1
    per_page: int = 20

    def __post_init__(self) -> None:
        if not 0 < self.radius_miles <= MAX_RADIUS_MILES:
            raise SearchError(f"The radius must be between 1 and {MAX_RADIUS_MILES} miles.")
        if self.page < 1:
            raise SearchError("The page number starts at 1.")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise SearchError(f"Results per page must be between 1 and {MAX_PER_PAGE}.")


@dataclass(frozen=True, slots=True)
class Hit:
    npi: str
    name: str
    credential: str | None
    address1: str
    address2: str | None
    city: str
    state: str
    zip5: str
    phone: str | None
    distance_miles: float
    specialties: tuple[Specialty, ...]

    @property
    def address(self) -> str:
        street = ", ".join(x for x in (self.address1, self.address2) if x)
        return f"{street}, {self.city}, {self.state} {self.zip5}"


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: SearchQuery
    items: tuple[Hit, ...]
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def message(self) -> str | None:
        if self.total == 0:
            what = self.query.code.name if self.query.code else self.query.group.name
            name = f" with a name like {self.query.name!r}" if self.query.name else ""
            return (
                f"No clinician in {what}{name} within {self.query.radius_miles:g} miles of "
                f"{self.query.origin.label}. Try a larger radius or another ZIP code."
            )
        if not self.items:
            return f"Page {self.query.page} is past the last page ({self.pages})."
        return None


def display_name(last: str, first: str, credential: str | None) -> str:
    name = f"{first} {last}".strip()
    return f"{name}, {credential}" if credential else name


_FROM_WHERE = """
FROM clinician_search s{join}
WHERE s.specialty_group = :grp
  AND s.lat_cell IN :cells
  AND s.lon_cell BETWEEN :lon_low AND :lon_high
  AND {chord2} <= :max_chord2{where}"""
_COUNT_SQL = "SELECT count(*) AS total{from_where}"
_PAGE_SQL = """SELECT s.npi AS npi, {chord2} AS chord2{from_where}
ORDER BY chord2, s.npi
LIMIT :limit OFFSET :offset"""
_CHORD2 = "((s.x - :x) * (s.x - :x) + (s.y - :y) * (s.y - :y) + (s.z - :z) * (s.z - :z))"
_BY_CODE = """
  AND EXISTS (SELECT 1 FROM clinician_taxonomies t WHERE t.npi = s.npi AND t.code = :code)"""
_BY_NAME = "\n  AND c.name_key LIKE :name"
# Above this many matches, the page is first looked for within a quarter of the radius.
NARROW_FIRST_ABOVE = 1000


@cache
def _statement(kind: str, by_code: bool, by_name: bool) -> TextClause:
    """The count or the page, one statement per shape (compiled once): the specialty group and
    the grid cells pick the rows through the covering index; the squared chord between unit
    vectors is the distance test and the order (no trigonometry per row)."""
    from_where = _FROM_WHERE.format(
        chord2=_CHORD2,
        join=" JOIN clinicians c ON c.npi = s.npi" if by_name else "",
        where=(_BY_CODE if by_code else "") + (_BY_NAME if by_name else ""),
    )
    sql = (_COUNT_SQL if kind == "count" else _PAGE_SQL).format(
        chord2=_CHORD2, from_where=from_where
    )
    return text(sql).bindparams(bindparam("cells", expanding=True))


def _within(q: SearchQuery, radius: float) -> dict[str, Any]:
    """The parameters that bound the search to `radius` miles around the origin."""
    box = bounding_box(q.origin.lat, q.origin.lon, radius)
    lon_low, lon_high = box.lon_cells
    return {
        "cells": box.lat_cells,
        "lon_low": lon_low,
        "lon_high": lon_high,
        "max_chord2": chord_for_miles(radius) ** 2,
    }


def search(session: Session, q: SearchQuery) -> SearchResult:
    """Count the matches within the radius, then read the page, nearest first. When there are
    many, the page is first looked for within a quarter of the radius: if that holds the whole
    page, those are the nearest overall (every match inside the small circle is nearer than any
    outside it), and far fewer rows are sorted."""
    x, y, z = unit_vector(q.origin.lat, q.origin.lon)
    params: dict[str, Any] = {
        "grp": q.group.id,
        "x": x,
        "y": y,
        "z": z,
        "limit": q.per_page,
        "offset": (q.page - 1) * q.per_page,
    }
    if q.code is not None:
        params["code"] = q.code.code
    if q.name:
        params["name"] = "%" + q.name.strip().lower().replace("%", "").replace("_", "") + "%"
    shape = (q.code is not None, bool(q.name))
    total = int(
        session.execute(
            _statement("count", *shape), {**params, **_within(q, q.radius_miles)}
        ).scalar_one()
    )
    page_rows: list[Any] = []
    if total > params["offset"]:
        radii = [q.radius_miles]
        if total > NARROW_FIRST_ABOVE:
            radii.insert(0, q.radius_miles / 4)
        for radius in radii:
            page_rows = list(
                session.execute(_statement("page", *shape), {**params, **_within(q, radius)})
            )
            if len(page_rows) == q.per_page:
                break
    npis = [r.npi for r in page_rows]
    # Plain rows (no ORM objects): the page and its specialties in two indexed reads.
    doc, tax = m.Clinician, m.ClinicianTaxonomy
    clinicians = {
        c.npi: c
        for c in session.execute(
            select(
                doc.npi,
                doc.last_name,
                doc.first_name,
                doc.credential,
                doc.address1,
                doc.address2,
                doc.city,
                doc.state,
                doc.zip5,
                doc.phone,
            ).where(doc.npi.in_(npis))
        )
    }
    codes: dict[str, list[tuple[bool, str]]] = {}
    for row in session.execute(select(tax.npi, tax.code, tax.is_primary).where(tax.npi.in_(npis))):
        codes.setdefault(row.npi, []).append((not row.is_primary, row.code))
    by_code = taxonomy().by_code
    items = []
    for r in page_rows:
        c = clinicians[r.npi]
        items.append(
            Hit(
                npi=c.npi,
                name=display_name(c.last_name, c.first_name, c.credential),
                credential=c.credential,
                address1=c.address1,
                address2=c.address2,
                city=c.city,
                state=c.state,
                zip5=c.zip5,
                phone=c.phone,
                distance_miles=round(miles_for_chord(math.sqrt(max(0.0, r.chord2))), 1),
                specialties=tuple(
                    by_code[code] for _, code in sorted(codes.get(c.npi, [])) if code in by_code
                ),
            )
        )
    return SearchResult(q, tuple(items), total)


def clinician_specialties(session: Session, npi: str) -> list[Specialty]:
    rows = session.scalars(
        select(m.ClinicianTaxonomy)
        .where(m.ClinicianTaxonomy.npi == npi)
        .order_by(m.ClinicianTaxonomy.is_primary.desc(), m.ClinicianTaxonomy.code)
    )
    by_code = taxonomy().by_code
    return [by_code[r.code] for r in rows if r.code in by_code]
