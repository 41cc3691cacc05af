"""CDS Hooks feedback kept as received (cds_feedback), issued cards bound to their issuer, and
system clients' bearer tokens (system_tokens)

Revision ID: c4e1f7a9b2d3
Revises: 9c3e5a7b1d20
Create Date: 2026-12-05 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "c4e1f7a9b2d3"
down_revision = "9c3e5a7b1d20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cds_issued_cards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer", sa.String(length=300), nullable=True))
    op.create_table(
        "cds_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_id", sa.String(length=80), nullable=False),
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("card", sa.String(length=64), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("alert_key", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("outcome_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason_system", sa.String(length=300), nullable=True),
        sa.Column("reason_code", sa.String(length=80), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cds_feedback_card"), ["card"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_cds_feedback_patient_id"), ["patient_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cds_feedback_received_at"), ["received_at"], unique=False
        )
    op.create_table(
        "system_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("system_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_system_tokens_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("system_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_system_tokens_expires_at"))
    op.drop_table("system_tokens")
    with op.batch_alter_table("cds_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cds_feedback_received_at"))
        batch_op.drop_index(batch_op.f("ix_cds_feedback_patient_id"))
        batch_op.drop_index(batch_op.f("ix_cds_feedback_card"))
    op.drop_table("cds_feedback")
    with op.batch_alter_table("cds_issued_cards", schema=None) as batch_op:
        batch_op.drop_column("issuer")
