"""What a fetch has done so far, kept in DIR so that a stopped fetch resumes where it stopped.

`DIR/.hosentinel-bulk.json` holds the request (a resume must ask for the same export), the status
URL once the server accepted the kick-off, and for each manifest file its local name and whether
it is complete. `screen` reads the names from it too: the manifest's URLs are the server's and
often opaque (`/files/8f3a`), the local names are ours (`Condition.001.ndjson`).
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hosentinel.bulk.errors import BulkError

STATE_NAME = ".hosentinel-bulk.json"
MANIFEST_NAME = "manifest.json"
# Sections of the manifest and the sub-folder their files go to ("output" at the top).
SECTIONS = {"output": "", "deleted": "deleted", "error": "error"}
_TYPE = re.compile(r"[A-Z][A-Za-z]{0,63}")


@dataclass
class FileEntry:
    section: str  # output, deleted or error
    type: str
    url: str
    name: str  # path relative to DIR
    count: int | None = None
    done: bool = False


@dataclass
class State:
    directory: Path
    request: dict[str, Any]
    status_url: str | None = None
    files: list[FileEntry] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def path(self) -> Path:
        return self.directory / STATE_NAME

    @property
    def manifest_path(self) -> Path:
        return self.directory / MANIFEST_NAME

    def save(self) -> None:
        """Written to a temporary file, then renamed: a kill never leaves half a state."""
        with self._lock:
            doc = {
                "request": self.request,
                "status_url": self.status_url,
                "files": [vars(f) for f in self.files],
            }
            partial = self.path.with_name(f"{STATE_NAME}.partial")
            partial.write_text(json.dumps(doc, indent=1), encoding="utf-8")
            os.replace(partial, self.path)

    def mark_done(self, entry: FileEntry) -> None:
        entry.done = True
        self.save()

    def plan(self, manifest: dict[str, Any]) -> None:
        """Local names for the manifest's files: Type.NNN.ndjson, numbered per type."""
        seen: dict[tuple[str, str], int] = {}
        files: list[FileEntry] = []
        for section, folder in SECTIONS.items():
            entries = manifest.get(section) or []
            if not isinstance(entries, list):
                raise BulkError(f"the manifest's {section!r} is not a list")
            for entry in entries:
                if not isinstance(entry, dict) or not isinstance(entry.get("url"), str):
                    raise BulkError(f"a manifest {section} entry has no url: {str(entry)[:120]}")
                rtype = str(entry.get("type") or "")
                rtype = rtype if _TYPE.fullmatch(rtype) else "Unknown"
                n = seen.get((section, rtype), 0)
                seen[(section, rtype)] = n + 1
                name = f"{rtype}.{n:03d}.ndjson"
                count = entry.get("count")
                files.append(
                    FileEntry(
                        section,
                        rtype,
                        entry["url"],
                        f"{folder}/{name}" if folder else name,
                        count if isinstance(count, int) else None,
                    )
                )
        self.files = files


def load(directory: Path) -> State | None:
    path = directory / STATE_NAME
    if not path.exists():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        files = [FileEntry(**f) for f in doc["files"]]
        return State(directory, doc["request"], doc.get("status_url"), files)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BulkError(f"{path} is damaged ({exc}); fetch into a new folder") from None


def local_names(directory: Path) -> dict[str, str]:
    """Manifest URL -> file path relative to DIR, for a folder a fetch wrote (else empty)."""
    try:
        state = load(directory)
    except BulkError:
        return {}
    return {} if state is None else {f.url: f.name for f in state.files}
