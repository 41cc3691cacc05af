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
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import BindParameter, TextClause, bindparam, delete, insert, select, text, update
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
# The offset a page makes must stay a database integer (a 500 past 64 bits).
MAX_PAGE = 1_000_000
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
        if self.page > MAX_PAGE:
            raise SearchError(f"The page number is at most {MAX_PAGE:,}.")
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


_MATCH = """
FROM clinician_search s{join}
WHERE s.specialty_group = :grp
  AND s.lat_cell IN :cells{suffix}
  AND s.lon_cell BETWEEN :lon_low{suffix} AND :lon_high{suffix}
  AND {chord2} <= :max_chord2{suffix}{where}"""
_CHORD2 = "((s.x - :x) * (s.x - :x) + (s.y - :y) * (s.y - :y) + (s.z - :z) * (s.z - :z))"
_BY_CODE = """
  AND EXISTS (SELECT 1 FROM clinician_taxonomies t WHERE t.npi = s.npi AND t.code = :code)"""
_BY_NAME = "\n  AND c.name_key LIKE :name"
# One round trip: the page of clinicians with their specialties, and the total within the whole
# radius as a one-row derived table (evaluated once, on SQLite and PostgreSQL alike).
_PAGE_SQL = """
SELECT p.npi AS npi, p.chord2 AS chord2, n.total AS total,
       d.last_name, d.first_name, d.credential, d.address1, d.address2, d.city, d.state, d.zip5,
       d.phone, t.code AS code, t.is_primary AS is_primary
FROM (SELECT count(*) AS total{match_all}) n
CROSS JOIN (SELECT s.npi AS npi, {chord2} AS chord2{match_page}
      ORDER BY chord2, s.npi LIMIT :limit OFFSET :offset) p
JOIN clinicians d ON d.npi = p.npi
LEFT JOIN clinician_taxonomies t ON t.npi = p.npi
ORDER BY p.chord2, p.npi, t.is_primary DESC, t.code"""
_COUNT_SQL = "SELECT count(*) AS total{match_all}"


@cache
def _statement(kind: str, by_code: bool, by_name: bool) -> TextClause:
    """The page (with the total) or the count alone, one statement per shape, compiled once.
    The specialty group and the grid cells pick the rows through the covering index; the squared
    chord between unit vectors is the distance test and the order (no trigonometry per row).
    Parameters ending in _all bound the whole radius; the others the circle the page is read
    from."""

    def match(suffix: str) -> str:
        return _MATCH.format(
            chord2=_CHORD2,
            suffix=suffix,
            join=" JOIN clinicians c ON c.npi = s.npi" if by_name else "",
            where=(_BY_CODE if by_code else "") + (_BY_NAME if by_name else ""),
        )

    sql = (_PAGE_SQL if kind == "page" else _COUNT_SQL).format(
        chord2=_CHORD2, match_all=match("_all"), match_page=match("")
    )
    params: list[BindParameter[Any]] = [bindparam("cells_all", expanding=True)]
    if kind == "page":
        params.append(bindparam("cells", expanding=True))
    return text(sql).bindparams(*params)


def _within(q: SearchQuery, radius: float, suffix: str = "") -> dict[str, Any]:
    """The parameters that bound the search to `radius` miles around the origin."""
    box = bounding_box(q.origin.lat, q.origin.lon, radius)
    lon_low, lon_high = box.lon_cells
    return {
        f"cells{suffix}": box.lat_cells,
        f"lon_low{suffix}": lon_low,
        f"lon_high{suffix}": lon_high,
        f"max_chord2{suffix}": chord_for_miles(radius) ** 2,
    }


def search(session: Session, q: SearchQuery) -> SearchResult:
    """The page, nearest first, and the total within the radius. The page is first read within a
    quarter of the radius: when that circle holds the whole page, those are the nearest overall
    (every match inside it is nearer than any outside), and far fewer rows are sorted; else it is
    read within the whole radius. One round trip when the area is dense, two otherwise."""
    x, y, z = unit_vector(q.origin.lat, q.origin.lon)
    params: dict[str, Any] = {
        "grp": q.group.id,
        "x": x,
        "y": y,
        "z": z,
        "limit": q.per_page,
        "offset": (q.page - 1) * q.per_page,
        **_within(q, q.radius_miles, "_all"),
    }
    if q.code is not None:
        params["code"] = q.code.code
    if q.name:
        params["name"] = "%" + q.name.strip().lower().replace("%", "").replace("_", "") + "%"
    shape = (q.code is not None, bool(q.name))
    page = _statement("page", *shape)
    if session.get_bind().dialect.name == "postgresql":
        # psycopg prepares a statement run five times; after five more, PostgreSQL may switch to
        # a generic plan that cannot see the cells and the radius and is ten times slower.
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    rows: list[Any] = []
    for radius in (q.radius_miles / 4, q.radius_miles):
        rows = list(session.execute(page, {**params, **_within(q, radius)}))
        if len({r.npi for r in rows}) == q.per_page:
            break
    if rows:
        total = int(rows[0].total)
    elif q.page == 1:
        total = 0
    else:  # past the last page: the count alone
        total = int(session.execute(_statement("count", *shape), params).scalar_one())
    by_code = taxonomy().by_code
    hits: dict[str, Hit] = {}
    for r in rows:
        hit = hits.get(r.npi)
        if hit is None:
            hit = hits[r.npi] = Hit(
                npi=r.npi,
                name=display_name(r.last_name, r.first_name, r.credential),
                credential=r.credential,
                address1=r.address1,
                address2=r.address2,
                city=r.city,
                state=r.state,
                zip5=r.zip5,
                phone=r.phone,
                distance_miles=round(miles_for_chord(math.sqrt(max(0.0, r.chord2))), 1),
                specialties=(),
            )
        if r.code in by_code:
            hits[r.npi] = replace(hit, specialties=(*hit.specialties, by_code[r.code]))
    return SearchResult(q, tuple(hits.values()), total)


def clinician_specialties(session: Session, npi: str) -> list[Specialty]:
    rows = session.scalars(
        select(m.ClinicianTaxonomy)
        .where(m.ClinicianTaxonomy.npi == npi)
        .order_by(m.ClinicianTaxonomy.is_primary.desc(), m.ClinicianTaxonomy.code)
    )
    by_code = taxonomy().by_code
    return [by_code[r.code] for r in rows if r.code in by_code]
