"""Caps on what one export file may hold, checked before an engine reads it.

A line longer than `max_line_bytes`, or a file that decompresses past `max_file_bytes`, would run
an engine out of memory (DuckDB buffers a whole line: a 1 MB gzip file of one 1 GiB line stops the
screen). Such a file is refused (named in the summary, the screen exits 1) and the rest of the
export is screened. A gzip file is decompressed once, in blocks of 4 MiB (memory stays a few
blocks whatever it expands to), in a pool of threads (zlib releases the GIL); a plain file's
size is its size, and its lines are checked through a memory map, one `find` per 16 MiB.
"""

from __future__ import annotations

import mmap
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from hosentinel.screening.export import Export, ExportFile

BLOCK = 4 * 1024 * 1024
MAX_LINE_BYTES = 32 * 1024 * 1024  # the DuckDB reader's own line limit (duckdb_engine.py)
MAX_FILE_BYTES = 64 * 1024**3  # decompressed; a local setting (--max-file-size)


@dataclass(frozen=True, slots=True)
class Caps:
    max_line_bytes: int = MAX_LINE_BYTES
    max_file_bytes: int = MAX_FILE_BYTES


def check(export: Export, caps: Caps, threads: int = 4) -> Export:
    """The export less the files past a cap (each named, with why, in `refused`)."""
    with ThreadPoolExecutor(threads) as pool:
        found = list(pool.map(lambda f: (f.path, _over(f, caps)), export.files))
    refused = {path: why for path, why in found if why is not None}
    return export.without(refused) if refused else export


def _over(file: ExportFile, caps: Caps) -> str | None:
    """Why the file is past a cap, or None."""
    if not file.gzip and file.size > caps.max_file_bytes:
        return f"{file.size:,} bytes, over the {caps.max_file_bytes:,}-byte file cap"
    try:
        if not file.gzip:
            return _scan_plain(file.path, file.size, caps.max_line_bytes)
        return _scan(file.path, file.gzip, caps)
    except (OSError, zlib.error, EOFError) as exc:
        return f"unreadable ({type(exc).__name__}: {exc})"


def _scan_plain(path: Path, size: int, cap: int) -> str | None:
    """A line over `cap` in a plain file, found without reading every byte: such a line covers
    a whole aligned window of cap/2 bytes, so only windows with no newline at all (one `find`
    each, which stops at the window's first newline, a line in) are looked at closely."""
    if size <= cap:
        return None
    step = max(cap // 2, 1)
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as view:
        for start in range(0, size, step):
            if view.find(b"\n", start, min(start + step, size)) >= 0:
                continue
            before = view.rfind(b"\n", max(0, start - cap - 1), start)
            after = view.find(b"\n", start, min(size, before + cap + 2))
            end = size if after < 0 else after
            if end - (before + 1) > cap:
                return f"a line longer than {cap:,} bytes (at byte {before + 1:,})"
    return None


def _scan(path: Path, gzipped: bool, caps: Caps) -> str | None:
    total = 0
    since_newline = 0  # bytes since the last newline
    for piece in _pieces(path, gzipped):
        total += len(piece)
        if total > caps.max_file_bytes:
            return f"decompresses past the {caps.max_file_bytes:,}-byte file cap"
        first = piece.find(b"\n")
        if first < 0:
            since_newline += len(piece)
        else:
            longest = max(since_newline + first, _longest_inside(piece, caps.max_line_bytes))
            since_newline = len(piece) - 1 - piece.rfind(b"\n")
            if longest > caps.max_line_bytes:
                since_newline = longest
        if since_newline > caps.max_line_bytes:
            return f"a line longer than {caps.max_line_bytes:,} bytes (before byte {total:,})"
    return None


def _longest_inside(piece: bytes, cap: int) -> int:
    """The longest line between two newlines of `piece`; only looked for when a piece can hold
    a line over the cap (a cap below the block size)."""
    if len(piece) <= cap:
        return 0
    longest, at = 0, piece.find(b"\n")
    while at >= 0:
        following = piece.find(b"\n", at + 1)
        if following < 0:
            break
        longest = max(longest, following - at - 1)
        at = following
    return longest


def _pieces(path: Path, gzipped: bool) -> Iterator[bytes]:
    """The file's content in pieces of at most BLOCK bytes, decompressed when gzipped (a bomb
    never expands at once); gzip members one after another are followed, as `gzip` does."""
    with open(path, "rb") as f:
        if not gzipped:
            while raw := f.read(BLOCK):
                yield raw
            return
        inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
        fed = False
        while raw := f.read(BLOCK):
            data = raw
            while data:
                fed = True
                yield inflate.decompress(data, BLOCK)
                data = inflate.unconsumed_tail
                if inflate.eof:
                    data = inflate.unused_data + data
                    inflate = zlib.decompressobj(zlib.MAX_WBITS | 16)
                    fed = False
        if fed and not inflate.eof:
            raise EOFError("the gzip stream ends before its end marker")
