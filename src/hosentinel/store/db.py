"""Database engine and sessions. SQLite by default (WAL, foreign keys on); any SQLAlchemy URL,
e.g. postgresql+psycopg://user@host/db, through one setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_SQLITE_FILE = "hosentinel.db"


def default_url(directory: Path | None = None) -> str:
    return f"sqlite:///{(directory or Path.cwd()) / DEFAULT_SQLITE_FILE}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# SQLite has one write lock: a writer waits for it up to this long (then "database is
# locked"). Generous: under load, waiting in line is better than failing a clinician's save.
SQLITE_BUSY_TIMEOUT_SECONDS = 30


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine with `pool_size` pooled connections (and a few more on overflow)."""
    pool = {"pool_size": pool_size, "max_overflow": 4}
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            pool = {}  # one shared in-memory connection: no pool to size
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
