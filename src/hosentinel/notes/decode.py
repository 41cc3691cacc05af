"""A note's attachment -> its text, or a one-line reason it cannot be read.

Only text/plain is read (the contract). A note that is empty, larger than `MAX_NOTE_BYTES`,
binary (NUL bytes, or mostly control characters), not valid base64, or not valid text in its
declared charset (UTF-8 when none is declared) is skipped with a warning naming the reason;
nothing is guessed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from hosentinel.fhir.access import JSONObject, string

# Local limit, not clinical: the longest note read. A real therapy or radiology note is a few kB;
# 100 kB (some 50 pages) leaves room and bounds what one record can cost (reading costs about
# 1 s per 100 kB of note text on a loaded 2-core machine: bench/bench_notes.py).
MAX_NOTE_BYTES = 100_000
_MAX_BASE64_CHARS = (MAX_NOTE_BYTES // 3 + 1) * 4
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)
_TAIL = re.compile(r"(Binary/[A-Za-z0-9\-.]{1,64})$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Unreadable(ValueError):
    """The note cannot be read; str() says why in one line."""


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def attachment_text(attachment: JSONObject, binaries: Mapping[str, JSONObject]) -> str:
    """The text of a text/plain attachment (inline `data`, or a Binary in the Bundle at `url`)."""
    content_type = string(attachment, "contentType")
    data = attachment.get("data")
    url = string(attachment, "url")
    if data is None and url is not None:
        tail = _TAIL.search(url)
        binary = binaries.get(url) or (binaries.get(tail.group(1)) if tail else None)
        if binary is None:
            raise Unreadable(f"its text is at {url}, which is not in the Bundle")
        data = binary.get("data")
        content_type = content_type or string(binary, "contentType")
    if media_type(content_type) != "text/plain":
        raise Unreadable(f"content type {content_type or '(none)'} is not text/plain")
    if not isinstance(data, str) or not data.strip():
        raise Unreadable("the note is empty")
    if len(data) > _MAX_BASE64_CHARS:
        raise Unreadable(f"the note is larger than {MAX_NOTE_BYTES:,} bytes")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise Unreadable("its data is not valid base64") from None
    return decode_text(raw, content_type)


def decode_text(raw: bytes, content_type: str | None = "text/plain") -> str:
    if not raw.strip():
        raise Unreadable("the note is empty")
    if len(raw) > MAX_NOTE_BYTES:
        raise Unreadable(f"the note is larger than {MAX_NOTE_BYTES:,} bytes")
    if b"\x00" in raw:
        raise Unreadable("the note is binary, not text")
    charset_match = _CHARSET.search(content_type or "")
    charset = charset_match.group(1) if charset_match else "utf-8"
    try:
        text = raw.decode(charset)
    except LookupError:
        raise Unreadable(f"unknown charset {charset}") from None
    except UnicodeDecodeError:
        raise Unreadable(f"the note is not valid {charset} text") from None
    if len(_CONTROL.findall(text[:4096])) > 0.1 * min(len(text), 4096):
        raise Unreadable("the note is binary, not text")
    return text.lstrip("\ufeff")


def checked_text(text: object) -> str:
    """A text element of a resource (DiagnosticReport.conclusion) under the same limits."""
    if not isinstance(text, str) or not text.strip():
        raise Unreadable("the note is empty")
    if len(text) > MAX_NOTE_BYTES:
        raise Unreadable(f"the note is larger than {MAX_NOTE_BYTES:,} bytes")
    if "\x00" in text:
        raise Unreadable("the note is binary, not text")
    return text
