"""Queue email, SMS and push in the outbox, tell people things in their account, and send the outbox.

The outbox is a durable job queue: see `deliver_pending`."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from sqlalchemy import ColumnElement, Engine, or_
from sqlmodel import Session, col, select, update

from portal import i18n
from portal.clock import utcnow
from portal.db import id_of
from portal.identity.models import Person
from portal.notify import channels
from portal.notify.models import InboxMessage, OutboxMessage
from portal.settings import Settings

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 8  # 1+2+4+...+64 minutes: about two hours of trying before giving up.
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
BATCH = 20  # Messages claimed at once.
MAX_BATCHES = 50  # Per call, so the worker's other jobs get their turn.


def queue_email(db: Session, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(channel="email", to=to, subject=subject, body=body)
    db.add(message)
    return message


def queue_sms(db: Session, to: str, body: str) -> OutboxMessage:
    message = OutboxMessage(channel="sms", to=to, body=body)
    db.add(message)
    return message


def tell(db: Session, person: Person, subject: str, body: str) -> None:
    """A message in their account and, where we have one, an email. In the caller's transaction."""
    db.add(InboxMessage(person_id=id_of(person), subject=subject, body=body))
    if person.email:
        queue_email(db, person.email, subject, body)


def tell_person(db: Session, person_id: int | None, subject: Callable[[], str],
                body: Callable[[], str]) -> None:
    """`tell`, in the person's own language: the words come as functions, made once the language is
    set. Nobody to tell (no id, or no such person): nothing happens."""
    person = db.get(Person, person_id) if person_id else None
    if person is not None:
        with i18n.speaking(person.preferred_language):
            tell(db, person, subject(), body())


def recent_messages(db: Session, person_id: int, limit: int = 5) -> list[InboxMessage]:
    return list(db.exec(select(InboxMessage).where(InboxMessage.person_id == person_id)
                        .order_by(col(InboxMessage.id).desc()).limit(limit)).all())


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait after the `attempts`th failure: 1, 2, 4, 8... minutes, at most an hour."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _claimable(now: dt.datetime) -> tuple[ColumnElement[bool], ...]:
    return (col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.failed_at).is_(None),
            or_(col(OutboxMessage.claimed_until).is_(None), col(OutboxMessage.claimed_until) < now),
            or_(col(OutboxMessage.next_attempt_at).is_(None), col(OutboxMessage.next_attempt_at) <= now))


def deliver_pending(engine: Engine, settings: Settings, now: dt.datetime | None = None) -> int:
    """Send what waits in the outbox on channels with a real provider (see channels.py); returns how
    many were sent. Safe with several workers at once.

    Messages are claimed a few at a time with one conditional UPDATE that re-checks that each is
    unsent and free (on PostgreSQL the candidates are locked with SKIP LOCKED, so workers take
    different ones); the rows it returns are this worker's. Each is sent, then marked sent. A failure
    is tried again after `retry_delay`, up to MAX_ATTEMPTS times, then marked failed.

    So a message is sent once for each successful claim. Only a worker that dies after the provider
    took a message and before marking it sent can lead to a second copy, once its claim runs out;
    a worker stops sending a batch when half its claim time has gone, so a slow server cannot."""
    providers = channels.drivers(settings, engine)
    sending = sorted({"email", "sms", "push"} - providers.waiting_channels())
    if not sending:
        return 0
    clock = (lambda: now) if now is not None else utcnow
    claim_for = dt.timedelta(seconds=settings.worker.claim_seconds)
    sent = 0
    with providers.session(), Session(engine, expire_on_commit=False) as db:
        for _ in range(MAX_BATCHES):
            started = time.monotonic()
            claimed = _claim(db, sending, clock(), claim_for)
            for message in claimed:
                if time.monotonic() - started > claim_for.total_seconds() / 2:
                    break  # The rest are free again when the claim runs out.
                sent += _send_one(db, providers, message, clock)
            if len(claimed) < BATCH:
                break
    return sent


def _claim(db: Session, sending: list[str], now: dt.datetime,
           claim_for: dt.timedelta) -> list[OutboxMessage]:
    """Up to BATCH messages that this worker won."""
    chosen = select(OutboxMessage.id).where(col(OutboxMessage.channel).in_(sending), *_claimable(now))
    chosen = chosen.order_by(col(OutboxMessage.id)).limit(BATCH)
    if db.get_bind().dialect.name == "postgresql":  # See portal/updates/delivery.py one_batch.
        picked = chosen.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
        chosen = select(picked.c.id)
    won = db.scalars(update(OutboxMessage)
                     .where(col(OutboxMessage.id).in_(chosen), *_claimable(now))
                     .values(claimed_until=now + claim_for)
                     .returning(col(OutboxMessage.id))).all()
    claimed = list(db.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(won))
                           .order_by(col(OutboxMessage.id))).all()) if won else []
    db.commit()  # Nothing stays open while sending.
    return claimed


def _send_one(db: Session, providers: channels.Drivers, message: OutboxMessage,
              clock: Callable[[], dt.datetime]) -> int:
    attempts = message.attempts + 1
    try:
        if message.channel == "email":
            providers.email.send(to=message.to, subject=message.subject, body=message.body,
                                 html=message.html)
        elif message.channel == "sms":
            providers.sms.send(to=message.to, body=message.body)
        elif message.channel == "push":
            providers.push.send(to=message.to, title=message.subject, body=message.body, url=message.link)
        else:
            raise channels.Unsendable(f"Unknown channel {message.channel!r}")
    # Any error at all is this message's failure: it must never stop the rest of the batch, nor
    # leave the message claimed, to be claimed again and fail again for ever.
    except Exception as error:
        now = clock()
        gave_up = attempts >= MAX_ATTEMPTS or isinstance(error, channels.Unsendable)
        # The log says which message and what kind of error; the row keeps the error's text.
        logger.warning("Outbox message %s (%s) not sent, attempt %d%s: %s", message.id, message.channel,
                       attempts, ", giving up" if gave_up else "", channels.log_safe(error))
        values: dict[str, object] = {"attempts": attempts, "claimed_until": None,
                                     "last_error": _error_text(error)[:500]}
        values.update({"failed_at": now} if gave_up else {"next_attempt_at": now + retry_delay(attempts)})
        _finish(db, message, values)
        return 0
    _finish(db, message, {"attempts": attempts, "claimed_until": None, "sent_at": clock(),
                              "next_attempt_at": None, "last_error": ""})
    return 1


def _error_text(error: Exception) -> str:
    """For the outbox row, which holds the address anyway: what went wrong, in full."""
    return str(error) if isinstance(error, channels.SendError) else f"{type(error).__name__}: {error}"


def _finish(db: Session, message: OutboxMessage, values: dict[str, object]) -> None:
    db.exec(update(OutboxMessage).where(
        col(OutboxMessage.id) == message.id).values(**values))
    db.commit()
