"""Limits on single values inside an accepted body: one huge string (a 100 MB
`Condition.code.text`) costs the engine seconds of CPU per megabyte and inflates every page that
shows it, though the body as a whole is within its limit."""

from __future__ import annotations

from typing import Any


def oversized_string(value: Any, limit: int) -> tuple[str, int] | None:
    """The path and length of the first string longer than `limit` characters in a parsed JSON
    value (keys included), or None. Iterative: nesting depth costs no stack."""
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


def string_limit_message(found: tuple[str, int], limit: int, setting: str) -> str:
    path, length = found
    return (
        f"{path[:200]} is {length:,} characters long, over the limit of {limit:,} per value"
        f" (setting {setting}); nothing was stored."
    )
