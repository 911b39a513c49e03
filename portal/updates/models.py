"""Updates and their deliveries.

An `Update` is one thing we tell one person ("your bill is overdue", "there is a water problem in
NF2"). It stores a message key and its parameters, never finished text, so it reads in whatever language
the person views it in. Each channel it goes out on is a `Delivery`, which is also the durable job that
sends it: workers claim deliveries that are due, so each is sent once even with several workers, and a
delivery claimed by a worker that died is claimed again when its claim runs out.

Escalation steps are deliveries too, made with the update and due later (step 1 the next day, step 2
after three days); when their time comes the worker checks whether the ladder should stop first."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.db import enum_type


class UpdateKind(StrEnum):
    """What an update is about. People choose channels per kind."""

    cases = "cases"  # A case or order moved on.
    bills = "bills"  # A bill is due soon or late.
    payments = "payments"  # A payment failed.
    visits = "visits"  # A visit tomorrow.
    usage = "usage"  # Use over the limit the customer set.
    incidents = "incidents"  # A problem with a service in their area.
    offers = "offers"  # Marketing. Off unless the person turns it on.


class DeliveryChannel(StrEnum):
    """In the order the escalation ladder climbs."""

    portal = "portal"  # The notification centre, the header count and the live banner.
    email = "email"
    text = "text"  # SMS
    push = "push"  # Web push, once the installable app (the PWA issue) adds subscriptions.


class DeliveryStatus(StrEnum):
    waiting = "waiting"  # Due at `due_at`; a worker will claim it.
    sent = "sent"  # Shown in the portal, or handed to the outbox for email, text or push.
    held = "held"  # Over the daily cap: it goes in the next digest.
    digested = "digested"  # Sent as part of a digest.
    skipped = "skipped"  # Not needed any more (the thing was done, the ladder was stopped) or
    #                      impossible (no email address); `note` says which.
    failed = "failed"  # Gave up after the last retry.


class Update(SQLModel, table=True):
    __tablename__ = "status_update"  # "update" is an SQL keyword.
    __table_args__ = (UniqueConstraint("person_id", "source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    account_id: int | None = Field(default=None, foreign_key="customer_account.id",
                                   ondelete="CASCADE")
    kind: UpdateKind = Field(sa_type=enum_type(UpdateKind))
    message: str = Field(max_length=40)  # A key in portal/updates/messages.py.
    params: str = Field(default="{}", max_length=2000)  # JSON for the message; never free text
    #                                                     typed by a customer.
    link: str = Field(default="", max_length=300)  # Where to go to see or do the thing.
    needs_action: bool = False  # Climbs the escalation ladder until done, seen or stopped.
    safety_critical: bool = False  # Ignores quiet hours and the daily cap.
    # What made it, so the same thing never makes two updates for one person: "bill-overdue:12",
    # "incident:3:v2".
    source_key: str = Field(max_length=80)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True,
                                    ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    seen_at: dt.datetime | None = None
    done_at: dt.datetime | None = None  # The thing was done (the bill paid): the ladder stops.
    reminders_stopped_at: dt.datetime | None = None  # The person asked us to stop reminding them.


class Delivery(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("update_id", "channel", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    update_id: int = Field(foreign_key="status_update.id", index=True, ondelete="CASCADE")
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    channel: DeliveryChannel = Field(sa_type=enum_type(DeliveryChannel))
    step: int = 0  # 0 first, 1 a reminder the next day, 2 an offer of a callback after three days.
    status: DeliveryStatus = Field(default=DeliveryStatus.waiting, sa_type=enum_type(DeliveryStatus),
                                   index=True)
    due_at: dt.datetime = Field(default_factory=utcnow, index=True)
    attempts: int = 0
    claimed_by: str = Field(default="", max_length=40)
    claimed_until: dt.datetime | None = None
    sent_at: dt.datetime | None = None
    note: str = Field(default="", max_length=200)  # Why it was skipped or failed. Never content.


class UpdatePreferences(SQLModel, table=True):
    """One row per person who changed anything; without a row the defaults apply (see rules.py)."""

    __tablename__ = "update_preferences"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True, ondelete="CASCADE")
    # JSON: {"bills": ["email", "text"], ...}. The portal is always on, so it is not listed.
    channels: str = Field(default="{}", max_length=1000)
    quiet_from: dt.time | None = None  # No email, text or push from this time...
    quiet_until: dt.time | None = None  # ...until this time, in the service's time zone.
    daily_cap: int | None = None  # Most email, text or push messages in a day; the rest in a digest.
    updated_at: dt.datetime = Field(default_factory=utcnow)


class UsageAlert(SQLModel, table=True):
    """Tell me when a month's use of this service goes over this many units (kWh or m3)."""

    __tablename__ = "usage_alert"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    service_id: int = Field(foreign_key="service.id", unique=True, ondelete="CASCADE")
    monthly_units: int
    created_at: dt.datetime = Field(default_factory=utcnow)
