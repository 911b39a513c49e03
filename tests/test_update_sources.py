"""Where updates come from: people get the updates their accounts call for, once each, and the ones
that need doing stop counting as to do when they are done."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.accounts import usage
from portal.accounts.billing import add_months
from portal.accounts.models import (
    Appointment,
    AppointmentKind,
    Bill,
    Case,
    CaseCategory,
    CaseKind,
    CaseStep,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    ServiceKind,
    Stage,
)
from portal.identity.models import Person
from portal.updates import service, sources
from portal.updates.models import Delivery, DeliveryStatus, Update, UsageAlert
from tests import factories
from tests.factories import today

ZONE = "Europe/London"


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """A fixed moment on a day, in the organisation's time zone."""
    return dt.datetime.combine(day, dt.time(hour), ZoneInfo(ZONE)).astimezone(dt.UTC)


def days_from_today(days: int) -> dt.date:
    return today() + dt.timedelta(days=days)


# People whose accounts call for something, or for nothing.

def late_and_waiting(db: Session) -> tuple[Person, Case]:
    """A late bill (the one before was paid), and a meter fault waiting three days for a photo."""
    person = factories.customer(db)
    account = factories.account_of(db, person)
    factories.bill(db, account, ends_on=days_from_today(-70), paid=True)
    factories.bill(db, account, ends_on=days_from_today(-40))
    return person, factories.case(db, account)


def failed_plan_payment(db: Session) -> Person:
    """Pays a plan by Direct Debit; the payment five days ago did not go through."""
    person = factories.customer(db)
    account = factories.account_of(db, person)
    first_due = add_months(days_from_today(-5), -4)
    plan = factories.payment_plan(db, account, first_due_on=first_due)
    for n in range(4):
        factories.payment(db, account, 4500, made_on=add_months(first_due, n),
                          method=PaymentMethod.direct_debit, plan=plan)
    factories.payment(db, account, 4500, made_on=days_from_today(-5), method=PaymentMethod.direct_debit,
                      status=PaymentStatus.failed, plan=plan)
    return person


REFUNDED = ((Stage.received, "received", -50, None), (Stage.in_progress, "checking", -45, None),
            (Stage.done, "paid", -38, None))


def direct_debit(db: Session) -> Person:
    """Pays by Direct Debit, a bill falls due in three days, in credit, a case closed long ago."""
    person = factories.customer(db)
    account = factories.account_of(db, person)
    account.direct_debit = True
    factories.save(db, account)
    factories.bill(db, account, ends_on=days_from_today(-13))
    factories.payment(db, account, 9000, made_on=days_from_today(-30), method=PaymentMethod.direct_debit)
    factories.case(db, account, kind=CaseKind.refund, steps=REFUNDED, closed=True)
    return person


FITTING_BOOKED = ((Stage.received, "received", -21, None), (Stage.in_progress, "fitting_booked", -7, None),
                  (Stage.in_progress, "visit", 5, None), (Stage.done, "fitted", 5, None))


def meter_visit(db: Session) -> tuple[Person, Case, Appointment]:
    """An order for a smart meter that moved on a week ago: fitted in five days, 8am to noon."""
    person = factories.customer(db)
    account = factories.account_of(db, person)
    order = factories.case(db, account, category=CaseCategory.order, kind=CaseKind.smart_meter,
                           steps=FITTING_BOOKED)
    visit = factories.appointment(db, account, starts_at=at(days_from_today(5), 8),
                                  kind=AppointmentKind.smart_meter_fit, for_case=order)
    return person, order, visit


def bank_transfer(db: Session) -> tuple[Person, Bill]:
    """Pays by bank transfer; a bill falls due in six days."""
    person = factories.customer(db)
    return person, factories.bill(db, factories.account_of(db, person), ends_on=days_from_today(-10))


def updates_of(db: Session, person: Person) -> list[Update]:
    return list(db.exec(select(Update).where(Update.person_id == person.id).order_by(col(Update.id))).all())


def messages_of(db: Session, person: Person) -> list[str]:
    return [u.message for u in updates_of(db, person)]


def scan(db: Session, now: dt.datetime) -> int:
    made = sources.scan(db, now, ZONE)
    db.commit()
    return made


def test_each_person_gets_what_their_account_calls_for_once(db: Session) -> None:
    (waiting, case), plan, debit, (ordered, _, _) = (late_and_waiting(db), failed_plan_payment(db),
                                                     direct_debit(db), meter_visit(db))
    now = at(today())
    made = scan(db, now)
    assert made > 0
    assert scan(db, now) == 0, "a second scan tells nobody again"
    assert scan(db, now + dt.timedelta(hours=1)) == 0

    theirs = updates_of(db, waiting)
    assert sorted(u.message for u in theirs) == ["bill_overdue", "case_step"]
    assert all(u.needs_action for u in theirs)  # A late bill, and a case waiting for a photo.
    case_update = next(u for u in theirs if u.message == "case_step")
    assert case_update.link == f"/account/cases/{case.reference}"
    step = db.get(CaseStep, service.params_of(case_update)["step_id"])
    assert step is not None and step.detail == "photo_needed"  # Not the steps weeks ago.

    assert messages_of(db, plan) == ["payment_failed"]
    assert messages_of(db, debit) == []  # Closed case long ago, Direct Debit, in credit.
    order_news = updates_of(db, ordered)
    assert [u.message for u in order_news] == ["case_step"]  # The order moved on; nothing to do.
    assert not order_news[0].needs_action

    every = db.exec(select(Update)).all()
    assert len({(u.person_id, u.source_key) for u in every}) == len(every) == made
    for update in every:
        assert update.account_id is not None
        portal = db.exec(select(Delivery).where(Delivery.update_id == update.id,
                                                Delivery.step == 0)).all()
        assert portal, "every update shows in the notification centre"


def test_direct_debit_customers_are_not_told_a_bill_is_due(db: Session) -> None:
    # Two customers' next bills fall due within five days, but Direct Debit pays them.
    direct_debit(db), direct_debit(db)
    scan(db, at(today()))
    assert not db.exec(select(Update).where(Update.message == "bill_due")).all()

    # By bank transfer: they hear five days before the bill is due, not before.
    person, bill = bank_transfer(db)
    days_before = (bill.due_on - today()).days
    assert days_before > 5
    scan(db, at(bill.due_on - dt.timedelta(days=6)))
    assert "bill_due" not in messages_of(db, person)
    scan(db, at(bill.due_on - dt.timedelta(days=5)))
    told = [u for u in updates_of(db, person) if u.message == "bill_due"]
    assert len(told) == 1 and not told[0].needs_action
    assert told[0].link == f"/account/bills/{bill.reference}"


def test_a_late_bill_is_told_again_as_late(db: Session) -> None:
    person, bill = bank_transfer(db)
    scan(db, at(bill.due_on - dt.timedelta(days=2)))
    scan(db, at(bill.due_on + dt.timedelta(days=1)))
    assert [u.message for u in updates_of(db, person) if u.message.startswith("bill")] == [
        "bill_due", "bill_overdue"]


def test_a_visit_is_told_the_day_before(db: Session) -> None:
    person, order, visit = meter_visit(db)
    visit_day = days_from_today(5)
    scan(db, at(visit_day - dt.timedelta(days=2), hour=23))
    assert "visit_tomorrow" not in messages_of(db, person)
    scan(db, at(visit_day - dt.timedelta(days=1), hour=0))  # Just after midnight, the day before.
    told = [u for u in updates_of(db, person) if u.message == "visit_tomorrow"]
    assert len(told) == 1
    assert service.params_of(told[0]) == {"appointment_id": visit.id}
    assert told[0].link == f"/account/cases/{order.reference}"  # The order page shows the visit.
    scan(db, at(visit_day, hour=7))
    assert len([u for u in updates_of(db, person) if u.message == "visit_tomorrow"]) == 1


def test_use_over_the_limit_the_customer_set(db: Session) -> None:
    person = factories.customer(db, services=(ServiceKind.electricity, ServiceKind.gas))
    account = factories.account_of(db, person)
    electricity, gas = (factories.service_of(db, account, kind)
                        for kind in (ServiceKind.electricity, ServiceKind.gas))
    factories.monthly_readings(db, electricity, [250, 240, 260])
    factories.monthly_readings(db, gas, [900, 800, 700])
    assert electricity.id is not None and gas.id is not None
    used = usage.periods(db, electricity.id, months=1)[-1]
    gas_used = usage.periods(db, gas.id, months=1)[-1]
    db.add(UsageAlert(person_id=person.id, service_id=electricity.id, monthly_units=used.amount - 1))
    db.add(UsageAlert(person_id=person.id, service_id=gas.id, monthly_units=gas_used.amount))  # Not over.
    db.commit()
    now = at(today())
    scan(db, now)
    scan(db, now + dt.timedelta(days=1))
    told = [u for u in updates_of(db, person) if u.message == "usage_over"]
    assert len(told) == 1
    month = f"{used.ending.year:04d}-{used.ending.month:02d}"
    assert service.params_of(told[0]) == {"service_id": electricity.id, "month": month,
                                          "units": used.amount, "limit": used.amount - 1}
    assert told[0].source_key == f"usage:{electricity.id}:{month}"
    assert told[0].link == f"/account/usage?service={electricity.id}"


def test_accounts_nobody_holds_online_are_skipped(db: Session) -> None:
    person, _ = late_and_waiting(db)
    account = factories.account_of(db, person)
    account.holder_person_id = None
    factories.save(db, account)
    scan(db, at(today()))
    assert updates_of(db, person) == []


def test_a_late_bill_stops_needing_doing_once_paid(db: Session) -> None:
    person, _ = late_and_waiting(db)
    now = at(today())
    scan(db, now)
    late = next(u for u in updates_of(db, person) if u.message == "bill_overdue")
    assert sources.still_to_do(db, late, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 0

    bill = db.get(Bill, service.params_of(late)["bill_id"])
    assert bill is not None
    bill.paid_on = today()
    factories.save(db, bill)
    factories.payment(db, factories.account_of(db, person), 1000)
    assert not sources.still_to_do(db, late, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 1
    db.commit()
    db.refresh(late)
    assert late.done_at is not None
    later_steps = db.exec(select(Delivery).where(Delivery.update_id == late.id, Delivery.step > 0)).all()
    assert later_steps and all(d.status is DeliveryStatus.skipped for d in later_steps)
    # The case still waits for their photo, so its reminders go on.
    waiting = next(u for u in updates_of(db, person) if u.message == "case_step")
    assert waiting.done_at is None
    assert sources.mark_done_where_finished(db, now, ZONE) == 0


def test_a_failed_payment_stops_needing_doing_once_a_payment_comes_in(db: Session) -> None:
    person = failed_plan_payment(db)
    now = at(today())
    scan(db, now)
    failed_update = next(u for u in updates_of(db, person) if u.message == "payment_failed")
    failed = db.get(Payment, service.params_of(failed_update)["payment_id"])
    assert failed is not None
    assert sources.still_to_do(db, failed_update, now, ZONE)
    factories.payment(db, factories.account_of(db, person), failed.amount_pence,
                      plan=db.get(PaymentPlan, failed.plan_id))
    assert not sources.still_to_do(db, failed_update, now, ZONE)


def test_a_case_stops_waiting_when_it_moves_on(db: Session) -> None:
    person, case = late_and_waiting(db)
    now = at(today())
    scan(db, now)
    waiting = next(u for u in updates_of(db, person) if u.message == "case_step")
    assert sources.still_to_do(db, waiting, now, ZONE)
    after = db.exec(select(CaseStep).where(CaseStep.case_id == case.id, col(CaseStep.happened_on).is_(None))
                    .order_by(col(CaseStep.position))).first()
    assert after is not None
    after.happened_on, after.expected_on = today(), None
    factories.save(db, after)
    assert not sources.still_to_do(db, waiting, now, ZONE)
    assert sources.mark_done_where_finished(db, now, ZONE) == 1
    db.commit()
    # The step that happened is news too, and needs nothing from them.
    scan(db, now + dt.timedelta(hours=1))
    newest = updates_of(db, person)[-1]
    assert newest.message == "case_step" and not newest.needs_action
    assert service.params_of(newest)["step_id"] == after.id


def test_a_wait_that_is_already_over_is_not_told(db: Session) -> None:
    person, case = late_and_waiting(db)
    after = db.exec(select(CaseStep).where(CaseStep.case_id == case.id, col(CaseStep.happened_on).is_(None))
                    .order_by(col(CaseStep.position))).first()
    assert after is not None
    after.happened_on, after.expected_on = days_from_today(-1), None
    factories.save(db, after)
    scan(db, at(today()))
    told = [u for u in updates_of(db, person) if u.message == "case_step"]
    assert [service.params_of(u)["step_id"] for u in told] == [after.id]
    assert not told[0].needs_action


def test_things_with_nothing_to_do_are_not_to_do(db: Session) -> None:
    person, _, _ = meter_visit(db)
    scan(db, at(today()))
    news = next(u for u in updates_of(db, person) if u.message == "case_step")
    assert not sources.still_to_do(db, news, at(today()), ZONE)
    strange = Update(person_id=news.person_id, kind=news.kind, message="no_such_message", source_key="x",
                     params="not json")
    assert not sources.still_to_do(db, strange, at(today()), ZONE)
