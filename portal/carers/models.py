"""A carer's authority to act for a customer: who, what they may do, and until when."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlmodel import Field, SQLModel

from portal.clock import utcnow
from portal.db import enum_type


class AuthorityStatus(StrEnum):
    invited = "invited"  # Waiting for the carer to accept with the code.
    active = "active"
    suspended = "suspended"  # Paused by an adviser; only an adviser can lift it.
    ended = "ended"  # Stopped by the customer, turned down by the carer, or ended by an adviser.


class Basis(StrEnum):
    """Why the carer may act: the customer asked online, or an adviser checked a legal document."""

    invitation = "invitation"
    lasting_power_of_attorney = "lasting_power_of_attorney"
    deputyship = "deputyship"


class CarerAuthority(SQLModel, table=True):
    __tablename__ = "carer_authority"

    id: int | None = Field(default=None, primary_key=True)
    customer_person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    # Empty until the carer accepts; they sign in as themselves, never as the customer.
    carer_person_id: int | None = Field(default=None, foreign_key="person.id", index=True,
                                        ondelete="CASCADE")
    carer_name: str = Field(max_length=200)
    carer_email: str = Field(default="", max_length=320)
    carer_phone: str = Field(default="", max_length=40)
    scopes: str = Field(default="", max_length=100)  # Scope values, comma-separated.
    ends_on: dt.date | None = None  # The last day they may act; None means until it is stopped.
    review_on: dt.date | None = None  # When we ask the customer whether it is still right.
    reviewed_at: dt.datetime | None = None  # When we last asked.
    status: AuthorityStatus = Field(default=AuthorityStatus.invited, sa_type=enum_type(AuthorityStatus),
                                    index=True)
    # Only a keyed hash of the invitation code is kept; it works once, for 14 days.
    invite_hash: str | None = Field(default=None, max_length=64, unique=True)
    invite_expires_at: dt.datetime | None = None
    basis: Basis = Field(default=Basis.invitation, sa_type=enum_type(Basis))
    document_reference: str = Field(default="", max_length=60)
    checks: str = Field(default="", max_length=500)  # What the adviser checked, in their words.
    set_up_by_person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="SET NULL")
    suspended_reason: str = Field(default="", max_length=500)
    # A random key from the form, so sending it twice makes one invitation.
    form_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    accepted_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
