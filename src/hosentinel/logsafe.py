"""Untrusted values in log lines are shortened: a refused JWT's `iss` was logged whole (1 MB a
request), which fills disks and floods whoever reads the log."""

from __future__ import annotations

LOG_VALUE_LIMIT = 200


def clip(value: object, limit: int = LOG_VALUE_LIMIT) -> str:
    """`repr(value)`, cut to `limit` characters with the full length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text):,} characters)"
