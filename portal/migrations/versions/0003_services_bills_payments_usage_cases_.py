"""services, bills, payments, usage, cases, appointments, needs and consent

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 06:19:25.554075
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("direct_debit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "communication_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("preferred_channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("support", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("other", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("recorded_by_person_id", sa.Integer(), nullable=True),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consent_record_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_consent_record_person_id"), ["person_id"], unique=False)

    op.create_table(
        "bill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bill_reference"), ["reference"], unique=True)

    op.create_table(
        "payment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("instalment_pence", sa.Integer(), nullable=False),
        sa.Column("instalments", sa.Integer(), nullable=False),
        sa.Column("first_due_on", sa.Date(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "active", "completed", "cancelled", name="paymentplanstatus", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_plan_account_id"), ["account_id"], unique=False)

    op.create_table(
        "service",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "electricity",
                "gas",
                "water",
                "boiler_cover",
                name="servicekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "active", "being_set_up", "fault", "ended", name="servicestatus", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("tariff", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("meter_serial", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reading_due_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_service_account_id"), ["account_id"], unique=False)

    op.create_table(
        "bill_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bill_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "usage",
                "standing_charge",
                "discount",
                "adjustment",
                "vat",
                name="linekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("estimated", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["bill_id"], ["bill.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bill_line_bill_id"), ["bill_id"], unique=False)

    op.create_table(
        "case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=True),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column(
            "category",
            sa.Enum("case", "order", name="casecategory", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "meter_fault",
                "smart_meter",
                "refund",
                "complaint",
                "moving_home",
                "boiler_repair",
                name="casekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("expected_by", sa.Date(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_reference"), ["reference"], unique=True)

    op.create_table(
        "meter_reading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("read_on", sa.Date(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column(
            "source",
            sa.Enum(
                "customer",
                "meter_reader",
                "smart_meter",
                "estimate",
                name="readingsource",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("submitted_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["submitted_by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meter_reading_service_id"), ["service_id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("amount_pence", sa.Integer(), nullable=False),
        sa.Column("made_on", sa.Date(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "direct_debit", "card", "bank_transfer", name="paymentmethod", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("received", "failed", name="paymentstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["plan_id"], ["payment_plan.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_account_id"), ["account_id"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "meter_exchange",
                "engineer_visit",
                "smart_meter_fit",
                name="appointmentkind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("starts_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ends_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("booked", "done", "cancelled", name="appointmentstatus", native_enum=False, length=30),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_account_id"), ["account_id"], unique=False)

    op.create_table(
        "case_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "received",
                "in_progress",
                "waiting_for_you",
                "done",
                name="stage",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=True),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("act_by", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["case.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_step", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_step_case_id"), ["case_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.drop_column("direct_debit")
    with op.batch_alter_table("case_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_step_case_id"))

    op.drop_table("case_step")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_account_id"))

    op.drop_table("appointment")
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_account_id"))

    op.drop_table("payment")
    with op.batch_alter_table("meter_reading", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meter_reading_service_id"))

    op.drop_table("meter_reading")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_reference"))
        batch_op.drop_index(batch_op.f("ix_case_account_id"))

    op.drop_table("case")
    with op.batch_alter_table("bill_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_line_bill_id"))

    op.drop_table("bill_line")
    with op.batch_alter_table("service", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_account_id"))

    op.drop_table("service")
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_account_id"))

    op.drop_table("payment_plan")
    with op.batch_alter_table("bill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bill_reference"))
        batch_op.drop_index(batch_op.f("ix_bill_account_id"))

    op.drop_table("bill")
    with op.batch_alter_table("consent_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consent_record_person_id"))
        batch_op.drop_index(batch_op.f("ix_consent_record_at"))

    op.drop_table("consent_record")
    op.drop_table("communication_needs")
