"""The per-value string limit read from the body's text must agree with the walk of the parsed
value: the text is only a shortcut, and a shortcut that let a long string through would let a
100 MB `code.text` reach the engine (issue 15)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from hosentinel.limits import oversized_string

# Quotes, backslashes, control characters and non-ASCII: everything an encoder escapes.
TEXT = st.text(alphabet=st.sampled_from('ab"\\/\n\té€😀 '), max_size=40)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)


def encodings(value: Any) -> list[bytes]:
    """The same value as different senders write it: compact UTF-8, ASCII-escaped, indented, and
    with every solidus escaped (allowed by RFC 8259, and written by some servers)."""
    ascii_escaped = json.dumps(value, ensure_ascii=True).encode()
    return [
        orjson.dumps(value),
        ascii_escaped,
        json.dumps(value, ensure_ascii=False, indent=1).encode(),
        ascii_escaped.replace(b"/", b"\\/"),
    ]


@settings(max_examples=400, deadline=None)
@given(JSON, st.integers(min_value=0, max_value=12))
def test_the_text_shortcut_finds_what_the_walk_finds(value: Any, limit: int) -> None:
    expected = oversized_string(value, limit)
    for raw in encodings(value):
        assert orjson.loads(raw) == value
        assert oversized_string(value, limit, raw=raw) == expected


def test_a_string_of_escaped_quotes_is_counted_by_its_characters() -> None:
    # 30 characters, all quotes: its text has no run of plain bytes longer than one.
    value = {"code": {"text": '"' * 30}}
    raw = orjson.dumps(value)
    assert oversized_string(value, 29, raw=raw) == ("code.text", 30)
    assert oversized_string(value, 30, raw=raw) is None


def test_a_string_of_escaped_backslashes_is_counted_by_its_characters() -> None:
    value = ["\\" * 30]
    assert oversized_string(value, 29, raw=orjson.dumps(value)) == ("[0]", 30)


def test_a_long_string_of_multibyte_characters_is_found() -> None:
    value = {"note": "€" * 20}  # 60 bytes of text, 20 characters
    raw = orjson.dumps(value)
    assert oversized_string(value, 19, raw=raw) == ("note", 20)
    assert oversized_string(value, 20, raw=raw) is None
