"""Asking for a person: callbacks, secure messages and live chats, one queue for advisers.

Every way of asking is a HelpRequest; what is said (a message thread, a chat transcript, the notes for a
callback) is its HelpMessages."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import ClassVar, Literal

from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.db import enum_type

REFERENCE_LETTERS = "ACDEFHJKMNPRTUVWXY3479"  # Easy to read out on the phone: no 0/O, 1/I, 5/S...


def new_reference() -> str:
    return "HR-" + "".join(secrets.choice(REFERENCE_LETTERS) for _ in range(6))


class RequestKind(StrEnum):
    callback = "callback"
    message = "message"
    chat = "chat"


class RequestStatus(StrEnum):
    waiting = "waiting"  # In the queue; nobody has it yet.
    claimed = "claimed"  # An adviser is dealing with it.
    closed = "closed"
    cancelled = "cancelled"  # The customer called it off (a callback).


class Team(StrEnum):
    general = "general"
    # Advisers trained for BSL, Relay UK, easy read and people who need more time.
    specialist = "specialist"


class HelpRequest(SQLModel, table=True):
    __tablename__ = "help_request"
    access_kind: ClassVar[Literal["help_request"]] = "help_request"  # What `can()` (portal/access.py) sees.

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(default_factory=new_reference, max_length=12, unique=True, index=True)
    kind: RequestKind = Field(sa_type=enum_type(RequestKind))
    status: RequestStatus = Field(default=RequestStatus.waiting, sa_type=enum_type(RequestStatus), index=True)
    team: Team = Field(default=Team.general, sa_type=enum_type(Team))
    urgent: bool = False
    customer_person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    # A carer who asked for the customer (portal/carers/), shown to the adviser.
    acting_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    # The customer asked that people who help them never see it.
    private: bool = False
    account_id: int | None = Field(default=None, foreign_key="customer_account.id", ondelete="SET NULL")
    subject: str = Field(default="", max_length=200)
    # What the customer chose to share: references like "case:CS-101502-1" and the page they were on,
    # one per line. Never personal data, only pointers the adviser opens in the console.
    context: str = Field(default="", max_length=2000)
    callback_at: dt.datetime | None = None
    callback_phone: str = Field(default="", max_length=40)
    # A random key from the form, so sending it twice makes one request.
    form_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    claimed_by_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    claimed_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    outcome: str = Field(default="", max_length=30)  # For callbacks: answered, no_answer, left_message.
    close_note: str = Field(default="", max_length=1000)


class HelpMessage(SQLModel, table=True):
    __tablename__ = "help_message"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="help_request.id", index=True, ondelete="CASCADE")
    author_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    from_adviser: bool = False
    body: str = Field(max_length=5000)
    form_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
