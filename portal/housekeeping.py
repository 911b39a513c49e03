"""Removing what has expired: sessions, challenges, codes and rate-limit records; ending screen shares
that nobody finished.

The app does this every 15 minutes in the background; `portal purge` does it once. Deleting is
idempotent, so several app processes doing it at once is harmless.

Push subscriptions (notifications on a device) outlive the session they were made in when it only
expires: they are for when the person is away. Signing out removes them; see portal/push/service.py."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from anyio import to_thread
from sqlalchemy import Engine, or_
from sqlmodel import Session, col, delete

from portal.clock import utcnow
from portal.cobrowse import service as cobrowse
from portal.identity.models import OneTimeCode, WebAuthnChallenge
from portal.settings import Settings
from portal.web.ratelimit import RateLimitHit
from portal.web.sessions import WebSession

logger = logging.getLogger(__name__)
INTERVAL_SECONDS = 15 * 60
KEEP_FOR_A_DAY = dt.timedelta(days=1)


def purge_expired(engine: Engine, settings: Settings) -> dict[str, int]:
    now = utcnow()
    statements = {
        "sessions": delete(WebSession).where(or_(
            col(WebSession.last_seen_at) < now - dt.timedelta(minutes=settings.session_idle_minutes),
            col(WebSession.created_at) < now - dt.timedelta(hours=settings.session_max_hours))),
        "challenges": delete(WebAuthnChallenge).where(
            col(WebAuthnChallenge.created_at) < now - dt.timedelta(hours=1)),
        "codes": delete(OneTimeCode).where(col(OneTimeCode.created_at) < now - KEEP_FOR_A_DAY),
        "rate_limit_hits": delete(RateLimitHit).where(col(RateLimitHit.at) < now - KEEP_FOR_A_DAY),
    }
    removed = {}
    with Session(engine) as db:
        for name, statement in statements.items():
            removed[name] = db.exec(statement).rowcount
        db.commit()
    return removed


def end_quiet_screen_shares(engine: Engine, settings: Settings) -> int:
    """Screen shares whose code ran out or whose page went quiet (each ends once, whoever runs this)."""
    with Session(engine) as db:
        return cobrowse.end_idle(db, settings.time_zone)


async def purge_forever(engine: Engine, settings: Settings) -> None:
    while True:
        try:
            await to_thread.run_sync(purge_expired, engine, settings)
            await to_thread.run_sync(end_quiet_screen_shares, engine, settings)
        except Exception:  # A failed purge must not stop the next one.
            logger.exception("Purging expired records failed")
        await asyncio.sleep(INTERVAL_SECONDS)
