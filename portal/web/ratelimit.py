"""Rate limits that slow attackers down without locking the real person out.

Each attempt is a row; a limit counts the rows for a key within a sliding window. Limits are short
(minutes), so someone who trips one can try again soon, and the page says when and offers a phone
number."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Field, Session, SQLModel, col, delete, func, select

from portal.clock import utcnow
from portal.db import id_of


class RateLimitHit(SQLModel, table=True):
    __tablename__ = "rate_limit_hit"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, index=True)
    at: dt.datetime = Field(default_factory=utcnow, index=True)


@dataclass(frozen=True)
class Limit:
    name: str
    attempts: int
    window: dt.timedelta


def allow(db: Session, limit: Limit, subject: str) -> bool:
    """Record an attempt for `subject` and say whether it is within the limit."""
    key = f"{limit.name}:{subject}"
    # Record first, then count: two racing requests both see each other, so neither slips past.
    hit = RateLimitHit(key=key)
    db.add(hit)
    db.commit()
    count = db.exec(select(func.count()).select_from(RateLimitHit).where(
        RateLimitHit.key == key, RateLimitHit.at > utcnow() - limit.window,
        col(RateLimitHit.id) <= id_of(hit))).one()
    if count > limit.attempts:
        # A refused try does not count, so someone who keeps trying is not kept out for longer.
        db.delete(hit)
        db.commit()
        return False
    return True


def forget_older_than(db: Session, age: dt.timedelta) -> None:
    db.exec(delete(RateLimitHit).where(col(RateLimitHit.at) < utcnow() - age))
    db.commit()
