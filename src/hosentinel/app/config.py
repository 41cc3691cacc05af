"""App settings: one object, from the command line or environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit


@dataclass(frozen=True)
class AppConfig:
    database_url: str
    demo: bool = False
    # Cookies are Secure unless served on plain http to localhost (development, tests).
    secure_cookies: bool = False
    session_hours: int = 12
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # Fixed "today" for tests and demos; None means the real date.
    today: date | None = None
    # The public URL the service is reached at (`serve --base-url`, HOSENTINEL_BASE_URL; see
    # `public_base_url`): every absolute URL the service writes starts with it, and CDS Hooks
    # JWTs' `aud` is checked against it. No trailing slash.
    base_url: str = "http://127.0.0.1:8000"
    # Requests inside the app at once (the others wait; see admission.py); the database
    # connection pool holds as many connections.
    max_concurrent_requests: int = 16

    @classmethod
    def from_env(cls, database_url: str, **overrides: object) -> AppConfig:
        today = os.environ.get("HOSENTINEL_TODAY")
        values: dict[str, object] = {
            "database_url": database_url,
            "today": date.fromisoformat(today) if today else None,
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def current_date(self) -> date:
        return self.today or date.today()


def public_base_url(given: str | None, host: str, port: int) -> str:
    """The service's public base URL: `given` (from --base-url or HOSENTINEL_BASE_URL) checked
    and without a trailing slash, else http://host:port. ValueError names what is wrong."""
    if given is None or not given.strip():
        return f"http://{host}:{port}"
    value = given.strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"the base URL {given!r} is not an http(s) URL with a host")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"the base URL {given!r} may not carry a query, fragment or user")
    return value
