from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class ActivityEntry(SQLModel, table=True):
    __tablename__ = "activity_entry"

    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)
    actor_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    subject_account_id: int | None = Field(default=None, foreign_key="customer_account.id",
                                           index=True)
    # A carer acting for someone: the person they acted for (portal/carers/).
    on_behalf_of_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=60)
    detail: str = Field(default="", max_length=500)  # Never secrets: no codes, no assertions.
