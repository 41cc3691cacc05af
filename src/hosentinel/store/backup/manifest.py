"""`manifest.json`: what a backup holds (backend, schema revision, the copy's SHA-256, every
table's summary), written and read back."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from hosentinel.store.backup.errors import BackupError
from hosentinel.store.backup.summary import TableSummary

MANIFEST = "manifest.json"
FORMAT = "hosentinel-backup/1"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass(frozen=True)
class Manifest:
    backend: str
    revision: str | None
    created_at: str
    payload: str
    payload_sha256: str
    tables: dict[str, TableSummary]

    def to_json(self) -> bytes:
        data = {
            "format": FORMAT,
            "backend": self.backend,
            "revision": self.revision,
            "created_at": self.created_at,
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
            "tables": {
                name: {"rows": t.rows, "checksum": t.checksum}
                for name, t in sorted(self.tables.items())
            },
        }
        return json.dumps(data, indent=2).encode()

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            if data.get("format") != FORMAT:
                raise BackupError(f"unknown backup format {data.get('format')!r}")
            return cls(
                backend=str(data["backend"]),
                revision=data["revision"],
                created_at=str(data["created_at"]),
                payload=str(data["payload"]),
                payload_sha256=str(data["payload_sha256"]),
                tables={
                    str(name): TableSummary(int(t["rows"]), str(t["checksum"]))
                    for name, t in data["tables"].items()
                },
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupError(f"the manifest is unreadable: {exc}") from exc

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables.values())


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
