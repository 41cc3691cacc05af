"""clinician directory and referrals

Revision ID: 5d1a2c3b4e60
Revises: 3b7c5d9e1f20
Create Date: 2026-11-25 21:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "5d1a2c3b4e60"
down_revision = "3b7c5d9e1f20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinicians",
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("credential", sa.String(length=60), nullable=True),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("zip5", sa.String(length=5), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("name_key", sa.String(length=210), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("npi"),
    )
    op.create_table(
        "clinician_taxonomies",
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["npi"], ["clinicians.npi"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("npi", "code"),
    )
    op.create_table(
        "clinician_search",
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("specialty_group", sa.String(length=30), nullable=False),
        sa.Column("lat_cell", sa.Integer(), nullable=False),
        sa.Column("lon_cell", sa.Integer(), nullable=False),
        sa.Column("x", sa.Float(), nullable=False),
        sa.Column("y", sa.Float(), nullable=False),
        sa.Column("z", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["npi"], ["clinicians.npi"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("npi", "specialty_group"),
    )
    with op.batch_alter_table("clinician_search", schema=None) as batch_op:
        batch_op.create_index(
            "ix_clinician_search_cells",
            ["specialty_group", "lat_cell", "lon_cell", "x", "y", "z", "npi"],
            unique=False,
        )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.String(length=64), nullable=False),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("surgeon_name", sa.String(length=220), nullable=False),
        sa.Column("surgeon_specialty", sa.String(length=200), nullable=False),
        sa.Column("surgeon_address", sa.Text(), nullable=False),
        sa.Column("surgeon_phone", sa.String(length=40), nullable=True),
        sa.Column("lesions", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("knowledge_release", sa.String(length=40), nullable=False),
        sa.Column("patient_version", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("referred_by", sa.String(length=200), nullable=False),
        sa.Column("letter", sa.JSON(), nullable=False),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referrals_patient_id"), ["patient_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referrals_patient_id"))
    op.drop_table("referrals")
    with op.batch_alter_table("clinician_search", schema=None) as batch_op:
        batch_op.drop_index("ix_clinician_search_cells")
    op.drop_table("clinician_search")
    op.drop_table("clinician_taxonomies")
    op.drop_table("clinicians")
