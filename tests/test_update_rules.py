"""Who hears about an update, on which channels, and when: defaults, quiet hours, the daily cap and
its digest, safety-critical messages, and the escalation ladder. Every moment is frozen: the worker's
steps are called with the `now` each test chooses."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from portal.accounts.models import Bill
from portal.activity.models import ActivityEntry
from portal.clock import aware
from portal.identity.models import Person
from portal.needs.models import CommunicationNeeds
from portal.notify.models import OutboxMessage
from portal.settings import Settings
from portal.updates import delivery, rules, service
from portal.updates.models import (
    DeliveryChannel,
    DeliveryStatus,
    Update,
    UpdateKind,
)
from tests import factories
from tests.helpers import ZONE, at, deliver, deliveries, incident_update, prefer, today

PORTAL, EMAIL, TEXT = DeliveryChannel.portal, DeliveryChannel.email, DeliveryChannel.text


def late_bill_update(db: Session, person: Person, now: dt.datetime) -> Update:
    """A late bill, which needs paying: it climbs the ladder."""
    account = factories.account_of(db, person)
    bill = factories.bill(db, account, ends_on=today() - dt.timedelta(days=40))
    made = service.create_update(db, person_id=person.id, kind=UpdateKind.bills, message="bill_overdue",
                                 source_key=f"bill-overdue:{bill.id}", params={"bill_id": bill.id},
                                 link=f"/account/bills/{bill.reference}", account_id=account.id,
                                 needs_action=True, now=now)
    assert made is not None
    db.commit()
    return made


def digests(app: FastAPI, settings: Settings, now: dt.datetime, worker: str = "worker-1") -> int:
    return delivery.send_digests(app.state.engine, settings, worker_id=worker, now=now)


def outbox(db: Session, person: Person | None = None) -> list[OutboxMessage]:
    db.expire_all()
    messages = db.exec(select(OutboxMessage).where(col(OutboxMessage.delivery_id).is_not(None))
                       .order_by(col(OutboxMessage.id))).all()
    if person is None:
        return list(messages)
    return [m for m in messages if m.to in (person.email, person.phone)]


def test_by_default_the_portal_and_email_and_never_offers(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    news = incident_update(db, person, "Low water pressure in NF2", now)
    assert set(deliveries(db, news)) == {(PORTAL, 0), (EMAIL, 0)}
    offer = service.create_update(db, person_id=person.id, kind=UpdateKind.offers, message="offer",
                                  source_key="offer:1", now=now)
    db.commit()
    assert offer is not None and set(deliveries(db, offer)) == {(PORTAL, 0)}

    deliver(app, settings, now)
    sent = deliveries(db, news)
    assert sent[PORTAL, 0].status is DeliveryStatus.sent and sent[EMAIL, 0].status is DeliveryStatus.sent
    [email] = outbox(db, person)
    assert email.channel == "email" and email.to == person.email
    assert email.delivery_id == sent[EMAIL, 0].id
    assert email.subject == "Low water pressure in NF2"
    assert "Use bottled water." in email.body
    assert "http://testserver/status" in email.body  # A link that works from an email.
    assert "Talk to a person" in email.body and settings.help.phone in email.body
    assert email.html == ""  # Plain text, unless large print helps.

    assert deliver(app, settings, now + dt.timedelta(minutes=5))["sent"] == 0  # Each once only.
    assert len(outbox(db, person)) == 1


def test_text_too_for_someone_who_said_text_suits_them(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    db.add(CommunicationNeeds(person_id=person.id, preferred_channel="text"))
    db.commit()
    news = incident_update(db, person, "No water in parts of NF2", now)
    assert set(deliveries(db, news)) == {(PORTAL, 0), (EMAIL, 0), (TEXT, 0)}

    deliver(app, settings, now)
    [text] = [m for m in outbox(db, person) if m.channel == "sms"]
    assert text.to == person.phone
    assert text.body.startswith("No water in parts of NF2.") and len(text.body) <= delivery.TEXT_LIMIT
    assert "http://testserver/status" in text.body and settings.help.phone in text.body


def test_quiet_hours_can_cross_midnight() -> None:
    quiet = rules.default_preferences()  # 21:00 to 08:00.
    day = today()
    for hour, minute, inside in [(20, 59, False), (21, 0, True), (23, 30, True), (2, 0, True),
                                 (7, 59, True), (8, 0, False), (12, 0, False)]:
        assert rules.in_quiet_hours(quiet, at(day, hour, minute), ZONE) is inside, (hour, minute)
    assert rules.quiet_ends_at(quiet, at(day, 23, 30), ZONE) == at(day + dt.timedelta(days=1), 8)
    assert rules.quiet_ends_at(quiet, at(day, 2), ZONE) == at(day, 8)

    lunch = rules.Preferences(channels={}, quiet_from=dt.time(13), quiet_until=dt.time(14))
    assert rules.in_quiet_hours(lunch, at(day, 13, 30), ZONE)
    assert not rules.in_quiet_hours(lunch, at(day, 23), ZONE)
    never = rules.Preferences(channels={}, quiet_from=None, quiet_until=None)
    assert not rules.in_quiet_hours(never, at(day, 3), ZONE)


def test_email_in_quiet_hours_waits_until_they_end(app: FastAPI, db: Session, settings) -> None:
    person, late = factories.customer(db), at(today(), 22, 30)
    news = incident_update(db, person, "Water off in NF2 tonight", late)

    deliver(app, settings, late)
    waiting = deliveries(db, news)
    assert waiting[PORTAL, 0].status is DeliveryStatus.sent  # The portal is never quiet.
    assert waiting[EMAIL, 0].status is DeliveryStatus.waiting
    assert aware(waiting[EMAIL, 0].due_at) == at(today() + dt.timedelta(days=1), 8)
    assert outbox(db, person) == []

    deliver(app, settings, at(today() + dt.timedelta(days=1), 7, 59))
    assert outbox(db, person) == []
    deliver(app, settings, at(today() + dt.timedelta(days=1), 8))
    assert [m.subject for m in outbox(db, person)] == ["Water off in NF2 tonight"]


def test_someone_with_no_quiet_hours_hears_at_night(app: FastAPI, db: Session, settings) -> None:
    person, night = factories.customer(db), at(today(), 23)
    prefer(db, person, quiet=None)
    incident_update(db, person, "Water off in NF2 tonight", night)
    deliver(app, settings, night)
    assert len(outbox(db, person)) == 1


def test_over_the_daily_cap_waits_for_one_digest_next_morning(app: FastAPI, db: Session,
                                                               settings) -> None:
    person, morning = factories.customer(db), at(today(), 10)
    prefer(db, person, daily_cap=2)
    titles = ["Burst pipe on Mill Lane", "Road works on Mill Lane", "Gas smell checked in NF2",
              "Power cut in NF2"]
    made = [incident_update(db, person, title, morning) for title in titles]

    counts = deliver(app, settings, morning)
    assert counts["held"] == 2
    assert [m.subject for m in outbox(db, person)] == titles[:2]
    held = [deliveries(db, u)[EMAIL, 0] for u in made[2:]]
    assert all(d.status is DeliveryStatus.held for d in held)
    assert all(deliveries(db, u)[PORTAL, 0].status is DeliveryStatus.sent for u in made)  # No cap.

    assert digests(app, settings, at(today(), 23)) == 0
    next_morning = at(today() + dt.timedelta(days=1), 8)
    assert digests(app, settings, next_morning - dt.timedelta(minutes=1)) == 0
    assert digests(app, settings, next_morning) == 1
    assert digests(app, settings, next_morning, worker="worker-2") == 0  # Once, whoever asks.
    digest = outbox(db, person)[-1]
    assert digest.subject == "2 updates for you"
    assert "Gas smell checked in NF2" in digest.body and "Power cut in NF2" in digest.body
    assert "http://testserver/updates" in digest.body
    assert all(deliveries(db, u)[EMAIL, 0].status is DeliveryStatus.digested for u in made[2:])

    # A new day: the cap starts again.
    later = incident_update(db, person, "Water back on", at(today() + dt.timedelta(days=1), 10))
    deliver(app, settings, at(today() + dt.timedelta(days=1), 10))
    assert deliveries(db, later)[EMAIL, 0].status is DeliveryStatus.sent


def test_safety_critical_ignores_quiet_hours_and_the_cap(app: FastAPI, db: Session, settings) -> None:
    person = factories.customer(db)
    prefer(db, person, daily_cap=1)
    incident_update(db, person, "Road works on Mill Lane", at(today(), 10))
    deliver(app, settings, at(today(), 10))
    night = at(today(), 23, 15)
    danger = incident_update(db, person, "Gas leak in NF2: leave your home", night, safety_critical=True)
    deliver(app, settings, night)
    assert deliveries(db, danger)[EMAIL, 0].status is DeliveryStatus.sent
    assert outbox(db, person)[-1].subject == "Gas leak in NF2: leave your home"


def ladder_log(db: Session) -> list[str]:
    db.expire_all()
    return [e.action for e in db.exec(select(ActivityEntry).where(
        col(ActivityEntry.action).startswith("update_")).order_by(col(ActivityEntry.id)))]


def test_something_to_do_climbs_the_ladder(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    prefer(db, person, channels={"bills": ["email", "text"]})
    bill = late_bill_update(db, person, now)
    assert set(deliveries(db, bill)) == {(PORTAL, 0), (EMAIL, 0), (TEXT, 1),
                                         (PORTAL, 2), (EMAIL, 2), (TEXT, 2)}

    deliver(app, settings, now)
    assert [m.channel for m in outbox(db, person)] == ["email"]  # The lowest rung first.
    deliver(app, settings, now + dt.timedelta(hours=23))
    assert len(outbox(db, person)) == 1  # Not a day yet.

    deliver(app, settings, now + dt.timedelta(days=1))  # Not seen, not paid: the next rung up.
    reminder = outbox(db, person)[-1]
    assert reminder.channel == "sms" and reminder.body.startswith("Reminder: Your bill is late.")
    assert deliveries(db, bill)[TEXT, 1].status is DeliveryStatus.sent
    assert ladder_log(db) == ["update_reminder_sent"]
    entry = db.exec(select(ActivityEntry).where(ActivityEntry.action == "update_reminder_sent")).one()
    assert entry.actor_person_id is None and entry.subject_account_id == bill.account_id

    deliver(app, settings, now + dt.timedelta(days=2, hours=23))
    assert len(outbox(db, person)) == 2
    deliver(app, settings, now + dt.timedelta(days=3))  # Still not paid: we offer to call.
    offers = outbox(db, person)[2:]
    assert sorted(m.channel for m in offers) == ["email", "sms"]
    assert all("We can call you about this" in (m.subject or m.body) for m in offers)
    email = next(m for m in offers if m.channel == "email")
    assert "http://testserver/help/callback" in email.body
    assert deliveries(db, bill)[PORTAL, 2].status is DeliveryStatus.sent
    assert ladder_log(db).count("update_callback_offered") == 3


def test_the_same_channels_again_when_there_is_no_next_rung(app: FastAPI, db: Session) -> None:
    person, now = factories.customer(db), at(today(), 10)
    bill = late_bill_update(db, person, now)  # Email only, the default.
    assert set(deliveries(db, bill)) == {(PORTAL, 0), (EMAIL, 0), (PORTAL, 1), (EMAIL, 1),
                                         (PORTAL, 2), (EMAIL, 2)}
    reminder = deliveries(db, bill)[EMAIL, 1]
    assert aware(reminder.due_at) == now + dt.timedelta(days=1)


def seen(db: Session, update: Update, when: dt.datetime) -> None:
    service.mark_seen(db, update, when)


def paid(db: Session, update: Update, when: dt.datetime) -> None:
    bill = db.get(Bill, service.params_of(update)["bill_id"])
    assert bill is not None
    bill.paid_on = today()
    db.add(bill)


def stopped(db: Session, update: Update, when: dt.datetime) -> None:
    update.reminders_stopped_at = when  # As if the worker claimed the step before the ladder stopped.


def done(db: Session, update: Update, when: dt.datetime) -> None:
    update.done_at = when


@pytest.mark.parametrize(("event", "reason", "offer_sent"), [
    (seen, "seen", True), (paid, "nothing left to do", False),
    (stopped, "stopped by the customer", False), (done, "done", False)])
def test_the_ladder_stops(app: FastAPI, db: Session, settings, event, reason, offer_sent) -> None:
    person, now = factories.customer(db), at(today(), 10)
    bill = late_bill_update(db, person, now)
    deliver(app, settings, now)
    event(db, bill, now + dt.timedelta(hours=2))
    db.add(bill)
    db.commit()

    deliver(app, settings, now + dt.timedelta(days=1))
    steps = deliveries(db, bill)
    assert steps[EMAIL, 1].status is DeliveryStatus.skipped and steps[EMAIL, 1].note == reason
    assert steps[PORTAL, 1].status is DeliveryStatus.skipped
    assert len(outbox(db, person)) == 1
    assert ladder_log(db) == ["update_reminder_stopped"] * 2

    deliver(app, settings, now + dt.timedelta(days=3))
    offer = deliveries(db, bill)[EMAIL, 2]
    assert (offer.status is DeliveryStatus.sent) is offer_sent  # Seen, but still not paid: offer a call.
    assert len(outbox(db, person)) == (2 if offer_sent else 1)


def test_asking_to_stop_reminders_stops_the_ladder(app: FastAPI, db: Session, settings) -> None:
    person, now = factories.customer(db), at(today(), 10)
    bill = late_bill_update(db, person, now)
    deliver(app, settings, now)
    service.stop_reminders(db, bill, person.id, now + dt.timedelta(hours=1))
    db.commit()
    deliver(app, settings, now + dt.timedelta(days=4))
    assert len(outbox(db, person)) == 1
    assert {d.status for (_, step), d in deliveries(db, bill).items() if step > 0} == {
        DeliveryStatus.skipped}
