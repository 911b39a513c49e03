from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Channel(StrEnum):
    email = "email"
    text = "text"
    phone = "phone"
    letter = "letter"


class Support(StrEnum):
    """Things that help. Each one is optional; other features read them to adapt."""

    large_print = "large_print"
    bsl = "bsl"
    relay_uk = "relay_uk"
    easy_read = "easy_read"
    extra_time = "extra_time"
    no_automated_chat = "no_automated_chat"


class CommunicationNeeds(SQLModel, table=True):
    """One row per person. Kept only while they agree to us keeping it."""

    __tablename__ = "communication_needs"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True, ondelete="CASCADE")
    preferred_channel: str = Field(default="", max_length=10)  # A Channel, or "" for no preference.
    # Support values, space-separated, in the order of `Support`.
    support: str = Field(default="", max_length=200)
    other: str = Field(default="", max_length=500)
    updated_at: dt.datetime = Field(default_factory=utcnow)

    @property
    def supports(self) -> list[Support]:
        chosen = set(self.support.split())
        return [s for s in Support if s.value in chosen]
