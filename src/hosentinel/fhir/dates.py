"""FHIR date, dateTime and instant values as `datetime.date`.

The engine works in whole days, so a dateTime keeps its date part *as written* (no conversion to
another time zone: "2024-05-01T23:30:00-05:00" is 1 May). Partial dates, which FHIR allows, are
read as the first day of the period they name: "2024" -> 2024-01-01, "2024-05" -> 2024-05-01.
Anything else (an impossible day, a time without seconds or time zone, free text) is not a date,
and neither is a year outside 1800-2199: such a value in a clinical record is a data-entry error,
and the engine's date arithmetic (windows of months after an event) needs room either side.
"""

from __future__ import annotations

import re
from datetime import date

MIN_YEAR, MAX_YEAR = 1800, 2199

_FHIR_DATE = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:-(?P<month>[0-9]{2})"
    r"(?:-(?P<day>[0-9]{2})"
    r"(?:T(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2}):(?P<second>[0-9]{2})(?:\.[0-9]+)?"
    r"(?:Z|[+-](?P<tzh>[0-9]{2}):(?P<tzm>[0-9]{2})))?"
    r")?)?"
)


def parse_date(text: str) -> date | None:
    """The date a FHIR date/dateTime/instant names, or None when `text` is not one."""
    match = _FHIR_DATE.fullmatch(text)
    if match is None:
        return None
    parts = match.groupdict()
    if parts["hour"] is not None:
        if int(parts["hour"]) > 23 or int(parts["minute"]) > 59 or int(parts["second"]) > 60:
            return None
        if parts["tzh"] is not None and (int(parts["tzh"]) > 14 or int(parts["tzm"]) > 59):
            return None
    if not MIN_YEAR <= int(parts["year"]) <= MAX_YEAR:
        return None
    try:
        return date(int(parts["year"]), int(parts["month"] or 1), int(parts["day"] or 1))
    except ValueError:
        return None
