"""Incidents: a problem with a service in some postcode districts, told to the people affected.

Every publish, correction or resolution is a new `IncidentVersion`; the incident keeps the latest. A
version is also the durable job that fans it out: a worker claims it, makes an update for everyone it
reaches (people in the areas, and everyone told about an earlier version), and marks it done."""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from typing import ClassVar, Literal

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.accounts.models import ServiceKind
from portal.clock import utcnow
from portal.db import enum_type

REFERENCE_LETTERS = "ACDEFHJKMNPRTUVWXY3479"


def new_incident_reference() -> str:
    return "IN-" + "".join(secrets.choice(REFERENCE_LETTERS) for _ in range(5))


class Confidence(StrEnum):
    """How sure we are about the fix time."""

    low = "low"
    medium = "medium"
    high = "high"


class IncidentStage(StrEnum):
    investigating = "investigating"  # We know about it and are finding out why.
    fixing = "fixing"  # We know why and are fixing it.
    resolved = "resolved"


class Incident(SQLModel, table=True):
    access_kind: ClassVar[Literal["incident"]] = "incident"  # What `can()` (portal/access.py) sees.
    id: int | None = Field(default=None, primary_key=True)
    reference: str = Field(default_factory=new_incident_reference, max_length=12, unique=True)
    service: ServiceKind = Field(sa_type=enum_type(ServiceKind))
    areas: str = Field(max_length=500)  # Postcode districts, space-separated: "NF1 NF2".
    safety_critical: bool = False  # Told at once, even in quiet hours and over the daily cap.
    stage: IncidentStage = Field(default=IncidentStage.investigating,
                                 sa_type=enum_type(IncidentStage), index=True)
    version: int = 1
    created_by_person_id: int | None = Field(default=None, foreign_key="person.id",
                                             ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    updated_at: dt.datetime = Field(default_factory=utcnow)
    resolved_at: dt.datetime | None = Field(default=None, index=True)

    @property
    def area_list(self) -> list[str]:
        return self.areas.split()


class IncidentVersion(SQLModel, table=True):
    """What we said at one time. Written by operations staff in plain words."""

    __tablename__ = "incident_version"
    __table_args__ = (UniqueConstraint("incident_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True, ondelete="CASCADE")
    version: int
    stage: IncidentStage = Field(sa_type=enum_type(IncidentStage))
    title: str = Field(max_length=120)  # "No water in parts of NF2"
    what_is_happening: str = Field(max_length=1000)
    who_is_affected: str = Field(max_length=500)
    what_to_do: str = Field(max_length=1000)
    expected_fix_at: dt.datetime | None = None
    confidence: Confidence = Field(default=Confidence.medium, sa_type=enum_type(Confidence))
    is_correction: bool = False  # Puts right something an earlier version got wrong.
    created_by_person_id: int | None = Field(default=None, foreign_key="person.id",
                                             ondelete="SET NULL")
    created_at: dt.datetime = Field(default_factory=utcnow)
    # The fan-out job: claimed by one worker, done once.
    claimed_by: str = Field(default="", max_length=40)
    claimed_until: dt.datetime | None = None
    fanned_out_at: dt.datetime | None = Field(default=None, index=True)
    reached: int = 0  # How many people this version was sent to.
