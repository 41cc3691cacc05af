"""The directory in the database: upsert from the readers, and search by specialty, name and
distance from a ZIP code.

Search plan (the same on SQLite and PostgreSQL): the covering index of `clinician_search`
(specialty group, lat cell, lon cell, lat, lon, npi) gives the clinicians of the group in the grid
cells the radius' bounding box covers; the great-circle distance is computed in SQL for those
only, filtered by the radius, sorted and paginated; the clinicians of the page are then read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, literal, select, update
from sqlalchemy.orm import Session

from hosentinel.directory.geo import EARTH_RADIUS_MILES, ZipPlace, bounding_box, cell
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
    return [
        {
            "npi": c.npi,
            "specialty_group": group,
            "lat_cell": cell(c.lat),
            "lon_cell": cell(c.lon),
            "lat": c.lat,
            "lon": c.lon,
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


def distance_sql(lat: Any, lon: Any, origin: ZipPlace) -> ColumnElement[float]:
    """Great-circle distance in miles from the origin (haversine), in SQL: SQLite's math
    functions and PostgreSQL both have sin, cos, asin, sqrt and radians."""
    dlat = func.radians(lat - origin.lat) / 2
    dlon = func.radians(lon - origin.lon) / 2
    h = func.sin(dlat) * func.sin(dlat) + literal(math.cos(math.radians(origin.lat))) * func.cos(
        func.radians(lat)
    ) * func.sin(dlon) * func.sin(dlon)
    distance: ColumnElement[float] = 2 * EARTH_RADIUS_MILES * func.asin(func.sqrt(h))
    return distance


def search(session: Session, q: SearchQuery) -> SearchResult:
    s = m.ClinicianSearch
    box = bounding_box(q.origin.lat, q.origin.lon, q.radius_miles)
    lon_low, lon_high = box.lon_cells
    distance = distance_sql(s.lat, s.lon, q.origin).label("distance")
    candidates = select(s.npi, distance).where(
        s.specialty_group == q.group.id,
        s.lat_cell.in_(box.lat_cells),
        s.lon_cell.between(lon_low, lon_high),
        s.lat.between(box.lat_min, box.lat_max),
        s.lon.between(box.lon_min, box.lon_max),
    )
    if q.code is not None:
        t = m.ClinicianTaxonomy
        candidates = candidates.where(
            select(t.npi).where(t.npi == s.npi, t.code == q.code.code).exists()
        )
    if q.name:
        doc = m.Clinician
        pattern = "%" + q.name.strip().lower().replace("%", "").replace("_", "") + "%"
        candidates = candidates.join(doc, doc.npi == s.npi).where(doc.name_key.like(pattern))
    inner = candidates.subquery()
    within = select(inner.c.npi, inner.c.distance).where(inner.c.distance <= q.radius_miles)
    page_rows = session.execute(
        within.add_columns(func.count().over().label("total"))
        .order_by(inner.c.distance, inner.c.npi)
        .limit(q.per_page)
        .offset((q.page - 1) * q.per_page)
    ).all()
    if page_rows:
        total = int(page_rows[0].total)
    else:
        total = int(session.scalar(select(func.count()).select_from(within.subquery())) or 0)
    npis = [r.npi for r in page_rows]
    clinicians = {
        c.npi: c for c in session.scalars(select(m.Clinician).where(m.Clinician.npi.in_(npis)))
    }
    codes: dict[str, list[tuple[bool, str]]] = {}
    for row in session.scalars(
        select(m.ClinicianTaxonomy).where(m.ClinicianTaxonomy.npi.in_(npis))
    ):
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
                distance_miles=round(float(r.distance), 1),
                specialties=tuple(
                    by_code[code] for _, code in sorted(codes.get(c.npi, [])) if code in by_code
                ),
            )
        )
    return SearchResult(q, tuple(items), total)


def get_clinician(session: Session, npi: str) -> m.Clinician | None:
    return session.get(m.Clinician, npi)


def clinician_specialties(session: Session, npi: str) -> list[Specialty]:
    rows = session.scalars(
        select(m.ClinicianTaxonomy)
        .where(m.ClinicianTaxonomy.npi == npi)
        .order_by(m.ClinicianTaxonomy.is_primary.desc(), m.ClinicianTaxonomy.code)
    )
    by_code = taxonomy().by_code
    return [by_code[r.code] for r in rows if r.code in by_code]
