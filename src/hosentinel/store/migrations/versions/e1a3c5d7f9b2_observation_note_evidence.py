"""observations.evidence: the sentence a finding read from a note came from

Revision ID: e1a3c5d7f9b2
Revises: 9c3e5a7b1d42
Create Date: 2026-12-05 16:20:00

A finding read from a clinical note (DocumentReference / DiagnosticReport text) is stored as an
observation like a coded one; `evidence` keeps the sentence, which its basis shows. NULL for every
other observation. Batch mode on SQLite, plain ALTER TABLE on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "e1a3c5d7f9b2"
down_revision = "9c3e5a7b1d42"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("observations", schema=None) as batch_op:
        batch_op.drop_column("evidence")
