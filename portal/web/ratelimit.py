"""Rate limits that slow attackers down without locking the real person out.

Each attempt is a row; a limit counts the rows for a key within a sliding window. Limits are short
(minutes), so someone who trips one can try again soon, and the page says when and offers a phone
number."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlmodel import Field, Session, SQLModel, col, delete, select

from portal.clock import aware, utcnow
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
    # Past `attempts` in the window, one more try every `then_every` rather than none: a limit that
    # slows down without shutting out.
    then_every: dt.timedelta | None = None


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # Whole seconds until a try would be allowed, when it is not.
    hit_ids: tuple[int, ...] = ()  # The attempt as recorded, when allowed.


def attempt(db: Session, *checks: tuple[Limit, str]) -> Verdict:
    """Record one attempt under each (limit, subject) and say whether every limit allows it. If one
    refuses, none of them keeps the attempt (a refused try does not make the wait longer), and the
    answer says how long the longest wait is."""
    # Record first, then count: two racing requests both see each other, so neither slips past.
    hits = [RateLimitHit(key=f"{limit.name}:{subject}") for limit, subject in checks]
    db.add_all(hits)
    db.commit()
    wait = max((_wait(db, limit, hit) for (limit, _), hit in zip(checks, hits, strict=True)),
               default=0)
    if not wait:
        return Verdict(True, hit_ids=tuple(id_of(hit) for hit in hits))
    for hit in hits:
        db.delete(hit)
    db.commit()
    return Verdict(False, wait)


def _wait(db: Session, limit: Limit, hit: RateLimitHit) -> int:
    """Seconds until the attempt `hit` would be within `limit`; 0 when it is now."""
    now = aware(hit.at)
    earlier = [aware(at) for at in db.exec(
        select(RateLimitHit.at).where(RateLimitHit.key == hit.key, RateLimitHit.at > now - limit.window,
                                      col(RateLimitHit.id) < id_of(hit))
        .order_by(col(RateLimitHit.id).desc()).limit(limit.attempts)).all()]
    if len(earlier) < limit.attempts:
        return 0
    # Slowed: one more once the latest try is `then_every` old. Otherwise: once enough have left the
    # window.
    free_at = (earlier[0] + limit.then_every if limit.then_every is not None
               else earlier[-1] + limit.window)
    return 0 if free_at <= now else max(1, math.ceil((free_at - now).total_seconds()))


def forget(db: Session, verdict: Verdict) -> None:
    """Take back an allowed attempt that turned out not to count (a right code is not a wrong one).
    In the caller's transaction."""
    db.exec(delete(RateLimitHit).where(col(RateLimitHit.id).in_(verdict.hit_ids)))


def allow(db: Session, limit: Limit, subject: str) -> bool:
    """Record an attempt for `subject` and say whether it is within the limit."""
    return attempt(db, (limit, subject)).allowed


def forget_older_than(db: Session, age: dt.timedelta) -> None:
    db.exec(delete(RateLimitHit).where(col(RateLimitHit.at) < utcnow() - age))
    db.commit()
