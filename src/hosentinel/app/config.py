"""App settings: one object, from the command line and the environment (`hosentinel.settings`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from hosentinel.settings import Settings


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
    base_url: str = "http://127.0.0.1:8000"
    # Requests inside the app at once (the others wait; see admission.py); the database
    # connection pool holds as many connections.
    max_concurrent_requests: int = 16
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
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def current_date(self) -> date:
        return self.today or date.today()
