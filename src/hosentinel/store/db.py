"""Database engine and sessions. SQLite by default (WAL, foreign keys on); any SQLAlchemy URL,
e.g. postgresql+psycopg://user@host/db, through one setting."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
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


def create_private(path: str | None) -> None:
    """Creates the SQLite file readable by its owner only (0600) before SQLite does (SQLite
    would follow the umask, often world-readable; its -wal and -shm files copy the database
    file's mode). An existing file is left as it is."""
    if not path or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # a missing directory or no permission: SQLite reports it, in its own words


def make_engine(url: str, pool_size: int = 5) -> Engine:
    """An engine with `pool_size` pooled connections (and a few more on overflow)."""
    pool = {"pool_size": pool_size, "max_overflow": 4}
    if url.startswith("sqlite"):
        if ":memory:" in url or url in ("sqlite://", "sqlite:///"):
            pool = {}  # one shared in-memory connection: no pool to size
        else:
            create_private(make_url(url).database)
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
