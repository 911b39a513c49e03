"""Where updates come from: the demo people get the updates their accounts call for, once each, and
the ones that need doing stop counting as to do when they are done."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from portal.accounts import usage
from portal.accounts.models import (
    Appointment,
    Bill,
    Case,
    CaseStep,
    CustomerAccount,
    Payment,
    PaymentMethod,
    Service,
    ServiceKind,
)
from portal.clock import aware
from portal.identity.models import Person
from portal.updates import service, sources
from portal.updates.models import Delivery, DeliveryStatus, Update, UsageAlert

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.

ZONE = "Europe/London"


def seeded_today(db: Session) -> dt.date:
    """The day the demo was seeded: Sam was asked for a photo three days before it."""
    step = db.exec(select(CaseStep).where(CaseStep.detail == "photo_needed")).one()
    assert step.happened_on is not None
    return step.happened_on + dt.timedelta(days=3)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A fixed moment on a day, in the organisation's time zone."""
    return dt.datetime.combine(day, dt.time(hour), ZoneInfo(ZONE)).astimezone(dt.UTC)


def person(db: Session, name: str) -> Person:
    return db.exec(select(Person).where(Person.name == name)).one()


def updates_of(db: Session, name: str) -> list[Update]:
    return list(db.exec(select(Update).where(Update.person_id == person(db, name).id)
                        .order_by(col(Update.id))).all())


def messages_of(db: Session, name: str) -> list[str]:
    return [u.message for u in updates_of(db, name)]


def scan(db: Session, now: dt.datetime) -> int:
    made = sources.scan(db, now, ZONE)
    db.commit()
    return made


def test_each_person_gets_what_their_account_calls_for_once(db: Session) -> None:
    now = at(seeded_today(db))
    made = scan(db, now)
    assert made > 0
    assert scan(db, now) == 0, "a second scan tells nobody again"
    assert scan(db, now + dt.timedelta(hours=1)) == 0

    sam = updates_of(db, "Sam Taylor")
    assert sorted(u.message for u in sam) == ["bill_overdue", "case_step"]
    assert all(u.needs_action for u in sam)  # A late bill, and a case waiting for a photo.
    case_update = next(u for u in sam if u.message == "case_step")
    assert case_update.link == "/account/cases/CS-101502-1"
    step = db.get(CaseStep, service.params_of(case_update)["step_id"])
    assert step is not None and step.detail == "photo_needed"  # Not the steps weeks ago.

    assert messages_of(db, "Olu Adeyemi") == ["payment_failed"]
    assert messages_of(db, "Gareth Jones") == []  # Closed case long ago, Direct Debit, in credit.
    amina = updates_of(db, "Amina Haddad")
    assert [u.message for u in amina] == ["case_step"]  # Her order moved on; nothing to do.
    assert not amina[0].needs_action

    every = db.exec(select(Update)).all()
    seeded = 1  # The demo starts with Margaret told about her complaint (demo/update_stories.py).
    assert len({(u.person_id, u.source_key) for u in every}) == len(every) == made + seeded
    for update in every:
        assert update.account_id is not None
        portal = db.exec(select(Delivery).where(Delivery.update_id == update.id,
                                                Delivery.step == 0)).all()
        assert portal, "every update shows in the notification centre"


def test_direct_debit_customers_are_not_told_a_bill_is_due(db: Session) -> None:
    today = seeded_today(db)
    # Olu's and Gareth's next bills fall due within five days, but Direct Debit pays them.
    soon = db.exec(select(Bill, CustomerAccount)
                   .join(CustomerAccount, col(CustomerAccount.id) == Bill.account_id)
                   .where(col(Bill.paid_on).is_(None), Bill.due_on >= today,
                          Bill.due_on <= today + dt.timedelta(days=5))).all()
    assert {account.holder_name for _, account in soon} >= {"Olu Adeyemi", "Gareth Jones"}
    assert all(account.direct_debit for _, account in soon)
    scan(db, at(today))
    assert not db.exec(select(Update).where(Update.message == "bill_due")).all()

    # Margaret pays by bank transfer: she hears five days before her bill is due, not before.
    bill = db.exec(select(Bill).join(CustomerAccount, col(CustomerAccount.id) == Bill.account_id)
                   .where(CustomerAccount.holder_name == "Margaret Price", col(Bill.paid_on).is_(None))).one()
    days_before = (bill.due_on - today).days
    assert days_before > 5
    scan(db, at(bill.due_on - dt.timedelta(days=6)))
    assert "bill_due" not in messages_of(db, "Margaret Price")
    scan(db, at(bill.due_on - dt.timedelta(days=5)))
    told = [u for u in updates_of(db, "Margaret Price") if u.message == "bill_due"]
    assert len(told) == 1 and not told[0].needs_action
    assert told[0].link == f"/account/bills/{bill.reference}"


def test_a_late_bill_is_told_again_as_late(db: Session) -> None:
    bill = db.exec(select(Bill).join(CustomerAccount, col(CustomerAccount.id) == Bill.account_id)
                   .where(CustomerAccount.holder_name == "Margaret Price", col(Bill.paid_on).is_(None))).one()
    scan(db, at(bill.due_on - dt.timedelta(days=2)))
    scan(db, at(bill.due_on + dt.timedelta(days=1)))
    assert [u.message for u in updates_of(db, "Margaret Price") if u.message.startswith("bill")] == [
        "bill_due", "bill_overdue"]


def test_a_visit_is_told_the_day_before(db: Session) -> None:
    today = seeded_today(db)
    visit = db.exec(select(Appointment)).one()  # Amina's smart meter fitting, in five days.
    visit_day = aware(visit.starts_at).astimezone(ZoneInfo(ZONE)).date()
    assert visit_day == today + dt.timedelta(days=5)
    scan(db, at(visit_day - dt.timedelta(days=2), hour=23))
    assert "visit_tomorrow" not in messages_of(db, "Amina Haddad")
    scan(db, at(visit_day - dt.timedelta(days=1), hour=0))  # Just after midnight, the day before.
    told = [u for u in updates_of(db, "Amina Haddad") if u.message == "visit_tomorrow"]
    assert len(told) == 1
    assert service.params_of(told[0]) == {"appointment_id": visit.id}
    assert told[0].link == "/account/cases/OR-100234-1"  # The order page shows the visit.
    scan(db, at(visit_day, hour=7))
    assert len([u for u in updates_of(db, "Amina Haddad") if u.message == "visit_tomorrow"]) == 1


def test_use_over_the_limit_the_customer_set(db: Session) -> None:
    amina = person(db, "Amina Haddad")
    account = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == amina.id)).one()
    electricity, gas = (db.exec(select(Service).where(Service.account_id == account.id,
                                                      Service.kind == kind)).one()
                        for kind in (ServiceKind.electricity, ServiceKind.gas))
    assert electricity.id is not None and gas.id is not None
    used = usage.periods(db, electricity.id, months=1)[-1]
    gas_used = usage.periods(db, gas.id, months=1)[-1]
    db.add(UsageAlert(person_id=amina.id, service_id=electricity.id, monthly_units=used.amount - 1))
    db.add(UsageAlert(person_id=amina.id, service_id=gas.id, monthly_units=gas_used.amount))  # Not over.
    db.commit()
    now = at(seeded_today(db))
    scan(db, now)
    scan(db, now + dt.timedelta(days=1))
    told = [u for u in updates_of(db, "Amina Haddad") if u.message == "usage_over"]
    assert len(told) == 1
    month = f"{used.ending.year:04d}-{used.ending.month:02d}"
    assert service.params_of(told[0]) == {"service_id": electricity.id, "month": month,
                                          "units": used.amount, "limit": used.amount - 1}
    assert told[0].source_key == f"usage:{electricity.id}:{month}"
    assert told[0].link == f"/account/usage?service={electricity.id}"


def test_accounts_nobody_holds_online_are_skipped(db: Session) -> None:
    sam = person(db, "Sam Taylor")
    account = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == sam.id)).one()
    account.holder_person_id = None
    db.add(account)
    db.commit()
    scan(db, at(seeded_today(db)))
    assert updates_of(db, "Sam Taylor") == []


def test_a_late_bill_stops_needing_doing_once_paid(db: Session) -> None:
    today = seeded_today(db)
    now = at(today)
    scan(db, now)
    late = next(u for u in updates_of(db, "Sam Taylor") if u.message == "bill_overdue")
    assert sources.still_to_do(db, late, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 0

    bill = db.get(Bill, service.params_of(late)["bill_id"])
    assert bill is not None
    bill.paid_on = today
    db.add(bill)
    db.add(Payment(account_id=bill.account_id, amount_pence=1000, made_on=today, method=PaymentMethod.card))
    db.commit()
    assert not sources.still_to_do(db, late, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 1
    db.commit()
    db.refresh(late)
    assert late.done_at is not None
    later_steps = db.exec(select(Delivery).where(Delivery.update_id == late.id, Delivery.step > 0)).all()
    assert later_steps and all(d.status is DeliveryStatus.skipped for d in later_steps)
    # The case still waits for Sam's photo, so its reminders go on.
    waiting = next(u for u in updates_of(db, "Sam Taylor") if u.message == "case_step")
    assert waiting.done_at is None
    assert sources.mark_done_where_finished(db, now, ZONE) == 0


def test_a_failed_payment_stops_needing_doing_once_a_payment_comes_in(db: Session) -> None:
    today = seeded_today(db)
    now = at(today)
    scan(db, now)
    failed_update = next(u for u in updates_of(db, "Olu Adeyemi") if u.message == "payment_failed")
    failed = db.get(Payment, service.params_of(failed_update)["payment_id"])
    assert failed is not None
    assert sources.still_to_do(db, failed_update, now, ZONE)
    db.add(Payment(account_id=failed.account_id, plan_id=failed.plan_id, amount_pence=failed.amount_pence,
                   made_on=today, method=PaymentMethod.card))
    db.commit()
    assert not sources.still_to_do(db, failed_update, now, ZONE)


def test_a_case_stops_waiting_when_it_moves_on(db: Session) -> None:
    today = seeded_today(db)
    now = at(today)
    scan(db, now)
    waiting = next(u for u in updates_of(db, "Sam Taylor") if u.message == "case_step")
    assert sources.still_to_do(db, waiting, now, ZONE)
    case = db.exec(select(Case).where(Case.reference == "CS-101502-1")).one()
    after = db.exec(select(CaseStep).where(CaseStep.case_id == case.id, col(CaseStep.happened_on).is_(None))
                    .order_by(col(CaseStep.position))).first()
    assert after is not None
    after.happened_on, after.expected_on = today, None
    db.add(after)
    db.commit()
    assert not sources.still_to_do(db, waiting, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 1
    db.commit()
    # The step that happened is news too, and needs nothing from Sam.
    scan(db, now + dt.timedelta(hours=1))
    newest = updates_of(db, "Sam Taylor")[-1]
    assert newest.message == "case_step" and not newest.needs_action
    assert service.params_of(newest)["step_id"] == after.id


def test_a_wait_that_is_already_over_is_not_told(db: Session) -> None:
    today = seeded_today(db)
    case = db.exec(select(Case).where(Case.reference == "CS-101502-1")).one()
    after = db.exec(select(CaseStep).where(CaseStep.case_id == case.id, col(CaseStep.happened_on).is_(None))
                    .order_by(col(CaseStep.position))).first()
    assert after is not None
    after.happened_on, after.expected_on = today - dt.timedelta(days=1), None
    db.add(after)
    db.commit()
    scan(db, at(today))
    told = [u for u in updates_of(db, "Sam Taylor") if u.message == "case_step"]
    assert [service.params_of(u)["step_id"] for u in told] == [after.id]
    assert not told[0].needs_action


def test_things_with_nothing_to_do_are_not_to_do(db: Session) -> None:
    today = seeded_today(db)
    scan(db, at(today))
    news = next(u for u in updates_of(db, "Amina Haddad") if u.message == "case_step")
    assert not sources.still_to_do(db, news, at(today), ZONE)
    strange = Update(person_id=news.person_id, kind=news.kind, message="no_such_message", source_key="x",
                     params="not json")
    assert not sources.still_to_do(db, strange, at(today), ZONE)
