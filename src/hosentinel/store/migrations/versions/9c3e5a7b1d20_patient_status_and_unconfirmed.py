"""patient status and unconfirmed diagnoses: patients.deceased, patients.deceased_on,
conditions.unconfirmed

Revision ID: 9c3e5a7b1d20
Revises: 8b2f4d6a1c70
Create Date: 2026-12-05 16:20:00

The engine gives a deceased patient no actions, and never lets a provisional, differential or
unconfirmed diagnosis settle a safety question (a suspected DVT is not a diagnosed one), so the
stored record keeps both. Existing rows: alive, confirmed (what the importer assumed before).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "9c3e5a7b1d20"
down_revision = "8b2f4d6a1c70"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: batch mode on SQLite would copy and drop `patients`,
    # which the other tables' foreign keys refuse once it holds rows.
    op.add_column(
        "patients", sa.Column("deceased", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("patients", sa.Column("deceased_on", sa.Date(), nullable=True))
    op.add_column(
        "conditions",
        sa.Column("unconfirmed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+ has it): batch mode would copy and drop `patients`, which
    # the other tables' foreign keys refuse.
    op.drop_column("conditions", "unconfirmed")
    op.drop_column("patients", "deceased_on")
    op.drop_column("patients", "deceased")
