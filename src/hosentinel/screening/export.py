"""The files of a FHIR Bulk Data export, as `screen` reads them.

An export directory holds NDJSON files, plain (`*.ndjson`) or gzipped (`*.ndjson.gz`), usually one
or more per resource type (`Observation.000.ndjson`, `Observation.001.ndjson`, ...); patients may
be spread across files. The files are read in name order, and within a file in line order: that
order is the order of a patient's resources, as it would be in a Bundle built from the export.
A `manifest.json` beside them is not needed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

SUFFIXES = (".ndjson", ".ndjson.gz")


class ExportError(ValueError):
    """The directory cannot be read as a Bulk Data export. str() is one line."""


@dataclass(frozen=True, slots=True)
class ExportFile:
    path: Path
    rank: int  # position in name order
    size: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def type_hint(self) -> str:
        """The resource type the file name announces ("Observation.000.ndjson" -> Observation)."""
        return self.path.name.split(".", 1)[0]


@dataclass(frozen=True)
class Export:
    directory: Path
    files: tuple[ExportFile, ...]
    _ranks: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranks = {str(f.path.resolve()): f.rank for f in self.files}
        object.__setattr__(self, "_ranks", ranks)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def rank_table(self) -> dict[str, int]:
        """Resolved path of each file -> its rank."""
        return dict(self._ranks)

    def ranks(self) -> FileRanks:
        return FileRanks(self.rank_table())

    def rank_of(self, location: str) -> int:
        """A file's rank from the path or URI an engine reports for it."""
        return self._ranks[_plain_path(location)]

    def file_of(self, location: str) -> ExportFile:
        return self.files[self.rank_of(location)]


class FileRanks(Mapping[str, int]):
    """File location (a path, or a URI as Spark reports it) -> rank in export order."""

    def __init__(self, ranks: dict[str, int]) -> None:
        self._ranks = ranks  # resolved plain path -> rank
        self._seen: dict[str, int] = {}

    def __getitem__(self, location: str) -> int:
        rank = self._seen.get(location)
        if rank is None:
            rank = self._seen[location] = self._ranks[_plain_path(location)]
        return rank

    def __iter__(self) -> Iterator[str]:
        return iter(self._ranks)

    def __len__(self) -> int:
        return len(self._ranks)


def _plain_path(location: str) -> str:
    """ "file:///x/y%20z.ndjson" (Spark) or "/x/y z.ndjson" (DuckDB) -> "/x/y z.ndjson"."""
    if location.startswith("file:"):
        location = unquote(urlparse(location).path)
    return str(Path(location).resolve())


def discover(directory: Path) -> Export:
    """The export's NDJSON files in name order. Raises ExportError when there are none."""
    if not directory.is_dir():
        raise ExportError(f"{directory} is not a directory")
    paths = sorted(
        (p for p in directory.iterdir() if p.is_file() and p.name.endswith(SUFFIXES)),
        key=lambda p: p.name,
    )
    if not paths:
        raise ExportError(f"{directory} holds no .ndjson or .ndjson.gz files")
    files = tuple(ExportFile(p, rank, p.stat().st_size) for rank, p in enumerate(paths))
    return Export(directory, files)
