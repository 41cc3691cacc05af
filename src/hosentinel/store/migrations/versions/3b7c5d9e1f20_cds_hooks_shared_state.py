"""CDS Hooks state shared by server processes: claimed JWT ids and issued cards

Revision ID: 3b7c5d9e1f20
Revises: 4c11cb834fda
Create Date: 2026-11-25 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "3b7c5d9e1f20"
down_revision = "4c11cb834fda"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cds_token_uses",
        sa.Column("issuer", sa.String(length=300), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("issuer", "jti"),
    )
    with op.batch_alter_table("cds_token_uses", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cds_token_uses_expires_at"), ["expires_at"], unique=False
        )
    op.create_table(
        "cds_issued_cards",
        sa.Column("uuid", sa.String(length=64), nullable=False),
        sa.Column("service_id", sa.String(length=80), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("alert_key", sa.String(length=120), nullable=False),
        sa.Column("suggestions", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("uuid"),
    )
    with op.batch_alter_table("cds_issued_cards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cds_issued_cards_issued_at"), ["issued_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cds_issued_cards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cds_issued_cards_issued_at"))
    op.drop_table("cds_issued_cards")
    with op.batch_alter_table("cds_token_uses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cds_token_uses_expires_at"))
    op.drop_table("cds_token_uses")
