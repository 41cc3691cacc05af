"""The private PostgreSQL server lives in `hosentinel.testing.postgres` (shared with bench/)."""

from hosentinel.testing.postgres import PostgresServer

__all__ = ["PostgresServer"]
