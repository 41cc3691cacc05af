"""Untrusted text (file names, server messages, record values) made safe to print on a terminal.

Control characters (ANSI escape sequences, carriage returns, bidirectional overrides) are
replaced by "?", so the text cannot move the cursor, restyle or reorder the screen; callers print
the result as a Rich `Text`, never as markup."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(text: str, limit: int = 300) -> str:
    """One line, control characters replaced, at most `limit` characters (then "...")."""
    one = " ".join(_CONTROL.sub("?", text).split())
    return one if len(one) <= limit else one[:limit] + "..."
