"""a customer's reading is stored once

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 08:00:38.504746
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.create_index(
            "uq_meter_reading_customer_once",
            ["service_id", "read_on", "value"],
            unique=True,
            sqlite_where=sa.text("source = 'customer'"),
            postgresql_where=sa.text("source = 'customer'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_meter_reading_customer_once",
            sqlite_where=sa.text("source = 'customer'"),
            postgresql_where=sa.text("source = 'customer'"),
        )
