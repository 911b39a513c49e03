"""Delivering updates: deliveries are durable jobs that workers claim, check against the rules, and
hand to the portal or to the outbox.

Claiming: one conditional UPDATE takes a batch of due deliveries that nobody holds (or whose holder's
claim ran out, because that worker died), and the UPDATE itself re-checks those conditions, so two
workers never both get one, on SQLite or PostgreSQL. The batch is then decided in memory (by the
rules) and written in one transaction, by conditional UPDATEs that only change the deliveries this
worker still holds. Held deliveries (over the daily cap) are claimed a person at a time when their
digest is due, so each goes in one digest.

"Exactly once" means: each delivery ends in one final state, and an email, text or push delivery
is written to the outbox as ONE message (`outbox_message.delivery_id` is unique), in the same
transaction that marks it sent. The outbox (portal/notify/service.py) then sends each message once
for each successful claim, retrying with backoff while the provider fails; only a worker that dies
after the provider took a message and before recording it can make a second copy.

The rules (portal/updates/rules.py) decide the rest: escalation steps check whether they are still
needed; quiet hours move a delivery to when they end; over the daily cap, it is held for the digest.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

from jinja2 import Environment
from sqlalchemy import ColumnElement, Engine, Select, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update

from portal.activity import service as activity
from portal.broker import Broker
from portal.clock import utcnow
from portal.db import id_of
from portal.i18n import gettext, speaking
from portal.notify.models import OutboxMessage
from portal.settings import Settings
from portal.updates import messages, rules, service, sources
from portal.updates.models import Delivery, DeliveryChannel, DeliveryStatus, Update

logger = logging.getLogger(__name__)

BATCH = 100
MAX_BATCHES = 50  # Per pass, so digests and the outbox get their turn; the next pass goes on.
MAX_ATTEMPTS = 5  # Claims that did not finish (a worker died, or an error) before giving up.
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=1)
TEXT_LIMIT = 320  # Two SMS segments.
PUSH_LIMIT = 240
OUTBOX_CHANNEL = {DeliveryChannel.email: "email", DeliveryChannel.text: "sms",
                  DeliveryChannel.push: "push"}
CAPPED = tuple(OUTBOX_CHANNEL)  # The channels quiet hours and the daily cap apply to.
UNREACHABLE = {DeliveryChannel.email: "no email address", DeliveryChannel.text: "no phone number",
               DeliveryChannel.push: "no push subscription"}
# Activity log actions for the escalation steps (step: sent, stopped).
LADDER_ACTIONS = {1: ("update_reminder_sent", "update_reminder_stopped"),
                  2: ("update_callback_offered", "update_callback_offer_stopped")}
STEP_NAMES = {0: "first message", 1: "reminder", 2: "callback offer"}


def new_worker_id() -> str:
    """Names the claims of one worker: host, process and a random part (for several per process)."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{secrets.token_hex(3)}"[:40]


def retry_delay(attempts: int) -> dt.timedelta:
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


# What can happen to a delivery in one pass. "deferred": moved to the end of quiet hours, or to
# after a failure; "lost": another worker took it over (this worker's claim had run out).
OUTCOMES = ("sent", "held", "skipped", "deferred", "failed", "lost")


# Claiming


def _free(now: dt.datetime) -> ColumnElement[bool]:
    return or_(col(Delivery.claimed_until).is_(None), col(Delivery.claimed_until) < now)


def one_batch(db: Session, chosen: Select[Any]) -> Select[Any]:
    """The ids `chosen` picks (a SELECT of ids with a LIMIT), picked once, for an UPDATE's WHERE.

    On PostgreSQL the candidates are locked with SKIP LOCKED, so workers claiming at the same time
    take different rows, and picked in a MATERIALIZED CTE: as a plain subquery the planner may run
    it again for each row it updates, and the LIMIT would no longer limit anything."""
    if db.get_bind().dialect.name != "postgresql":
        return chosen
    picked = chosen.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
    return select(picked.c[0])


def _claim(db: Session, conditions: Sequence[ColumnElement[bool]], worker_id: str, now: dt.datetime,
           claim_for: dt.timedelta, limit: int) -> list[int]:
    """Claim up to `limit` deliveries meeting `conditions` (which must include `_free(now)`)."""
    chosen = select(Delivery.id).where(*conditions).order_by(col(Delivery.due_at), col(Delivery.id))
    chosen_ids = one_batch(db, chosen.limit(limit))
    # The outer WHERE checks the conditions again: a row another worker claimed meanwhile is left.
    claimed = db.scalars(update(Delivery)
                         .where(col(Delivery.id).in_(chosen_ids), *conditions)
                         .values(claimed_by=worker_id, claimed_until=now + claim_for,
                                 attempts=Delivery.attempts + 1)
                         .returning(col(Delivery.id))).all()
    db.commit()
    return sorted(id_ for id_ in claimed if id_ is not None)


def claim_due(engine: Engine, worker_id: str, now: dt.datetime, claim_for: dt.timedelta,
              limit: int = BATCH) -> list[int]:
    """Claim waiting deliveries that are due."""
    with Session(engine) as db:
        return _claim(db, (col(Delivery.status) == DeliveryStatus.waiting, col(Delivery.due_at) <= now,
                           _free(now)), worker_id, now, claim_for, limit)


def _finish(db: Session, delivery_ids: Sequence[int], worker_id: str, from_status: DeliveryStatus, /,
            **values: Any) -> int:
    """Change deliveries this worker holds that are still `from_status`; returns how many."""
    return db.exec(update(Delivery).where(
        col(Delivery.id).in_(delivery_ids), col(Delivery.status) == from_status,
        col(Delivery.claimed_by) == worker_id).values(claimed_until=None, **values)).rowcount


# Delivering


def deliver_due(engine: Engine, settings: Settings, *, worker_id: str, now: dt.datetime | None = None,
                broker: Broker | None = None) -> dict[str, int]:
    """Claim and deliver due deliveries, a batch at a time. Returns counts by outcome."""
    clock = (lambda: now) if now is not None else utcnow
    claim_for = dt.timedelta(seconds=settings.worker.claim_seconds)
    counts: Counter[str] = Counter({name: 0 for name in OUTCOMES})
    for _ in range(MAX_BATCHES):
        moment = clock()
        claimed = claim_due(engine, worker_id, moment, claim_for)
        if not claimed:
            break
        counts.update(deliver_claimed(engine, settings, claimed, worker_id, clock(), broker))
    return dict(counts)


def deliver_claimed(engine: Engine, settings: Settings, delivery_ids: Sequence[int], worker_id: str,
                    now: dt.datetime, broker: Broker | None = None) -> Counter[str]:
    """Deliver claimed deliveries in one transaction; if that fails, one at a time. Deliveries that
    raise are tried again later (`retry_delay`), up to MAX_ATTEMPTS claims."""
    try:
        with Session(engine) as db:
            done = _deliver_together(db, settings, delivery_ids, worker_id, now)
            db.commit()
        batches = [done]
    except Exception as error:
        if len(delivery_ids) == 1:
            logger.exception("Delivery %s failed", delivery_ids[0])
            batches = [Batch(errors=[(delivery_ids[0], type(error).__name__)])]
        else:
            logger.exception("A batch of deliveries failed together; trying them one at a time")
            batches = [deliver_claimed_one(engine, settings, one, worker_id, now) for one in delivery_ids]
    counts: Counter[str] = Counter()
    for batch in batches:
        counts.update(batch.outcomes)
        if broker is not None:
            for person_id, update_id in batch.announce:
                _publish(broker, person_id, update_id)
        for delivery_id, error_name in batch.errors:
            counts[_retry_later(engine, delivery_id, worker_id, now, error_name)] += 1
    return counts


def deliver_claimed_one(engine: Engine, settings: Settings, delivery_id: int, worker_id: str,
                        now: dt.datetime) -> Batch:
    try:
        with Session(engine) as db:
            done = _deliver_together(db, settings, [delivery_id], worker_id, now)
            db.commit()
            return done
    except Exception as error:
        logger.exception("Delivery %s failed", delivery_id)
        return Batch(errors=[(delivery_id, type(error).__name__)])


@dataclass
class Batch:
    """What happened to a batch: outcomes, portal updates to announce, and deliveries that raised."""

    outcomes: Counter[str] = field(default_factory=Counter)
    announce: list[tuple[int, int]] = field(default_factory=list)  # (person, update)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (delivery, error name)


class Outgoing(TypedDict):
    """An outbox message's fields; the ones left out keep the model's defaults. `compose` leaves out
    the address ("to"), which is added for each person."""

    channel: str
    body: str
    to: NotRequired[str]
    subject: NotRequired[str]
    html: NotRequired[str]
    link: NotRequired[str]


@dataclass(frozen=True)
class Decision:
    outcome: str  # One of OUTCOMES.
    values: tuple[tuple[str, Any], ...]  # Columns to set on the delivery.
    outgoing: Outgoing | None = None  # Outbox message fields, for email, text and push.
    log: str | None = None  # For the ladder's activity log: why it stopped ("" when it was sent).


def _decision(outcome: str, *, log: str | None = None, outgoing: Outgoing | None = None,
              **values: Any) -> Decision:
    return Decision(outcome, tuple(sorted(values.items())), outgoing, log)


def _deliver_together(db: Session, settings: Settings, delivery_ids: Sequence[int], worker_id: str,
                      now: dt.datetime) -> Batch:
    """Decide what to do with each delivery, then write the decisions with one conditional UPDATE
    per kind of decision (only rows this worker still holds change). The caller commits."""
    batch = Batch()
    deliveries = list(db.exec(select(Delivery).where(
        col(Delivery.id).in_(delivery_ids), col(Delivery.status) == DeliveryStatus.waiting,
        col(Delivery.claimed_by) == worker_id).order_by(col(Delivery.id))).all())
    batch.outcomes["lost"] += len(set(delivery_ids)) - len(deliveries)
    updates = {u.id: u for u in db.exec(select(Update).where(
        col(Update.id).in_({d.update_id for d in deliveries}))).all()}
    people = rules.recipients(db, {d.person_id for d in deliveries})
    today = sent_today(db, {d.person_id for d in deliveries if d.channel in CAPPED}, now,
                       settings.time_zone)
    renders: dict[tuple[object, ...], Outgoing] = {}
    decided: dict[tuple[tuple[str, Any], ...], list[tuple[Delivery, Decision]]] = defaultdict(list)
    for delivery in deliveries:
        delivery_id = id_of(delivery)
        try:
            decision = decide(db, settings, delivery, updates.get(delivery.update_id),
                              people.get(delivery.person_id), now, today, renders)
        except Exception as error:  # One bad delivery must not stop the others.
            logger.exception("Delivery %s failed", delivery_id)
            batch.errors.append((delivery_id, type(error).__name__))
            continue
        decided[decision.values].append((delivery, decision))

    for values, members in decided.items():
        changed = set(db.scalars(update(Delivery)
                                 .where(col(Delivery.id).in_([d.id for d, _ in members]),
                                        col(Delivery.status) == DeliveryStatus.waiting,
                                        col(Delivery.claimed_by) == worker_id)
                                 .values(claimed_until=None, **dict(values))
                                 .returning(col(Delivery.id))).all())
        for delivery, decision in members:
            if delivery.id not in changed:
                batch.outcomes["lost"] += 1  # Another worker took it over.
                continue
            batch.outcomes[decision.outcome] += 1
            if decision.outgoing:
                db.add(OutboxMessage(delivery_id=delivery.id, created_at=now, **decision.outgoing))
            update_ = updates.get(delivery.update_id)
            if decision.log is not None and update_ is not None:
                _log_step(db, delivery, update_, sent=decision.outcome == "sent", reason=decision.log)
            if decision.outcome == "sent" and delivery.channel is DeliveryChannel.portal:
                batch.announce.append((delivery.person_id, delivery.update_id))
    return batch


def decide(db: Session, settings: Settings, delivery: Delivery, update_: Update | None,
           recipient: rules.Recipient | None, now: dt.datetime, today: dict[int, int],
           renders: dict[tuple[object, ...], Outgoing]) -> Decision:
    """What to do with one delivery now, by the rules. `today` (email, text and push messages sent
    today, by person) is counted on as messages are decided; `renders` keeps messages already
    written in this batch (thousands of people told about one incident share one text)."""
    ladder = delivery.step > 0
    if update_ is None or recipient is None:
        return _decision("skipped", status=DeliveryStatus.skipped, note="gone")
    if delivery.attempts > MAX_ATTEMPTS:
        return _decision("failed", status=DeliveryStatus.failed, note="gave up after too many tries")
    if ladder:
        reason = ladder_stop_reason(db, update_, delivery.step, now, settings.time_zone)
        if reason:
            return _decision("skipped", log=reason, status=DeliveryStatus.skipped, note=reason)
    if delivery.channel is DeliveryChannel.portal:
        return _decision("sent", log="" if ladder else None, status=DeliveryStatus.sent, sent_at=now)
    if not recipient.can_reach(delivery.channel):
        reason = UNREACHABLE[delivery.channel]
        return _decision("skipped", log=reason if ladder else None, status=DeliveryStatus.skipped,
                         note=reason)
    preferences, zone = recipient.preferences, settings.time_zone
    if not update_.safety_critical:
        if rules.in_quiet_hours(preferences, now, zone):
            return _decision("deferred", attempts=0, due_at=rules.quiet_ends_at(preferences, now, zone))
        if rules.over_cap(preferences, today.get(delivery.person_id, 0)):
            return _decision("held", status=DeliveryStatus.held, attempts=0, note="over the daily cap",
                             due_at=rules.digest_time(preferences, now, zone))
    key = (update_.message, update_.params, update_.link, delivery.step, delivery.channel,
           recipient.language, recipient.large_print)
    if key not in renders:
        with speaking(recipient.language):
            rendered = render_step(db, update_, delivery.step, zone)
            renders[key] = compose(settings, delivery.channel, recipient, rendered,
                                   messages.help_link(db, update_),
                                   "callback" if delivery.step == 2 else "update")
    outgoing: Outgoing = {**renders[key], "to": address(delivery.channel, recipient)}
    if delivery.channel is DeliveryChannel.push:  # The notification opens this update's own page.
        outgoing["link"] = absolute(settings, f"/updates/{update_.id}")
    today[delivery.person_id] = today.get(delivery.person_id, 0) + 1
    return _decision("sent", log="" if ladder else None, outgoing=outgoing, status=DeliveryStatus.sent,
                     sent_at=now)


def _retry_later(engine: Engine, delivery_id: int, worker_id: str, now: dt.datetime, error: str) -> str:
    with Session(engine) as db:
        delivery = db.get(Delivery, delivery_id)
        if delivery is None:
            return "lost"
        if delivery.attempts >= MAX_ATTEMPTS:
            done = _finish(db, [delivery_id], worker_id, DeliveryStatus.waiting,
                           status=DeliveryStatus.failed, note=f"gave up: {error}"[:200])
            outcome = "failed"
        else:
            done = _finish(db, [delivery_id], worker_id, DeliveryStatus.waiting,
                           due_at=now + retry_delay(delivery.attempts), note=error[:200])
            outcome = "deferred"
        db.commit()
        return outcome if done else "lost"


def _publish(broker: Broker, person_id: int, update_id: int) -> None:
    try:
        broker.publish_sync(service.person_channel(person_id), {"type": "update", "id": update_id})
    except Exception:  # The update is saved; the banner only misses a nudge.
        logger.warning("Could not announce update %s", update_id, exc_info=True)


def _log_step(db: Session, delivery: Delivery, update_: Update, *, sent: bool, reason: str = "") -> None:
    """Escalation steps go in the activity log, done by the system (no actor)."""
    if delivery.step not in LADDER_ACTIONS:
        return
    action = LADDER_ACTIONS[delivery.step][0 if sent else 1]
    detail = f"update {update_.id}, {STEP_NAMES[delivery.step]} by {delivery.channel.value}"
    activity.record(db, actor_person_id=None, subject_account_id=update_.account_id, action=action,
                    detail=f"{detail}: {reason}" if reason else detail)


def ladder_stop_reason(db: Session, update_: Update, step: int, now: dt.datetime,
                       time_zone: str) -> str:
    """Why an escalation step is not needed any more, or "" when it is."""
    if update_.done_at is not None:
        return "done"
    if update_.reminders_stopped_at is not None:
        return "stopped by the customer"
    if not sources.still_to_do(db, update_, now, time_zone):
        return "nothing left to do"
    if step == 1 and update_.seen_at is not None:
        return "seen"
    return ""


def sent_today(db: Session, person_ids: Iterable[int], now: dt.datetime, time_zone: str) -> dict[int, int]:
    """Email, text and push messages sent to each person since local midnight."""
    ids = list(person_ids)
    if not ids:
        return {}
    rows = db.exec(select(Delivery.person_id, func.count()).where(
        col(Delivery.person_id).in_(ids), col(Delivery.channel).in_(CAPPED),
        col(Delivery.status) == DeliveryStatus.sent,
        col(Delivery.sent_at) >= rules.start_of_day(now, time_zone)).group_by(col(Delivery.person_id)))
    return {person_id: count for person_id, count in rows.all()}


RENDER_STEP: dict[int, Callable[..., messages.Rendered]] = {
    0: messages.render, 1: messages.render_reminder, 2: messages.render_callback_offer}


def render_step(db: Session, update_: Update, step: int, time_zone: str) -> messages.Rendered:
    return RENDER_STEP.get(step, messages.render)(db, update_, time_zone=time_zone)


# Composing messages


_environments: dict[int, tuple[Settings, Environment]] = {}


def _email_templates(settings: Settings) -> Environment:
    """The Jinja environment for email bodies, made once per settings."""
    from portal.web.templating import make_environment

    found = _environments.get(id(settings))
    if found is None or found[0] is not settings:
        found = _environments[id(settings)] = (settings, make_environment(settings))
    return found[1]


def absolute(settings: Settings, link: str) -> str:
    return settings.base_url.rstrip("/") + (link if link.startswith("/") else f"/{link}")


def compose(settings: Settings, channel: DeliveryChannel, recipient: rules.Recipient,
            rendered: messages.Rendered, help_link: str, purpose: str = "update") -> Outgoing:
    """The outbox fields for one message but its address, in the current language. `purpose` is
    "update", "callback" (the offer of a call) or "digest"; it names the email's link."""
    url = absolute(settings, rendered.link)
    if channel is DeliveryChannel.email:
        subject, text, html = email_parts(settings, rendered, url, absolute(settings, help_link),
                                          large_print=recipient.large_print, purpose=purpose)
        return {"channel": "email", "subject": subject, "body": text, "html": html}
    if channel is DeliveryChannel.text:
        return {"channel": "sms", "body": text_message(settings, rendered, url)}
    return {"channel": "push", "subject": rendered.title[:200], "body": push_text(rendered), "link": url}


def address(channel: DeliveryChannel, recipient: rules.Recipient) -> str:
    if channel is DeliveryChannel.email:
        return recipient.email
    if channel is DeliveryChannel.text:
        return recipient.phone
    return f"person:{recipient.person_id}"  # Push: the provider finds the person's subscriptions.


LINK_TEXT: dict[str, Callable[[], str]] = {
    "update": lambda: gettext("See it on your account"),
    "callback": lambda: gettext("Ask us to call you"),
    "digest": lambda: gettext("See all your updates"),
}


def email_parts(settings: Settings, rendered: messages.Rendered, url: str, help_url: str, *,
                large_print: bool, purpose: str = "update") -> tuple[str, str, str]:
    """Subject, plain text and (for large print) HTML with big text."""
    env = _email_templates(settings)
    context = {"message": rendered, "url": url, "help_url": help_url, "link_text": LINK_TEXT[purpose](),
               "settings_url": absolute(settings, "/updates/settings"),
               "body_lines": [line for line in rendered.body.splitlines() if line.strip()]}
    text = env.get_template("updates/email/update.txt").render(context)
    html = env.get_template("updates/email/update.html").render(context) if large_print else ""
    return rendered.title[:200], text, html


def text_message(settings: Settings, rendered: messages.Rendered, url: str) -> str:
    """A short text (at most TEXT_LIMIT characters): the title, what to do (shortened to fit), the
    link, and a number to call when there is room."""
    title = rendered.title.strip().rstrip(".")
    title = _shorten(title, TEXT_LIMIT - len(url) - 2)
    call = gettext("To talk to a person, call %(phone)s.", phone=settings.help.phone)
    tail = [url, call] if len(title) + len(url) + len(call) + 3 <= TEXT_LIMIT else [url]
    room = TEXT_LIMIT - len(" ".join([f"{title}.", *tail])) - 1
    to_do = _shorten(" ".join(rendered.what_to_do.split()), room) if room > 20 else ""
    return " ".join(part for part in [f"{title}.", to_do, *tail] if part)


def push_text(rendered: messages.Rendered) -> str:
    """A notification's words under its title: what happened and what to do, at most PUSH_LIMIT
    characters (phones show two to four lines)."""
    lines = [" ".join(line.split()) for part in (rendered.body, rendered.what_to_do)
             for line in part.splitlines() if line.strip()]
    return _shorten("\n".join(lines), PUSH_LIMIT)


def _shorten(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    return text[:max(most - 1, 0)].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


# Digests


def send_digests(engine: Engine, settings: Settings, *, worker_id: str,
                 now: dt.datetime | None = None) -> int:
    """Send held deliveries whose digest time has come: one message per person and channel.
    Each person's held deliveries are claimed together, so each goes in one digest only."""
    clock = (lambda: now) if now is not None else utcnow
    claim_for = dt.timedelta(seconds=settings.worker.claim_seconds)
    sent, after = 0, 0
    while True:
        moment = clock()
        due = (col(Delivery.status) == DeliveryStatus.held, col(Delivery.due_at) <= moment,
               _free(moment))
        with Session(engine) as db:
            people = db.exec(select(Delivery.person_id).where(*due, col(Delivery.person_id) > after)
                             .distinct().order_by(col(Delivery.person_id)).limit(BATCH)).all()
        for person_id in people:
            after = person_id
            with Session(engine) as db:
                claimed = _claim(db, (*due, col(Delivery.person_id) == person_id), worker_id, moment,
                                 claim_for, limit=1000)
            if claimed:
                try:
                    sent += send_digest(engine, settings, person_id, claimed, worker_id, clock())
                except Exception:
                    logger.exception("The digest for person %s failed; it is tried again later",
                                     person_id)
        if len(people) < BATCH:
            return sent


def send_digest(engine: Engine, settings: Settings, person_id: int, delivery_ids: list[int],
                worker_id: str, now: dt.datetime) -> int:
    with Session(engine) as db:
        held = list(db.exec(select(Delivery).where(
            col(Delivery.id).in_(delivery_ids), col(Delivery.status) == DeliveryStatus.held,
            col(Delivery.claimed_by) == worker_id).order_by(col(Delivery.id))).all())
        recipient = rules.recipients(db, [person_id]).get(person_id)
        if not held or recipient is None:
            return 0
        preferences = recipient.preferences
        if rules.in_quiet_hours(preferences, now, settings.time_zone):  # They changed their hours.
            _finish(db, delivery_ids, worker_id, DeliveryStatus.held,
                    due_at=rules.quiet_ends_at(preferences, now, settings.time_zone))
            db.commit()
            return 0
        updates = {u.id: u for u in db.exec(select(Update).where(
            col(Update.id).in_({d.update_id for d in held}))).all()}
        by_channel: dict[DeliveryChannel, list[Delivery]] = defaultdict(list)
        for delivery in held:
            update_ = updates.get(delivery.update_id)
            reason = "gone" if update_ is None else (
                ladder_stop_reason(db, update_, delivery.step, now, settings.time_zone)
                if delivery.step > 0 else "")
            if not reason and not recipient.can_reach(delivery.channel):
                reason = UNREACHABLE[delivery.channel]
            if reason:
                _finish(db, [id_of(delivery)], worker_id, DeliveryStatus.held, status=DeliveryStatus.skipped,
                        note=reason)
            else:
                by_channel[delivery.channel].append(delivery)
        sent = 0
        for channel, deliveries in by_channel.items():
            ids = [d.id for d in deliveries if d.id is not None]
            in_digest = list({d.update_id: updates[d.update_id] for d in deliveries}.values())
            with speaking(recipient.language):
                rendered = messages.render_digest(db, in_digest, time_zone=settings.time_zone)
                outgoing = compose(settings, channel, recipient, rendered, messages.HELP, "digest")
            outgoing["to"] = address(channel, recipient)
            if _finish(db, ids, worker_id, DeliveryStatus.held, status=DeliveryStatus.digested,
                       sent_at=now) != len(ids):
                db.rollback()  # Another worker took some over; it sends them.
                return 0
            # One message per digest; it carries the first delivery, so it is written once.
            db.add(OutboxMessage(delivery_id=ids[0], created_at=now, **outgoing))
            sent += 1
        try:
            db.commit()
        except IntegrityError:
            db.rollback()
            return 0
        return sent
