"""Limits on single values inside an accepted body: one huge string (a 100 MB
`Condition.code.text`) costs the engine seconds of CPU per megabyte and inflates every page that
shows it, though the body as a whole is within its limit."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def oversized_string(value: Any, limit: int, raw: bytes | None = None) -> tuple[str, int] | None:
    """The path and length of the first string longer than `limit` characters in a parsed JSON
    value (keys included), or None. Iterative: nesting depth costs no stack.

    `raw`, the JSON text `value` was parsed from, lets most bodies skip the walk: walking a 0.3 MB
    prefetch costs about 3 ms of CPU per call, scanning its text about 0.5 ms."""
    if raw is not None and _text_bounds_strings(raw, limit):
        return None
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if len(item) > limit:
                return path or "(the body)", len(item)
        elif isinstance(item, dict):
            for key, child in item.items():
                if len(key) > limit:
                    return f"{path}.(a key)".lstrip("."), len(key)
                stack.append((f"{path}.{key}".lstrip("."), child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    return None


def _text_bounds_strings(raw: bytes, limit: int) -> bool:
    """True when the JSON text `raw` cannot hold a string of more than `limit` characters.

    A decoded character takes at least one byte of its JSON text (UTF-8 takes 1-4, an escape 2 or
    6), so a string's length is at most the bytes between its quotes. An escaped quote or
    backslash is turned into one plain byte first, so that every quote left is a string's edge
    and the runs between quotes are what bound each string (the runs between strings are
    counted too: that can only send a body to the exact walk, never let a long string through).
    """
    if len(raw) <= limit:
        return True
    if b"\\" in raw:
        raw = raw.replace(b"\\\\", b"_").replace(b'\\"', b"_")
    return _long_run(limit).search(raw) is None


@lru_cache(maxsize=8)
def _long_run(limit: int) -> re.Pattern[bytes]:
    # Anchored on a quote, each attempt runs to the next quote only: linear in the text.
    return re.compile(b'"[^"]{%d}' % (limit + 1))


def string_limit_message(found: tuple[str, int], limit: int, setting: str) -> str:
    path, length = found
    return (
        f"{path[:200]} is {length:,} characters long, over the limit of {limit:,} per value"
        f" (setting {setting}); nothing was stored."
    )
