from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class CustomerAccount(SQLModel, table=True):
    __tablename__ = "customer_account"

    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(max_length=20, unique=True, index=True)
    holder_name: str = Field(max_length=200)
    # The person who holds the account online; empty until they set up online access.
    holder_person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    address: str = Field(default="", max_length=500)
    postcode: str = Field(default="", max_length=10)
    date_of_birth: dt.date | None = None
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    created_at: dt.datetime = Field(default_factory=utcnow)
