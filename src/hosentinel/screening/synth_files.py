"""The NDJSON files of `hosentinel synth`: one resource type's files, a new one every `max_lines`
lines, optionally gzipped."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True, slots=True)
class OutputFile:
    type: str
    path: Path
    count: int


class TypeWriter:
    """One resource type's NDJSON files: a new file every `max_lines` lines, optionally gzipped
    (no timestamp in the gzip header, so the bytes depend only on the content)."""

    _FLUSH_BYTES = 1 << 20

    def __init__(self, out: Path, rtype: str, compress: bool, max_lines: int) -> None:
        self.out = out
        self.rtype = rtype
        self.gzip = compress
        self.max_lines = max(max_lines, 1)
        self.files: list[OutputFile] = []
        self.count = 0
        self.raw: BinaryIO | None = None
        self.stream: BinaryIO | gzip.GzipFile | None = None
        self.buffer: list[bytes] = []
        self.buffered = 0

    def _path(self) -> Path:
        suffix = ".ndjson.gz" if self.gzip else ".ndjson"
        return self.out / f"{self.rtype}.{len(self.files):03d}{suffix}"

    def _open(self) -> None:
        self.raw = self._path().open("wb")
        if self.gzip:
            self.stream = gzip.GzipFile(
                filename="", mode="wb", fileobj=self.raw, compresslevel=1, mtime=0
            )
        else:
            self.stream = self.raw

    def write(self, line: bytes) -> None:
        if self.stream is None:
            self._open()
        self.buffer.append(line)
        self.buffered += len(line) + 1
        self.count += 1
        if self.buffered >= self._FLUSH_BYTES:
            self._flush()
        if self.count >= self.max_lines:
            self._finish()

    def _flush(self) -> None:
        if self.buffer and self.stream is not None:
            self.stream.write(b"\n".join(self.buffer) + b"\n")
        self.buffer.clear()
        self.buffered = 0

    def _finish(self) -> None:
        self._flush()
        if self.stream is not None:
            path = self._path()
            self.stream.close()
            if self.raw is not None and not self.raw.closed:
                self.raw.close()
            self.files.append(OutputFile(self.rtype, path, self.count))
        self.stream = self.raw = None
        self.count = 0

    def close(self) -> list[OutputFile]:
        self._finish()
        return self.files
