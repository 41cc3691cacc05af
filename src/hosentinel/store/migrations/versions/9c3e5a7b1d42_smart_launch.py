"""SMART App Launch: pending launches and SMART sessions

Revision ID: 9c3e5a7b1d42
Revises: c4e1f7a9b2d3
Create Date: 2026-12-05 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9c3e5a7b1d42"
down_revision = "c4e1f7a9b2d3"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "smart_launches",
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("browser_hash", sa.String(length=64), nullable=False),
        sa.Column("iss", sa.String(length=300), nullable=False),
        sa.Column("launch", sa.Text(), nullable=True),
        sa.Column("code_verifier", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("state_hash"),
    )
    with op.batch_alter_table("smart_launches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_smart_launches_created_at"), ["created_at"], unique=False
        )
    op.create_table(
        "smart_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("iss", sa.String(length=300), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("fhir_user", sa.String(length=300), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("gaps", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["token_hash"], ["web_sessions.token_hash"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )


def downgrade() -> None:
    op.drop_table("smart_sessions")
    with op.batch_alter_table("smart_launches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_smart_launches_created_at"))
    op.drop_table("smart_launches")
