"""Making updates and reading them back for the person they are for.

Sources (portal/updates/sources.py) and incidents (portal/updates/fanout.py) make updates; the
worker (portal/updates/worker.py) delivers them; the notification centre reads them here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, col, select, update

from portal.activity import service as activity
from portal.clock import utcnow
from portal.updates import rules
from portal.updates.models import Delivery, DeliveryStatus, Update, UpdateKind

WORK_CHANNEL = "updates:work"  # Tells workers there is something to do now.


def person_channel(person_id: int) -> str:
    """The broker channel for a person's live banner and header count."""
    return f"person:{person_id}"


def create_update(db: Session, *, person_id: int, kind: UpdateKind, message: str, source_key: str,
                  params: Mapping[str, object] | None = None, link: str = "",
                  account_id: int | None = None, needs_action: bool = False,
                  safety_critical: bool = False, incident_id: int | None = None,
                  now: dt.datetime | None = None) -> Update | None:
    """Make an update and its deliveries in the caller's transaction, unless this person already
    has one from the same source (then None). The caller commits, then nudges the workers
    (`broker.publish_sync(WORK_CHANNEL, {})`) if it wants delivery at once."""
    now = now or utcnow()
    exists = db.exec(select(Update.id).where(Update.person_id == person_id,
                                             Update.source_key == source_key)).first()
    if exists is not None:
        return None
    new = Update(person_id=person_id, kind=kind, message=message, source_key=source_key,
                 params=json.dumps(dict(params or {}), sort_keys=True), link=link,
                 account_id=account_id, needs_action=needs_action, safety_critical=safety_critical,
                 incident_id=incident_id, created_at=now)
    db.add(new)
    db.flush()
    recipient = rules.recipients(db, [person_id])[person_id]
    for delivery in rules.plan(new, recipient, now):
        db.add(delivery)
    return new


def params_of(update_: Update) -> dict:
    return json.loads(update_.params)


def updates_for(db: Session, person_id: int, *, limit: int = 20, offset: int = 0) -> list[Update]:
    """Newest first."""
    return list(db.exec(select(Update).where(Update.person_id == person_id)
                        .order_by(col(Update.created_at).desc(), col(Update.id).desc())
                        .offset(offset).limit(limit)).all())


def update_for(db: Session, person_id: int, update_id: int) -> Update | None:
    """One update, only if it is this person's."""
    found = db.get(Update, update_id)
    return found if found is not None and found.person_id == person_id else None


def unseen_count(db: Session, person_id: int) -> int:
    return db.exec(select(func.count()).select_from(Update).where(
        Update.person_id == person_id, col(Update.seen_at).is_(None))).one()


def mark_seen(db: Session, update_: Update, now: dt.datetime | None = None) -> None:
    if update_.seen_at is None:
        update_.seen_at = now or utcnow()
        db.add(update_)


def mark_all_seen(db: Session, person_id: int, now: dt.datetime | None = None) -> int:
    return db.exec(update(Update).where(col(Update.person_id) == person_id,
                                        col(Update.seen_at).is_(None))
                   .values(seen_at=now or utcnow())).rowcount


def open_update(db: Session, update_: Update) -> None:
    """The person opened an update: it counts as seen from now (its own commit)."""
    mark_seen(db, update_)
    db.commit()


def see_all(db: Session, person_id: int) -> int:
    """"Mark all as seen", in its own commit."""
    seen = mark_all_seen(db, person_id)
    db.commit()
    return seen


def ask_to_stop_reminders(db: Session, update_: Update, actor_person_id: int) -> int:
    """The person pressed "Stop reminders": stopped and logged once, in one commit."""
    stopped = stop_reminders(db, update_, actor_person_id)
    db.commit()
    return stopped


def stop_reminders(db: Session, update_: Update, actor_person_id: int,
                   now: dt.datetime | None = None) -> int:
    """The person asked us to stop reminding them about this: the later steps will not be sent.
    Asking twice, even at the same moment, stops and logs it once."""
    first_time = db.exec(update(Update).where(
        col(Update.id) == update_.id, col(Update.reminders_stopped_at).is_(None))
        .values(reminders_stopped_at=now or utcnow())).rowcount
    db.refresh(update_)
    if not first_time:
        return 0
    stopped = stop_ladder(db, update_, note="stopped by the customer")
    activity.record(db, actor_person_id=actor_person_id, subject_account_id=update_.account_id,
                    action="update_reminders_stopped", detail=f"update {update_.id}")
    return stopped


def stop_ladder(db: Session, update_: Update, note: str) -> int:
    """Skip the escalation steps still waiting. Returns how many were stopped."""
    return db.exec(update(Delivery).where(
        col(Delivery.update_id) == update_.id, col(Delivery.step) > 0,
        col(Delivery.status) == DeliveryStatus.waiting).values(status=DeliveryStatus.skipped,
                                                          note=note)).rowcount
