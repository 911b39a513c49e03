from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class ConsentRecord(SQLModel, table=True):
    """Each time someone agrees to something, or takes it back. Never changed once written."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    topic: str = Field(max_length=40)  # For example "access_needs".
    given: bool
    # Who recorded it: the person themselves, or someone acting for them.
    recorded_by_person_id: int | None = Field(default=None, foreign_key="person.id",
                                              ondelete="SET NULL")
    at: dt.datetime = Field(default_factory=utcnow, index=True)
