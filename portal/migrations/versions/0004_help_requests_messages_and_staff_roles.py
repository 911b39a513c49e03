"""help requests, messages and staff roles

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 06:49:59.964534
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("callback", "message", "chat", name="requestkind", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "claimed",
                "closed",
                "cancelled",
                name="requeststatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "team",
            sa.Enum("general", "specialist", name="team", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("customer_person_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("context", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("callback_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("callback_phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("form_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by_person_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("close_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["claimed_by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["customer_person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_key"),
    )
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_help_request_customer_person_id"), ["customer_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_help_request_reference"), ["reference"], unique=True)
        batch_op.create_index(batch_op.f("ix_help_request_status"), ["status"], unique=False)

    op.create_table(
        "help_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("author_person_id", sa.Integer(), nullable=True),
        sa.Column("from_adviser", sa.Boolean(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column("form_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["request_id"], ["help_request.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("form_key"),
    )
    with op.batch_alter_table("help_message", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_message_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "staff_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("team", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("available_for_chat", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("available_for_chat")
        batch_op.drop_column("team")
        batch_op.drop_column("staff_role")

    with op.batch_alter_table("help_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_message_request_id"))

    op.drop_table("help_message")
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_request_status"))
        batch_op.drop_index(batch_op.f("ix_help_request_reference"))
        batch_op.drop_index(batch_op.f("ix_help_request_customer_person_id"))

    op.drop_table("help_request")
