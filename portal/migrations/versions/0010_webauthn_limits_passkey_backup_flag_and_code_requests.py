"""Passkeys keep their backup-eligible flag; codes to sign in are made after the request

From the sec-webauthn-limits branch. Another branch may add a migration from 0009 too: chain them.

Revision ID: 0010_webauthn_limits
Revises: 0009
Create Date: 2026-12-08 00:38:31.996557
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010_webauthn_limits"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("one_time_code", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_request", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("request_digest", sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=""))
        batch_op.add_column(sa.Column("device_hash", sqlmodel.sql.sqltypes.AutoString(length=64),
                                      nullable=False, server_default=""))
        batch_op.add_column(sa.Column("guess_key", sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=False, server_default=""))

    # Unknown (NULL) for passkeys saved before: each learns its flag at its next sign-in.
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.add_column(sa.Column("backup_eligible", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("passkey", schema=None) as batch_op:
        batch_op.drop_column("backup_eligible")

    with op.batch_alter_table("one_time_code", schema=None) as batch_op:
        batch_op.drop_column("guess_key")
        batch_op.drop_column("device_hash")
        batch_op.drop_column("request_digest")
        batch_op.drop_column("pending_request")
