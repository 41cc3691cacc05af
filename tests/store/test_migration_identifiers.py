"""Migration b5e7a9c1d3f4 (patients.mrn, .bed, .attending; users.npi): up from a4f6c8e0b2d1 on a
database holding a patient, down again and up, on SQLite and PostgreSQL; rows are kept."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import inspect, text


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_b5e7a9c1d3f4_up_and_down_keeps_the_rows(
    backend: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from hosentinel.store.db import make_engine
    from hosentinel.store.migrate import alembic_config, upgrade

    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'mig.db'}"
        server = None
    else:
        server = request.getfixturevalue("postgres_server")
        url = server.create_database("mig_ids")
    engine = make_engine(url)
    try:
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "a4f6c8e0b2d1")
            connection.execute(
                text(
                    "INSERT INTO patients (id, display_name, sex, unit, created_at, version,"
                    " deceased) VALUES ('p1', 'Ann', 'female', 'Rehab unit',"
                    " '2026-01-01 00:00:00', 1, false)"
                )
            )
        upgrade(engine)
        columns = {c["name"] for c in inspect(engine).get_columns("patients")}
        assert {"mrn", "bed", "attending"} <= columns
        assert "npi" in {c["name"] for c in inspect(engine).get_columns("users")}
        with engine.begin() as connection:
            row = connection.execute(text("SELECT display_name, mrn, bed FROM patients")).one()
            assert tuple(row) == ("Ann", None, None)
            connection.execute(text("UPDATE patients SET mrn = 'M1', bed = 'B2'"))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "a4f6c8e0b2d1")
        assert "mrn" not in {c["name"] for c in inspect(engine).get_columns("patients")}
        assert "npi" not in {c["name"] for c in inspect(engine).get_columns("users")}
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT display_name FROM patients")) == "Ann"
        upgrade(engine)
        assert "b5e7a9c1d3f4" in {
            r.revision for r in ScriptDirectory.from_config(config).walk_revisions()
        }
        assert "mrn" in {c["name"] for c in inspect(engine).get_columns("patients")}
    finally:
        engine.dispose()
        if server is not None:
            server.drop_database("mig_ids")
