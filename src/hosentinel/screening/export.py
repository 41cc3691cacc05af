"""The files of a FHIR Bulk Data export, as `screen` reads them.

An export directory holds NDJSON files, plain or gzipped, usually one or more per resource type;
patients may be spread across files. Which files:

- with a `manifest.json` (the `$export` manifest), the files its `output` entries list, whatever
  they are called: a relative URL is a path in the folder (`hosentinel synth`), a URL that
  `hosentinel bulk fetch` downloaded is found by its record of local names, any other URL by its
  last path segment (servers such as HAPI name files by number);
- without one, every `*.ndjson` / `*.ndjson.gz` file (any letter case).

Every file left out is named in a warning, and so is each `error` entry of the manifest (the export
is incomplete). Plain or gzip is read from the file's first bytes, not its name. Files are read in
manifest order (name order without a manifest), and within a file in line order: that order is
the order of a patient's resources, as it would be in a Bundle built from the export.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote, urlparse

SUFFIXES = (".ndjson", ".ndjson.gz")
MANIFEST = "manifest.json"
_GZIP_MAGIC = b"\x1f\x8b"
# What `hosentinel bulk fetch` keeps beside the files (its record of local names; state.py).
_FETCH_STATE = ".hosentinel-bulk.json"
_OWN = {MANIFEST, _FETCH_STATE}


class ExportError(ValueError):
    """The directory cannot be read as a Bulk Data export. str() is one line."""


@dataclass(frozen=True, slots=True)
class ExportFile:
    path: Path
    rank: int  # position in export order
    size: int
    gzip: bool = False  # by content
    source: Path | None = None  # what the engines open, when not `path` (staging.py)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def read_path(self) -> Path:
        return self.source or self.path


@dataclass(frozen=True)
class Export:
    directory: Path
    files: tuple[ExportFile, ...]
    warnings: tuple[str, ...] = ()
    refused: tuple[tuple[str, str], ...] = ()  # (file name, why): past a cap, not screened
    manifest: dict[str, object] | None = None
    _ranks: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        ranks = {str(f.path.resolve()): f.rank for f in self.files}
        for f in self.files:  # a staged link, also once it is gone (the counts outlive it)
            if f.source is not None:
                ranks[str(f.source.parent.resolve() / f.source.name)] = f.rank
        object.__setattr__(self, "_ranks", ranks)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)

    def rank_table(self) -> dict[str, int]:
        """Resolved path of each file (and of its staged link) -> its rank."""
        return dict(self._ranks)

    def ranks(self) -> FileRanks:
        return FileRanks(self.rank_table())

    def rank_of(self, location: str) -> int:
        """A file's rank from the path or URI an engine reports for it."""
        return self._ranks[_plain_path(location)]

    def file_of(self, location: str) -> ExportFile:
        return self.files[self.rank_of(location)]

    def without(self, refused: dict[Path, str]) -> Export:
        """This export less the `refused` files (path -> why), ranks renumbered."""
        kept = [f for f in self.files if f.path not in refused]
        files = tuple(replace(f, rank=i) for i, f in enumerate(kept))
        gone = tuple((p.name, why) for p, why in refused.items())
        return replace(self, files=files, refused=self.refused + gone)

    def staged(self, sources: dict[Path, Path]) -> Export:
        files = tuple(replace(f, source=sources.get(f.path)) for f in self.files)
        return replace(self, files=files)


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
    """ "file:///x/y%20z.ndjson" (Spark) or "/x/y z.ndjson" (DuckDB) -> "/x/y z.ndjson"; a staged
    link resolves to the export's own file."""
    if location.startswith("file:"):
        location = unquote(urlparse(location).path)
    return str(Path(location).resolve())


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def discover(directory: Path) -> Export:
    """The export's files (see the module's docstring). Raises ExportError when there are none."""
    if not directory.is_dir():
        raise ExportError(f"{directory} is not a directory")
    warnings: list[str] = []
    manifest = _manifest(directory, warnings)
    if manifest is not None:
        paths = _listed(directory, manifest, warnings)
        what = "no file its manifest.json lists"
    else:
        paths = sorted(
            (p for p in directory.iterdir() if p.is_file() and p.name.lower().endswith(SUFFIXES)),
            key=lambda p: p.name,
        )
        what = "no .ndjson or .ndjson.gz files"
    used = {p.resolve() for p in paths}
    for entry in sorted(directory.iterdir(), key=lambda p: p.name):
        if entry.name in _OWN or entry.resolve() in used:
            continue
        if entry.name.startswith(".hosentinel-stage-"):
            continue  # another screen's links to these very files (staging.py)
        if entry.is_dir():
            if manifest is not None and entry.name in ("error", "deleted"):
                continue  # bulk fetch's folders for the manifest's error and deleted entries
            warnings.append(f"folder {entry.name}/ not read")
        elif manifest is not None:
            warnings.append(f"{entry.name} skipped: not listed in manifest.json")
        else:
            warnings.append(f"{entry.name} skipped: not .ndjson or .ndjson.gz (and no manifest)")
    if not paths:
        raise ExportError(f"{directory} holds {what}")
    files = tuple(ExportFile(p, rank, p.stat().st_size, is_gzip(p)) for rank, p in enumerate(paths))
    return Export(directory, files, tuple(warnings), manifest=manifest)


def _manifest(directory: Path, warnings: list[str]) -> dict[str, object] | None:
    path = directory / MANIFEST
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        warnings.append(f"{MANIFEST} unreadable ({exc}): the files are found by name instead")
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
        warnings.append(f"{MANIFEST} has no output list: the files are found by name instead")
        return None
    errors = manifest.get("error")
    for entry in errors if isinstance(errors, list) else []:
        url = entry.get("url") if isinstance(entry, dict) else entry
        warnings.append(
            f"the export is incomplete: {MANIFEST} lists an error file ({url}); "
            "`hosentinel bulk fetch` shows its messages"
        )
    deleted = manifest.get("deleted")
    if isinstance(deleted, list) and deleted:
        warnings.append(
            f"{MANIFEST} lists {len(deleted)} file(s) of deleted resources: read with --census"
        )
    return manifest


def _listed(
    directory: Path, manifest: dict[str, object], warnings: list[str], section: str = "output"
) -> list[Path]:
    """The local files of the manifest's entries of `section`, in manifest order."""
    names = _fetched_names(directory, section)
    root = directory.resolve()
    out: list[Path] = []
    entries = manifest.get(section)
    for entry in entries if isinstance(entries, list) else []:
        url = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(url, str):
            warnings.append(f"{MANIFEST}: an {section} entry without a url skipped")
            continue
        path = local_file(root, url, names)
        if path is None:
            warnings.append(f"{MANIFEST} lists {url}, not found in {directory}: skipped")
        elif path.resolve() not in {p.resolve() for p in out}:
            out.append(path)
    return out


def local_file(root: Path, url: str, names: dict[str, str]) -> Path | None:
    """Where the file of a manifest URL is in the folder `root` (resolved), if it is there."""
    parsed = urlparse(url)
    candidates = []
    if url in names:
        candidates.append(names[url])
    if not parsed.scheme and not parsed.netloc:
        candidates.append(unquote(parsed.path))
    last = unquote(parsed.path.rstrip("/").rsplit("/", 1)[-1])
    if last:
        candidates += [last, f"{last}.ndjson", f"{last}.ndjson.gz"]
    for name in candidates:
        path = (root / name).resolve()
        # Only files inside the folder: a manifest cannot point `screen` elsewhere.
        if path.is_file() and path.is_relative_to(root):
            return path
    return None


def deleted_files(export: Export) -> tuple[list[Path], list[str]]:
    """The files of the manifest's `deleted` entries (Bulk Data v2), and warnings for those
    not found."""
    warnings: list[str] = []
    if export.manifest is None:
        return [], warnings
    return _listed(export.directory, export.manifest, warnings, "deleted"), warnings


def _fetched_names(directory: Path, section: str) -> dict[str, str]:
    try:
        state = json.loads((directory / _FETCH_STATE).read_text(encoding="utf-8"))
        return {f["url"]: f["name"] for f in state["files"] if f.get("section") == section}
    except (OSError, ValueError, KeyError, TypeError):
        return {}
