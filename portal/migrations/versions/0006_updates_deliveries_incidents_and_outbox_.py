"""Updates, deliveries, preferences, usage alerts, incidents, and outbox messages as jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 09:00:56.371748
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column(
            "service",
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
        sa.Column("areas", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("safety_critical", sa.Boolean(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "investigating", "fixing", "resolved", name="incidentstage", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("resolved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incident_resolved_at"), ["resolved_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_incident_stage"), ["stage"], unique=False)

    op.create_table(
        "update_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("channels", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("quiet_from", sa.Time(), nullable=True),
        sa.Column("quiet_until", sa.Time(), nullable=True),
        sa.Column("daily_cap", sa.Integer(), nullable=True),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id"),
    )
    op.create_table(
        "incident_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum(
                "investigating", "fixing", "resolved", name="incidentstage", native_enum=False, length=30
            ),
            nullable=False,
        ),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("what_is_happening", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("who_is_affected", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("what_to_do", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("expected_fix_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "confidence",
            sa.Enum("low", "medium", "high", name="confidence", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("is_correction", sa.Boolean(), nullable=False),
        sa.Column("created_by_person_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("fanned_out_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reached", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_person_id"], ["person.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "version"),
    )
    with op.batch_alter_table("incident_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_version_fanned_out_at"), ["fanned_out_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_incident_version_incident_id"), ["incident_id"], unique=False)

    op.create_table(
        "status_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "cases",
                "bills",
                "payments",
                "visits",
                "usage",
                "incidents",
                "offers",
                name="updatekind",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("message", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("params", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("needs_action", sa.Boolean(), nullable=False),
        sa.Column("safety_critical", sa.Boolean(), nullable=False),
        sa.Column("source_key", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("done_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("reminders_stopped_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["incident_id"], ["incident.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("person_id", "source_key"),
    )
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_update_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_update_incident_id"), ["incident_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_status_update_person_id"), ["person_id"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("update_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("portal", "email", "text", "push", name="deliverychannel", native_enum=False, length=30),
            nullable=False,
        ),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "sent",
                "held",
                "digested",
                "skipped",
                "failed",
                name="deliverystatus",
                native_enum=False,
                length=30,
            ),
            nullable=False,
        ),
        sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["update_id"], ["status_update.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("update_id", "channel", "step"),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_update_id"), ["update_id"], unique=False)

    op.create_table(
        "usage_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("monthly_units", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["service_id"], ["service.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_id"),
    )
    with op.batch_alter_table("usage_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_usage_alert_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("html", sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("delivery_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("failed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint("uq_outbox_message_delivery_id", ["delivery_id"])
        batch_op.create_foreign_key(
            "fk_outbox_message_delivery_id_delivery", "delivery", ["delivery_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_message", schema=None) as batch_op:
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("fk_outbox_message_delivery_id_delivery", type_="foreignkey")
        # WARNING: constraint name is None; this directive will fail as
        # rendered.  Add a name, or use a naming convention; see
        # https://alembic.sqlalchemy.org/en/latest/naming.html
        batch_op.drop_constraint("uq_outbox_message_delivery_id", type_="unique")
        batch_op.drop_column("failed_at")
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("delivery_id")
        batch_op.drop_column("html")

    with op.batch_alter_table("usage_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_usage_alert_person_id"))

    op.drop_table("usage_alert")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_update_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_status"))
        batch_op.drop_index(batch_op.f("ix_delivery_person_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_due_at"))

    op.drop_table("delivery")
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_update_person_id"))
        batch_op.drop_index(batch_op.f("ix_status_update_incident_id"))
        batch_op.drop_index(batch_op.f("ix_status_update_created_at"))

    op.drop_table("status_update")
    with op.batch_alter_table("incident_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_version_incident_id"))
        batch_op.drop_index(batch_op.f("ix_incident_version_fanned_out_at"))

    op.drop_table("incident_version")
    op.drop_table("update_preferences")
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_stage"))
        batch_op.drop_index(batch_op.f("ix_incident_resolved_at"))

    op.drop_table("incident")
