from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class OutboxMessage(SQLModel, table=True):
    """An email, SMS or push message, stored in the same transaction as the change it reports, then
    sent by a worker (see notify/service.py), retried with backoff.

    Email goes over SMTP when it is configured; SMS and push have no provider here, so they stay in the
    outbox (where the demo and tests read them) until one is added."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)  # "email", "sms" or "push"
    to: str = Field(max_length=320)
    subject: str = Field(default="", max_length=200)
    body: str
    html: str = ""  # An HTML version of an email (large print, for example); plain text otherwise.
    link: str = Field(default="", max_length=500)  # Where a push notification opens (an absolute URL).
    # The update delivery this message carries, if any: one message per delivery, whatever happens.
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", unique=True,
                                    ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = None
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None  # Backoff after a failure.
    claimed_until: dt.datetime | None = None  # A worker is sending it.
    failed_at: dt.datetime | None = None  # Gave up.
    last_error: str = Field(default="", max_length=500)


class InboxMessage(SQLModel, table=True):
    """A message shown in the person's account."""

    __tablename__ = "inbox_message"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    subject: str = Field(max_length=200)
    body: str
    created_at: dt.datetime = Field(default_factory=utcnow)
    read_at: dt.datetime | None = None
