"""Typed, defensive access to parsed FHIR JSON.

Every helper accepts anything (a resource that failed validation, a caller's stray value) and
returns a plain typed value or an empty result, never raises: the importer reads resources through
these so that odd input can only ever be skipped, never crash it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import cast

import orjson

JSONObject = Mapping[str, object]

EMPTY: JSONObject = {}


def as_object(value: object) -> JSONObject | None:
    """The value as a JSON object, or None when it is not one."""
    if type(value) is dict:  # what a JSON parser gives: skips the slower ABC check
        return cast(JSONObject, value)
    return cast(JSONObject, value) if isinstance(value, Mapping) else None


def child(obj: JSONObject, key: str) -> JSONObject:
    """obj[key] when it is an object, else an empty object."""
    return as_object(obj.get(key)) or EMPTY


def children(obj: JSONObject, key: str) -> list[JSONObject]:
    """The objects in obj[key]: a list's object items, or a lone object as a one-item list."""
    value = obj.get(key)
    if isinstance(value, list):
        return [item for item in (as_object(v) for v in value) if item is not None]
    single = as_object(value)
    return [single] if single is not None else []


def string(obj: JSONObject, key: str) -> str | None:
    """obj[key] stripped when it is a non-blank string, else None."""
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def number(obj: JSONObject, key: str) -> float | None:
    """obj[key] as a finite float when it is a JSON number (not a boolean), else None."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    result = float(value)
    return result if math.isfinite(result) else None


def boolean(obj: JSONObject, key: str) -> bool | None:
    value = obj.get(key)
    return value if isinstance(value, bool) else None


# --- messages ------------------------------------------------------------------------------------


def one_line(message: str, limit: int = 300) -> str:
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def shown(value: object) -> str:
    """A short, one-line rendering of a JSON value for a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    try:
        rendered = orjson.dumps(value, default=str).decode()
    except TypeError:  # nested deeper than orjson writes (found by fuzzing: a 500 in POST /fhir)
        return f"a {type(value).__name__} nested too deep to show"
    return rendered if len(rendered) <= 40 else rendered[:37] + "..."
