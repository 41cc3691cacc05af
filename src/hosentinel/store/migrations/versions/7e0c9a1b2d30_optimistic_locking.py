"""optimistic locking: users.version, alert_states.version (numbered app decisions)

Revision ID: 7e0c9a1b2d30
Revises: 5d1a2c3b4e60
Create Date: 2026-11-25 21:50:00

`patients.version` exists since the initial schema (it keys the assessment cache); the models
now use it as SQLAlchemy's `version_id_col` as well. This revision adds the other two locks:

- `users.version`: checked and bumped by every UPDATE of a user (admin edits).
- `alert_states.version`: the app's decisions on one alert of one patient numbered 1, 2, ...
  with a unique constraint; existing app decisions are numbered here in the order they were
  made, EHR feedback rows stay unnumbered (NULL).

Batch mode on SQLite (the table is copied), plain ALTER TABLE on PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "7e0c9a1b2d30"
down_revision = "5d1a2c3b4e60"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
    _number_app_decisions()
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            "uq_alert_states_version", ["patient_id", "alert_key", "version"]
        )


def _number_app_decisions() -> None:
    states = sa.table(
        "alert_states",
        sa.column("id", sa.Integer()),
        sa.column("patient_id", sa.String()),
        sa.column("alert_key", sa.String()),
        sa.column("source", sa.String()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("version", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(states.c.id, states.c.patient_id, states.c.alert_key)
        .where(states.c.source == "app")
        .order_by(states.c.at, states.c.id)
    )
    numbers: dict[tuple[str, str], int] = {}
    for row in rows.all():
        key = (row.patient_id, row.alert_key)
        numbers[key] = numbers.get(key, 0) + 1
        connection.execute(
            sa.update(states).where(states.c.id == row.id).values(version=numbers[key])
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_states", schema=None) as batch_op:
        batch_op.drop_constraint("uq_alert_states_version", type_="unique")
        batch_op.drop_column("version")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("version")
