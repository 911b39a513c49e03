from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class OutboxMessage(SQLModel, table=True):
    """An email or SMS, stored in the same transaction as the change it reports, then delivered.

    Email goes over SMTP when it is configured; SMS has no provider here, so it stays in the outbox
    (where the demo and tests read it) until one is added."""

    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)  # "email" or "sms"
    to: str = Field(max_length=320)
    subject: str = Field(default="", max_length=200)
    body: str
    created_at: dt.datetime = Field(default_factory=utcnow, index=True)
    sent_at: dt.datetime | None = None
    attempts: int = 0
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
