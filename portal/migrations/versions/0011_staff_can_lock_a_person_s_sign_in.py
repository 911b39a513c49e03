"""Staff can lock a person's sign-in, with a reason

Revision ID: 0011_sign_in_lock
Revises: 0010_webauthn_limits
Create Date: 2026-12-08 01:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011_sign_in_lock"
down_revision: str | None = "0010_webauthn_limits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sign_in_locked_at", sqlmodel.sql.sqltypes.UTCDateTime(),
                                      nullable=True))
        batch_op.add_column(sa.Column("sign_in_locked_reason", sqlmodel.sql.sqltypes.AutoString(length=500),
                                      nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("sign_in_locked_reason")
        batch_op.drop_column("sign_in_locked_at")
