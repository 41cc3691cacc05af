"""What every command shares: one-line errors with exit status 2, and the contract's date form."""

from __future__ import annotations

import re
import sys
from datetime import date
from typing import Annotated, NoReturn

import typer

EXIT_BAD_INPUT = 2
# `--database` of the commands that work on the app's database.
DatabaseUrl = Annotated[
    str | None, typer.Option(help="SQLAlchemy URL (default: the SQLite file of `serve`).")
]
# The contract's form, and only it: date.fromisoformat would also take 20250101 and 2025-W01-1.
_AS_OF = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def fail(message: str) -> NoReturn:
    """One line on stderr naming the problem, then exit non-zero."""
    first_line = " ".join(message.split())
    sys.stderr.write(f"hosentinel: error: {first_line}\n")
    raise typer.Exit(EXIT_BAD_INPUT)


def parse_as_of(value: str) -> date:
    from hosentinel.fhir.dates import MAX_YEAR, MIN_YEAR

    try:
        if _AS_OF.fullmatch(value) and MIN_YEAR <= int(value[:4]) <= MAX_YEAR:
            return date.fromisoformat(value)
    except ValueError:
        pass
    fail(f"--as-of {value!r} is not a date; use YYYY-MM-DD (years {MIN_YEAR}-{MAX_YEAR})")


def whole_number(option: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        fail(f"{option} {value!r} is not a whole number")
    if number < minimum:
        fail(f"{option} must be at least {minimum}, not {number}")
    return number
