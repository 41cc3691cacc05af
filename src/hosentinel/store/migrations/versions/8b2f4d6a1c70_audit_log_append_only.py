"""audit log append-only in the database: UPDATE, DELETE (and TRUNCATE) refused by triggers

Revision ID: 8b2f4d6a1c70
Revises: 7e0c9a1b2d30
Create Date: 2026-11-26 01:00:00

Until now only the ORM refused to change an audit entry (`app/audit.py`, a `before_flush` hook).
The CDS Hooks ledger writes audit rows with Core statements, and any other client of the database
could rewrite history; these triggers make the database itself refuse. INSERT is untouched.
A restore drops and recreates the table, and with it its triggers (`store/backup/postgres.py`).
"""

from __future__ import annotations

from alembic import op

revision = "8b2f4d6a1c70"
down_revision = "7e0c9a1b2d30"
branch_labels = None
depends_on = None

MESSAGE = "the audit log is append-only"
FUNCTION = "hosentinel_audit_log_append_only"


def upgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")
        return
    for event in ("update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS audit_log_no_{event}")
