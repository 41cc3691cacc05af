"""replaced_resources: the history of clinical rows an import replaced (old and new value, who,
when)

Revision ID: f2b4d6e8a0c3
Revises: e1a3c5d7f9b2
Create Date: 2026-12-05 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "f2b4d6e8a0c3"
down_revision = "e1a3c5d7f9b2"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replaced_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("old_value", sa.JSON(), nullable=False),
        sa.Column("new_value", sa.JSON(), nullable=False),
        sa.Column("replaced_by", sa.String(length=80), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_replaced_resources_patient_id", "replaced_resources", ["patient_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_replaced_resources_patient_id", table_name="replaced_resources")
    op.drop_table("replaced_resources")
