from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Person(SQLModel, table=True):
    """Someone who signs in: a customer, a carer, an adviser, or more than one of these.

    A person is separate from the customer accounts they act on."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    preferred_language: str = Field(default="en", max_length=8)
    created_at: dt.datetime = Field(default_factory=utcnow)
