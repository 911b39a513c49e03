"""Carers: authorities, private and on-behalf requests, on-behalf activity

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 08:02:20.198701
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "carer_authority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_person_id", sa.Integer(), nullable=False),
        sa.Column("carer_person_id", sa.Integer(), nullable=True),
        sa.Column("carer_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("carer_email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("carer_phone", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("scopes", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("review_on", sa.Date(), nullable=True),
        sa.Column("reviewed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "invited",
                "active",
                "suspended",
                "ended",
                name="authoritystatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("invite_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("invite_expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "basis",
            sa.Enum(
                "invitation",
                "lasting_power_of_attorney",
                "deputyship",
                name="basis",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("document_reference", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("checks", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("set_up_by_person_id", sa.Integer(), nullable=True),
        sa.Column("suspended_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("form_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["carer_person_id"],
            ["person.id"],
            name="fk_carer_authority_carer_person_id_person",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["customer_person_id"],
            ["person.id"],
            name="fk_carer_authority_customer_person_id_person",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_up_by_person_id"],
            ["person.id"],
            name="fk_carer_authority_set_up_by_person_id_person",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_carer_authority"),
        sa.UniqueConstraint("form_key", name="uq_carer_authority_form_key"),
        sa.UniqueConstraint("invite_hash", name="uq_carer_authority_invite_hash"),
    )
    with op.batch_alter_table("carer_authority", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carer_authority_carer_person_id"), ["carer_person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_carer_authority_customer_person_id"), ["customer_person_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_carer_authority_status"), ["status"], unique=False)

    with op.batch_alter_table("activity_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_behalf_of_person_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_activity_entry_on_behalf_of_person_id"), ["on_behalf_of_person_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_activity_entry_on_behalf_of_person_id_person", "person", ["on_behalf_of_person_id"], ["id"]
        )

    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("acting_person_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("private", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_foreign_key(
            "fk_help_request_acting_person_id_person",
            "person",
            ["acting_person_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("help_request", schema=None) as batch_op:
        batch_op.drop_constraint("fk_help_request_acting_person_id_person", type_="foreignkey")
        batch_op.drop_column("private")
        batch_op.drop_column("acting_person_id")

    with op.batch_alter_table("activity_entry", schema=None) as batch_op:
        batch_op.drop_constraint("fk_activity_entry_on_behalf_of_person_id_person", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_activity_entry_on_behalf_of_person_id"))
        batch_op.drop_column("on_behalf_of_person_id")

    with op.batch_alter_table("carer_authority", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carer_authority_status"))
        batch_op.drop_index(batch_op.f("ix_carer_authority_customer_person_id"))
        batch_op.drop_index(batch_op.f("ix_carer_authority_carer_person_id"))

    op.drop_table("carer_authority")
