"""patient identifiers on the worklist and the clinician's NPI: patients.mrn, patients.bed,
patients.attending, users.npi

Revision ID: b5e7a9c1d3f4
Revises: a4f6c8e0b2d1
Create Date: 2026-12-05 19:00:00

All four are nullable: existing patients and users have none until the next import (or an
admin enters the NPI); nothing is guessed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "b5e7a9c1d3f4"
down_revision = "a4f6c8e0b2d1"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: batch mode on SQLite would copy and drop `patients`,
    # which the other tables' foreign keys refuse once it holds rows.
    op.add_column("patients", sa.Column("mrn", sa.String(length=64), nullable=True))
    op.add_column("patients", sa.Column("bed", sa.String(length=80), nullable=True))
    op.add_column("patients", sa.Column("attending", sa.String(length=200), nullable=True))
    op.add_column("users", sa.Column("npi", sa.String(length=10), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ has it), for the same reason.
    op.drop_column("users", "npi")
    op.drop_column("patients", "attending")
    op.drop_column("patients", "bed")
    op.drop_column("patients", "mrn")
