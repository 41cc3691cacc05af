"""Which URLs the client may call: https anywhere, plain http only on this machine's loopback.

A bearer token or a client assertion sent over plain http to another host could be read on the
way; loopback stays on this machine (development and tests)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from hosentinel.bulk.errors import BulkError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked(url: str, what: str) -> str:
    """`url` if the client may call it; otherwise BulkError naming `what` it is."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return url
    if parts.scheme == "http":
        raise BulkError(f"{what} {url} is plain http: https is required except on loopback")
    raise BulkError(f"{what} {url!r} is not an http(s) URL")
