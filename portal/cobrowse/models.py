"""Sharing a screen with an adviser (co-browse): one ScreenShare a time the customer said yes, and the
recorded page changes waiting to be sent to the adviser.

What travels is recorded and masked in the customer's own browser (static/js/share-screen.js): the
server only ever holds the masked copy, and only while the share lasts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.db import enum_type


class ShareStatus(StrEnum):
    waiting = "waiting"  # The customer has a code; no adviser has entered it yet.
    asking = "asking"  # An adviser entered the code; the customer has not said yes yet.
    sharing = "sharing"
    ended = "ended"


class EndReason(StrEnum):
    stopped = "stopped"  # The customer stopped sharing.
    adviser = "adviser"  # The adviser stopped looking.
    declined = "declined"  # The customer said no when the adviser asked.
    cancelled = "cancelled"  # The customer no longer wanted a code.
    inactive = "inactive"  # Nothing happened on the customer's screen for a while, or the page closed.
    signed_out = "signed_out"
    expired = "expired"  # Nobody used the code in time.
    access_ended = "access_ended"  # A carer's access to the customer ended or changed.
    stopped_acting = "stopped_acting"  # The carer sharing stopped acting for the customer.


class ScreenShare(SQLModel, table=True):
    __tablename__ = "screen_share"

    id: int | None = Field(default=None, primary_key=True)
    # Whose help this is: the customer, also when a carer shares while acting for them.
    customer_person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    sharer_person_id: int = Field(foreign_key="person.id", ondelete="CASCADE")
    authority_id: int | None = Field(default=None, foreign_key="carer_authority.id", ondelete="SET NULL")
    # The browser session that shares (hashed like the session's own key): only it may send pages.
    session_hash: str = Field(max_length=64, index=True)
    # A keyed hash of the 6-digit code, cleared as soon as an adviser uses it.
    code_hash: str | None = Field(default=None, max_length=64, index=True)
    code_expires_at: dt.datetime
    status: ShareStatus = Field(default=ShareStatus.waiting, sa_type=enum_type(ShareStatus), index=True)
    end_reason: EndReason | None = Field(default=None, sa_type=enum_type(EndReason))
    adviser_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    # The chat or call in which the adviser asked to see the screen, if any.
    help_request_id: int | None = Field(default=None, foreign_key="help_request.id", ondelete="SET NULL")
    form_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    asked_at: dt.datetime | None = None
    started_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    last_seen_at: dt.datetime | None = None  # The sharing page last said it is still open.
    last_activity_at: dt.datetime | None = None  # The customer last moved, typed, scrolled or changed page.
    # Pages the adviser saw, one title a line, in order (for the customer's summary).
    pages: str = Field(default="", max_length=4000)


class ScreenFrame(SQLModel, table=True):
    """A batch of recorded changes (rrweb events, as JSON), kept from the newest whole page onwards
    so an adviser who joins or reconnects can rebuild the page. Deleted when the share ends."""

    __tablename__ = "screen_frame"
    # Ids only ever grow, even after deletes (SQLite would reuse the highest): the adviser's page asks
    # for the frames after the last id it had.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    share_id: int = Field(foreign_key="screen_share.id", index=True, ondelete="CASCADE")
    whole_page: bool = False  # Starts with a snapshot of the whole page.
    events: str = Field(sa_type=Text)
    created_at: dt.datetime = Field(default_factory=utcnow)
