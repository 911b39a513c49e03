"""Sharing a screen in the demo: yesterday morning Amina shared hers with Dewi for six minutes, so her
messages have the summary and Dewi's console has the ended share to look at (/adviser/share-screen/1)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from portal.cobrowse.models import EndReason, ScreenShare, ShareStatus
from portal.cobrowse.service import leave_summary
from portal.db import id_of
from portal.identity.models import Person


def seed_screen_shares(db: Session, today: dt.date, time_zone: str) -> None:
    if db.exec(select(ScreenShare)).first() is not None:
        return
    amina = db.exec(select(Person).where(Person.name == "Amina Haddad")).one()
    dewi = db.exec(select(Person).where(Person.name == "Dewi Morgan")).one()
    amina_id = id_of(amina)
    started = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(10, 2), ZoneInfo(time_zone))
    started = started.astimezone(dt.UTC)
    share = ScreenShare(customer_person_id=amina_id, sharer_person_id=amina_id, session_hash="demo",
                        code_expires_at=started, status=ShareStatus.ended, end_reason=EndReason.stopped,
                        adviser_person_id=dewi.id, created_at=started - dt.timedelta(minutes=2),
                        asked_at=started - dt.timedelta(minutes=1), started_at=started,
                        ended_at=started + dt.timedelta(minutes=6), last_seen_at=started,
                        last_activity_at=started, pages="Your account\nYour bills\nA bill")
    db.add(share)
    db.flush()
    leave_summary(db, share, time_zone)
