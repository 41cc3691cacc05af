"""The service's settings from the environment, in one place.

Every `HOSENTINEL_*` environment variable the code reads is a field here, read once when the
program starts (`Settings()`), then passed down as an object: nothing else in `src/` reads the
environment for a setting. Command-line options still win where a command has one.
"""

from __future__ import annotations

from datetime import date

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HOSENTINEL_", env_ignore_empty=True, frozen=True)

    # HOSENTINEL_TODAY: a fixed "today" for tests and demos (YYYY-MM-DD); unset: the real date.
    today: date | None = None
    # HOSENTINEL_CDS_JWKS: trusted CDS Hooks clients, {iss: JWK Set or path} as JSON (or a path
    # to such a file); unset: every CDS Hooks call is refused (cdshooks/security.py).
    cds_jwks: str | None = None
    # HOSENTINEL_SPARK_MASTER: the Spark cluster for `screen --engine spark`; unset: local[*].
    spark_master: str | None = None
    # HOSENTINEL_BACKUP_KEY: the site key that signs backups (the key, or the path of a file
    # holding it; store/backup/signing.py checks it); unset: backup and restore are refused.
    backup_key: str | None = None
    # HOSENTINEL_WORKER_CONFIG: set by `serve --workers N` for its worker processes (JSON with
    # the database URL and base URL); not a setting for people.
    worker_config: str | None = None
