"""Serving beyond this machine: a warning when the app listens on a non-loopback address while
its public URL is not https (passwords and session cookies would cross the network in clear)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name other than localhost: may resolve to anything


def exposure_warning(host: str, base_url: str) -> str | None:
    if is_loopback(host) or urlsplit(base_url).scheme == "https":
        return None
    return (
        f"serving on {host}, which is not a loopback address, without https: put the app behind a"
        " TLS proxy and set HOSENTINEL_BASE_URL=https://... (see docs/security-and-reliability.md)"
    )


def proxy_options(forwarded_allow_ips: str | None) -> dict[str, object]:
    """uvicorn's proxy settings: X-Forwarded-For and -Proto are believed only from the proxies
    named (comma-separated addresses or networks). By default nothing is trusted: uvicorn's own
    default believes loopback, so anyone reaching the app directly could rotate the header to
    dodge the per-client sign-in limit."""
    ips = (forwarded_allow_ips or "").strip()
    if not ips:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ips}
