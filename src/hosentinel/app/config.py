"""App settings: one object, from the command line and the environment (`hosentinel.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlsplit

from hosentinel.settings import Settings

MB = 1024 * 1024
# Sizes among the environment's settings (HOSENTINEL_MAX_BODY_FHIR...): setting -> field here.
SIZE_SETTINGS = {
    "max_body_fhir": "max_body_fhir",
    "max_body_cds_hooks": "max_body_cds_hooks",
    "max_body": "max_body",
    "max_string": "max_string_chars",
}


def parse_size(value: str) -> int:
    """Bytes from "10MB", "512KB" or a plain number of bytes."""
    text = value.strip().upper().removesuffix("B")
    scale = {"K": 1024, "M": MB, "G": 1024 * MB}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    try:
        size = int(float(number) * scale)
    except ValueError:
        raise ValueError(f"not a size: {value!r} (examples: 10MB, 512KB, 1000000)") from None
    if size <= 0:
        raise ValueError(f"a size must be positive: {value!r}")
    return size


@dataclass(frozen=True)
class AppConfig:
    database_url: str
    demo: bool = False
    # Secure cookies even on an http base URL (`serve --secure-cookies`: TLS ends at a proxy that
    # forwards to a plain-http base URL); an https base URL makes them Secure anyway.
    secure_cookies: bool = False
    session_hours: int = 12
    # Failed sign-ins before a backoff starts (per account and client; x4 per client, x2 per
    # account from anywhere), counted over the window; see security.backoffs.
    login_max_failures: int = 5
    login_window_minutes: int = 15
    # The longest wait failures from anywhere can impose on one account (no lockout).
    login_account_cap_seconds: float = 60.0
    # How long a clinician's break-glass access to a patient outside their unit lasts.
    break_glass_hours: int = 4
    # Fixed "today" for tests and demos; None means the real date.
    today: date | None = None
    # The public URL the service is reached at (`serve --base-url`, HOSENTINEL_BASE_URL; see
    # `public_base_url`): every absolute URL the service writes starts with it, and CDS Hooks
    # JWTs' `aud` is checked against it. No trailing slash.
    base_url: str = "http://127.0.0.1:8000"
    # Requests inside the app at once (the others wait; see admission.py); the database
    # connection pool holds as many connections.
    max_concurrent_requests: int = 16
    # Slots of their own for /healthz and CDS Hooks (served by the pool's overflow connections).
    reserved_requests: int = 4
    # Request body limits in bytes (413 past them): POST /fhir, CDS Hooks calls, everything else.
    max_body_fhir: int = 10 * MB
    max_body_cds_hooks: int = 5 * MB
    max_body: int = 1 * MB
    # Characters in any one string of a FHIR import or CDS Hooks call (413 past it).
    max_string_chars: int = 256 * 1024
    # Bodies being received at once, all connections together (503 past it).
    max_buffered_bodies: int = 128 * MB
    # A request body must have arrived this long after its headers (408 after).
    body_timeout_seconds: float = 30.0
    # The environment's settings (HOSENTINEL_*), read once when the config is made.
    settings: Settings = field(default_factory=Settings)

    @classmethod
    def from_env(
        cls, database_url: str, settings: Settings | None = None, **overrides: object
    ) -> AppConfig:
        environment = settings if settings is not None else Settings()
        values: dict[str, object] = {
            "database_url": database_url,
            "today": environment.today,
            "settings": environment,
        }
        for setting, name in SIZE_SETTINGS.items():
            size: str | None = getattr(environment, setting)
            if size:
                values[name] = parse_size(size)
        if environment.body_timeout:
            values["body_timeout_seconds"] = float(environment.body_timeout)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def cookies_secure(self) -> bool:
        """Session cookies are Secure when the public URL is https, or when asked."""
        return self.secure_cookies or self.base_url.lower().startswith("https://")

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
