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
    # Request limits, parsed by app/config.py (sizes: "10MB", "512KB" or bytes; an unreadable
    # one stops the start with its message): HOSENTINEL_MAX_BODY_FHIR (POST /fhir),
    # HOSENTINEL_MAX_BODY_CDS_HOOKS (CDS Hooks calls), HOSENTINEL_MAX_BODY (everything else),
    # HOSENTINEL_MAX_STRING (characters in any one string), HOSENTINEL_BODY_TIMEOUT (seconds for
    # a body to arrive). Unset: AppConfig's defaults.
    max_body_fhir: str | None = None
    max_body_cds_hooks: str | None = None
    max_body: str | None = None
    max_string: str | None = None
    body_timeout: str | None = None
    # HOSENTINEL_SMART_CLIENTS: the EHRs trusted for SMART launches, JSON or a file path
    # (app/smart/settings.py reads it); unset: none.
    smart_clients: str | None = None
    # HOSENTINEL_SYSTEM_CLIENTS: SMART Backend Services clients, JSON or a file path
    # (app/system_clients.py reads it); unset: none.
    system_clients: str | None = None
    # HOSENTINEL_UNITS: each unit's care team and phone numbers for the family view, JSON or a
    # file path (app/unit_settings.py reads it); unset: none.
    units: str | None = None
    # HOSENTINEL_BACKUP_KEY: the site key that signs backups (the key, or the path of a file
    # holding it; store/backup/signing.py checks it); unset: backup and restore are refused.
    backup_key: str | None = None
    # HOSENTINEL_WORKER_CONFIG: set by `serve --workers N` for its worker processes (JSON with
    # the database URL and base URL); not a setting for people.
    worker_config: str | None = None
