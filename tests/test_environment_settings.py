"""One settings object reads every HOSENTINEL_* variable, under the names operators already use."""

from __future__ import annotations

from datetime import date

import pytest

from hosentinel.app.config import AppConfig
from hosentinel.settings import Settings


def test_the_existing_variable_names_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "2025-03-08")
    monkeypatch.setenv("HOSENTINEL_CDS_JWKS", '{"https://ehr.example.org": "/etc/jwks.json"}')
    monkeypatch.setenv("HOSENTINEL_SPARK_MASTER", "spark://cluster:7077")
    settings = Settings()
    assert settings.today == date(2025, 3, 8)
    assert settings.cds_jwks == '{"https://ehr.example.org": "/etc/jwks.json"}'
    assert settings.spark_master == "spark://cluster:7077"


def test_unset_and_empty_variables_mean_the_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TODAY", "CDS_JWKS", "SPARK_MASTER", "WORKER_CONFIG"):
        monkeypatch.delenv(f"HOSENTINEL_{name}", raising=False)
    monkeypatch.setenv("HOSENTINEL_TODAY", "")
    assert Settings() == Settings(today=None, cds_jwks=None, spark_master=None)


def test_the_app_config_takes_today_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "2026-06-01")
    config = AppConfig.from_env("sqlite://")
    assert config.current_date() == date(2026, 6, 1)
    assert config.settings.today == date(2026, 6, 1)
    # Given settings win over the environment: it is read once, by whoever starts the program.
    given = AppConfig.from_env("sqlite://", settings=Settings(today=date(2025, 1, 1)))
    assert given.current_date() == date(2025, 1, 1)


def test_a_malformed_date_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSENTINEL_TODAY", "next tuesday")
    with pytest.raises(ValueError, match="today"):
        Settings()
