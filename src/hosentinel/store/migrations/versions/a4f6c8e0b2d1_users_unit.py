"""users.unit: the unit whose patients a clinician or unit lead sees; break_glass: audited
access to a patient outside one's unit

Revision ID: a4f6c8e0b2d1
Revises: f2b4d6e8a0c3
Create Date: 2026-12-05 16:20:00

Existing clinical accounts are put in the unit every patient had by default ("Rehab unit"), so
an upgrade takes no access away; admins and family accounts belong to no unit.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "a4f6c8e0b2d1"
down_revision = "f2b4d6e8a0c3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("unit", sa.String(length=80), nullable=True))
    op.create_table(
        "break_glass",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_break_glass_user_id", "break_glass", ["user_id"], unique=False)
    op.execute(
        "UPDATE users SET unit = 'Rehab unit' "
        "WHERE role IN ('physiatrist', 'therapist', 'nurse', 'unit-lead')"
    )


def downgrade() -> None:
    op.drop_index("ix_break_glass_user_id", table_name="break_glass")
    op.drop_table("break_glass")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("unit")
