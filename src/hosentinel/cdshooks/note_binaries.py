"""Notes whose text is on the client's FHIR server: a DocumentReference whose attachment has a
`url` (a Binary, as Epic and most EHRs send clinical notes) instead of inline `data` is fetched
from `fhirServer` with the same access as the rest of the record (the issuer's trust, the token,
the address pinning, `next`-link style base check), and put inline in the service's copy of the
note, so the notes reader (`hosentinel.notes`) reads it like any other.

- Only text/plain and text/html are read (HTML as its text: tags dropped, blocks on their own
  lines); a Binary may come as a FHIR Binary resource (base64 `data`) or as the raw content.
- At most `MAX_BINARIES` per call, each at most the notes reader's own limit (`MAX_NOTE_BYTES`,
  read as a stream and abandoned past it).
- One note that cannot be had (refused URL, error, too large, another media type) is left as it
  was: the notes reader then skips it with a warning. A note never fails the call.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

import httpx
import orjson

from hosentinel.cdshooks import pinning
from hosentinel.cdshooks.prefetch import FETCH_TIMEOUT, FHIR_JSON, FhirAccess, under
from hosentinel.notes.decode import MAX_NOTE_BYTES, media_type

log = logging.getLogger("hosentinel.cdshooks")

MAX_BINARIES = 50  # per call: a chart's recent notes; the rest stay unread (with a warning)
TEXT_TYPES = ("text/plain", "text/html")
# A Binary resource carries its content in base64 (4/3 of it) inside some JSON.
_MAX_BODY = MAX_NOTE_BYTES * 4 // 3 + 4096
_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"}


class _Failed(Exception):
    pass


class _Text(HTMLParser):
    """The text of an HTML note: script and style dropped, block elements on their own lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:  # noqa: ARG002
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _is_pending(attachment: object) -> bool:
    """An attachment that is only the `url` of a text type (no inline `data`)."""
    if not isinstance(attachment, Mapping) or attachment.get("data") is not None:
        return False
    declared = media_type(attachment.get("contentType"))
    return isinstance(attachment.get("url"), str) and declared in ("", *TEXT_TYPES)


def _attachments(resource: Mapping[str, Any]) -> list[object]:
    if resource.get("resourceType") != "DocumentReference":
        return []
    contents = resource.get("content")
    return (
        [c.get("attachment") for c in contents if isinstance(c, Mapping)]
        if isinstance(contents, list)
        else []
    )


def _pending(resource: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [a for a in _attachments(resource) if _is_pending(a)]  # type: ignore[misc]


def prefetch_has_note_urls(prefetch: Mapping[str, object] | None) -> bool:
    """Whether the prefetched notes hold texts to fetch from fhirServer."""
    notes = (prefetch or {}).get("notes")
    if not isinstance(notes, Mapping):
        return False
    if notes.get("resourceType") != "Bundle":
        return bool(_pending(notes))
    entries = notes.get("entry")
    resources = (
        [e.get("resource") for e in entries if isinstance(e, Mapping)]
        if isinstance(entries, list)
        else []
    )
    return any(isinstance(r, Mapping) and _pending(r) for r in resources)


def _absolute(url: str, base: str) -> str:
    return url if "://" in url else f"{base}/{url.lstrip('/')}"


async def _body(client: httpx.AsyncClient, url: str, access: FhirAccess) -> tuple[str, bytes]:
    headers = {"Accept": f"{FHIR_JSON}, text/plain;q=0.9, text/html;q=0.8"}
    if access.token is not None:
        headers["Authorization"] = f"Bearer {access.token}"
    ext = pinning.extensions(access.addresses, access.private_ok)
    try:
        async with client.stream(
            "GET", url, headers=headers, timeout=FETCH_TIMEOUT, extensions=ext
        ) as response:
            if response.status_code != 200:
                raise _Failed(f"HTTP {response.status_code}")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > _MAX_BODY:
                    raise _Failed("larger than the note limit")
            return response.headers.get("content-type", ""), bytes(body)
    except httpx.HTTPError as exc:
        raise _Failed(type(exc).__name__) from None


def _content(content_type: str, body: bytes) -> tuple[str, bytes]:
    """(media type with charset, raw bytes) of a fetched Binary (a FHIR Binary or raw)."""
    if media_type(content_type) in (FHIR_JSON, "application/json"):
        try:
            binary = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _Failed("not JSON") from None
        if not isinstance(binary, dict) or binary.get("resourceType") != "Binary":
            raise _Failed("not a Binary")
        content_type, data = str(binary.get("contentType") or ""), binary.get("data")
        if not isinstance(data, str):
            raise _Failed("a Binary without data")
        try:
            return content_type, base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise _Failed("a Binary whose data is not base64") from None
    return content_type, body


async def _inline(
    client: httpx.AsyncClient, access: FhirAccess, attachment: Mapping[str, Any]
) -> dict[str, Any]:
    """The attachment with its text inline (text/plain), or `_Failed`."""
    url = _absolute(str(attachment["url"]), access.base.rstrip("/"))
    if not under(url, access.base.rstrip("/")):
        raise _Failed("the note's url points away from fhirServer's base")
    content_type, raw = _content(*await _body(client, url, access))
    kind = media_type(content_type) or media_type(attachment.get("contentType"))
    if kind not in TEXT_TYPES:
        raise _Failed(f"content type {kind or '(none)'} is not text")
    if len(raw) > MAX_NOTE_BYTES:
        raise _Failed("larger than the note limit")
    if kind == "text/html":
        try:
            raw = html_text(raw.decode("utf-8", errors="strict")).encode()
        except UnicodeDecodeError:
            raise _Failed("HTML that is not UTF-8") from None
        content_type = "text/plain; charset=utf-8"
    inline = {k: v for k, v in attachment.items() if k != "url"}
    inline["contentType"] = content_type if kind == "text/plain" else "text/plain; charset=utf-8"
    inline["data"] = base64.b64encode(raw).decode()
    return inline


async def inline_note_binaries(
    resources: list[dict[str, Any]], client: httpx.AsyncClient, access: FhirAccess
) -> list[dict[str, Any]]:
    """`resources` with each note's text fetched into its attachment (see the module docstring);
    the resources passed in are not changed."""
    jobs: list[tuple[int, int, Mapping[str, Any]]] = []
    for i, resource in enumerate(resources):
        for j, attachment in enumerate(_pending(resource)):
            jobs.append((i, j, attachment))
    if not jobs:
        return resources
    if len(jobs) > MAX_BINARIES:
        log.warning("fhirServer: %d note texts, only the first %d read", len(jobs), MAX_BINARIES)
        jobs = jobs[:MAX_BINARIES]
    results = await asyncio.gather(
        *(_inline(client, access, a) for _, _, a in jobs), return_exceptions=True
    )
    replaced: dict[int, dict[int, dict[str, Any]]] = {}
    for (i, j, _), result in zip(jobs, results, strict=True):
        if isinstance(result, _Failed):
            log.warning("fhirServer: a note's text not read (%s)", result)
        elif isinstance(result, BaseException):
            raise result
        else:
            replaced.setdefault(i, {})[j] = result
    out = list(resources)
    for i, attachments in replaced.items():
        out[i] = _with_attachments(resources[i], attachments)
    return out


def _with_attachments(
    resource: dict[str, Any], by_index: dict[int, dict[str, Any]]
) -> dict[str, Any]:
    """A copy of the DocumentReference with its pending attachments (by their order among the
    pending ones) replaced."""
    pending = 0
    content: list[Any] = []
    for item in resource.get("content") or []:
        if isinstance(item, Mapping) and _is_pending(item.get("attachment")):
            if pending in by_index:
                item = {**item, "attachment": by_index[pending]}
            pending += 1
        content.append(item)
    return {**resource, "content": content}
