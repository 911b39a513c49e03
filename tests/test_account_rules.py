"""Domain rules for accounts: what is owed, what to do first, why a bill changed, use and readings."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, SQLModel

import portal.models  # noqa: F401  (registers every table)
from portal.accounts import billing, cases, usage
from portal.accounts import todo as to_do
from portal.accounts.models import (
    Appointment,
    AppointmentKind,
    Bill,
    BillLine,
    Case,
    CaseCategory,
    CaseKind,
    CaseStep,
    CustomerAccount,
    LineKind,
    MeterReading,
    Payment,
    PaymentMethod,
    PaymentPlan,
    PaymentStatus,
    ReadingSource,
    Service,
    ServiceKind,
    Stage,
)
from portal.db import make_engine
from portal.identity.models import Person

TODAY = dt.date(2026, 11, 25)
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'rules.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


@pytest.fixture
def account(db: Session) -> CustomerAccount:
    person = Person(name="Test Person")
    db.add(person)
    db.flush()
    account = CustomerAccount(reference="NF-999999", holder_name="Test Person", holder_person_id=person.id)
    db.add(account)
    db.flush()
    return account


def add(db: Session, *things: object) -> None:
    for thing in things:
        db.add(thing)
    db.flush()


def a_bill(db: Session, account: CustomerAccount, number: int, *, end: dt.date, days: int = 30,
           amount: int = 5000, used: int = 200, service: Service | None = None, paid: bool = False,
           discount: int = 0) -> Bill:
    bill = Bill(account_id=account.id, reference=f"B-{number}",
                period_start=end - dt.timedelta(days=days - 1),
                period_end=end, issued_on=end + dt.timedelta(days=2),
                due_on=end + dt.timedelta(days=16), paid_on=end + dt.timedelta(days=16) if paid else None)
    add(db, bill)
    add(db, BillLine(bill_id=bill.id, service_id=service.id if service else None, kind=LineKind.usage,
                     quantity=used, amount_pence=amount))
    if discount:
        add(db, BillLine(bill_id=bill.id, kind=LineKind.discount, amount_pence=-discount))
    return bill


def electricity(db: Session, account: CustomerAccount, **extra: object) -> Service:
    service = Service(account_id=account.id, kind=ServiceKind.electricity, started_on=dt.date(2024, 1, 1),
                      **extra)
    add(db, service)
    return service


def kinds(items: list[to_do.ToDo]) -> list[str]:
    return [t.kind for t in items]


def todo(db: Session, account: CustomerAccount) -> list[to_do.ToDo]:
    return to_do.things_to_do(db, account, NOW, TODAY, lambda moment: moment.date())


# What is owed

def test_balance_is_bills_less_payments_received(db: Session, account: CustomerAccount) -> None:
    a_bill(db, account, 1, end=dt.date(2026, 9, 30), amount=4000)
    a_bill(db, account, 2, end=dt.date(2026, 10, 31), amount=6000)
    add(db, Payment(account_id=account.id, amount_pence=4000, made_on=dt.date(2026, 10, 15),
                    method=PaymentMethod.card),
        Payment(account_id=account.id, amount_pence=9999, made_on=dt.date(2026, 11, 1),
                method=PaymentMethod.card, status=PaymentStatus.failed))
    assert billing.balance(db, account.id) == 6000
    add(db, Payment(account_id=account.id, amount_pence=7000, made_on=dt.date(2026, 11, 20),
                    method=PaymentMethod.card))
    assert billing.balance(db, account.id) == -1000  # In credit.


def test_add_months_keeps_the_day_or_uses_the_last_day_of_a_short_month() -> None:
    assert billing.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert billing.add_months(dt.date(2026, 11, 15), 3) == dt.date(2027, 2, 15)
    assert billing.add_months(dt.date(2026, 3, 10), -4) == dt.date(2025, 11, 10)


def test_plan_progress_counts_received_instalments_only(db: Session, account: CustomerAccount) -> None:
    plan = PaymentPlan(account_id=account.id, instalment_pence=2500, instalments=6,
                       first_due_on=dt.date(2026, 8, 20), agreed_on=dt.date(2026, 8, 1))
    add(db, plan)
    received, failed = PaymentStatus.received, PaymentStatus.failed
    for month, status in ((8, received), (9, received), (10, failed)):
        add(db, Payment(account_id=account.id, plan_id=plan.id, amount_pence=2500,
                        made_on=dt.date(2026, month, 20), method=PaymentMethod.direct_debit, status=status))
    progress = billing.plan_progress(db, plan, TODAY)
    assert progress.paid == 2
    assert progress.next_due_on == dt.date(2026, 10, 20) and progress.behind
    assert progress.left_to_pay == 4 * 2500


# Things to do

def test_an_overdue_bill_comes_first_and_is_urgent(db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account, reading_due_on=TODAY + dt.timedelta(days=3))
    a_bill(db, account, 1, end=dt.date(2026, 10, 20))  # Due 5 November: late.
    items = todo(db, account)
    assert kinds(items) == ["bill_overdue", "give_reading"]
    assert items[0].urgent and items[0].amount == 5000 and items[0].by == dt.date(2026, 11, 5)
    assert items[1].service == service and not items[1].urgent


def test_a_bill_due_soon_is_a_thing_to_do_unless_paid_by_direct_debit(
        db: Session, account: CustomerAccount) -> None:
    a_bill(db, account, 1, end=dt.date(2026, 11, 20))  # Due 6 December.
    assert kinds(todo(db, account)) == ["bill_due"]
    account.direct_debit = True
    assert todo(db, account) == []


def test_a_bill_due_far_ahead_or_paid_is_not_a_thing_to_do(db: Session, account: CustomerAccount) -> None:
    a_bill(db, account, 1, end=dt.date(2026, 10, 20), paid=True)
    bill = a_bill(db, account, 2, end=dt.date(2026, 11, 20))
    bill.due_on = TODAY + dt.timedelta(days=45)
    add(db, bill)
    assert todo(db, account) == []


def test_a_payment_plan_covers_older_bills_and_its_next_payment_is_the_thing_to_do(
        db: Session, account: CustomerAccount) -> None:
    a_bill(db, account, 1, end=dt.date(2026, 6, 30))
    a_bill(db, account, 2, end=dt.date(2026, 7, 31))
    add(db, PaymentPlan(account_id=account.id, instalment_pence=3000, instalments=4,
                        first_due_on=dt.date(2026, 12, 1), agreed_on=dt.date(2026, 8, 25)))
    items = todo(db, account)
    assert kinds(items) == ["instalment_due"]
    assert items[0].by == dt.date(2026, 12, 1) and items[0].amount == 3000 and not items[0].urgent
    a_bill(db, account, 3, end=dt.date(2026, 10, 1))  # After the plan: not covered, and late.
    assert kinds(todo(db, account)) == ["bill_overdue", "instalment_due"]


def test_a_failed_payment_shows_until_a_later_one_arrives(db: Session, account: CustomerAccount) -> None:
    add(db, Payment(account_id=account.id, amount_pence=4500, made_on=TODAY - dt.timedelta(days=4),
                    method=PaymentMethod.direct_debit, status=PaymentStatus.failed))
    items = todo(db, account)
    assert kinds(items) == ["payment_failed"] and items[0].urgent
    add(db, Payment(account_id=account.id, amount_pence=4500, made_on=TODAY - dt.timedelta(days=1),
                    method=PaymentMethod.card))
    assert todo(db, account) == []


def waiting_case(db: Session, account: CustomerAccount, act_by: dt.date | None) -> Case:
    case = Case(account_id=account.id, reference="CS-1", category=CaseCategory.case,
                kind=CaseKind.meter_fault, opened_on=TODAY - dt.timedelta(days=10))
    add(db, case)
    add(db, CaseStep(case_id=case.id, position=1, stage=Stage.received, detail="received",
                     happened_on=TODAY - dt.timedelta(days=10)),
        CaseStep(case_id=case.id, position=2, stage=Stage.waiting_for_you, detail="photo_needed",
                 happened_on=TODAY - dt.timedelta(days=2), act_by=act_by),
        CaseStep(case_id=case.id, position=3, stage=Stage.in_progress, detail="visit",
                 expected_on=TODAY + dt.timedelta(days=9)))
    return case


def test_a_case_waiting_for_the_customer_says_what_and_by_when(db: Session, account: CustomerAccount) -> None:
    case = waiting_case(db, account, act_by=TODAY + dt.timedelta(days=5))
    items = todo(db, account)
    assert kinds(items) == ["case_waiting"]
    assert items[0].case == case and items[0].step.detail == "photo_needed"
    assert items[0].by == TODAY + dt.timedelta(days=5) and not items[0].urgent
    progress = cases.progress(db, case)
    assert progress.waiting_for_you and progress.next.detail == "visit"


def test_a_closed_case_is_done_and_needs_nothing(db: Session, account: CustomerAccount) -> None:
    case = waiting_case(db, account, act_by=TODAY - dt.timedelta(days=1))
    assert todo(db, account)[0].urgent  # Past the date: urgent.
    case.closed_on = TODAY
    add(db, case)
    assert todo(db, account) == []
    assert cases.progress(db, case).stage is Stage.done
    assert cases.cases(db, account.id, show="open")[0] == []
    assert [p.case for p in cases.cases(db, account.id, show="closed")[0]] == [case]


def test_a_visit_in_the_next_two_weeks_is_a_thing_to_do(db: Session, account: CustomerAccount) -> None:
    soon = Appointment(account_id=account.id, kind=AppointmentKind.engineer_visit,
                       starts_at=NOW + dt.timedelta(days=3), ends_at=NOW + dt.timedelta(days=3, hours=4))
    later = Appointment(account_id=account.id, kind=AppointmentKind.engineer_visit,
                        starts_at=NOW + dt.timedelta(days=30), ends_at=NOW + dt.timedelta(days=30, hours=4))
    add(db, soon, later)
    items = todo(db, account)
    assert kinds(items) == ["appointment"] and items[0].appointment == soon


# Why a bill changed

def test_comparison_explains_more_use_a_higher_price_a_longer_period_and_a_lost_discount(
        db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account)
    a_bill(db, account, 1, end=dt.date(2026, 9, 30), days=30, used=200, amount=5000, service=service,
           discount=500)
    second = a_bill(db, account, 2, end=dt.date(2026, 10, 31), days=31, used=250, amount=7000,
                    service=service)
    comparison = billing.compare(db, second)
    assert comparison is not None
    assert comparison.difference == 7000 - 4500 and comparison.previous_total == 4500
    found = {r.kind: (r.before, r.after) for r in comparison.reasons}
    assert found == {"used_more": (200, 250), "price_up": (25.0, 28.0), "longer_period": (30, 31),
                     "discount_ended": (5.0, 0)}


def test_the_first_bill_has_nothing_to_compare_with(db: Session, account: CustomerAccount) -> None:
    assert billing.compare(db, a_bill(db, account, 1, end=dt.date(2026, 9, 30))) is None


def test_bills_page_by_year_newest_first(db: Session, account: CustomerAccount) -> None:
    for n in range(1, 10):
        a_bill(db, account, n, end=billing.add_months(dt.date(2025, 9, 28), n))
    shown, pages = billing.bills(db, account.id, page=1)
    assert pages == 2 and len(shown) == billing.BILLS_PER_PAGE
    assert shown[0].reference == "B-9"
    assert [b.reference for b in billing.bills(db, account.id, page=2)[0]] == ["B-3", "B-2", "B-1"]
    in_2025, _ = billing.bills(db, account.id, year=2025)
    assert {b.issued_on.year for b in in_2025} == {2025}
    assert billing.bill_years(db, account.id) == [2026, 2025]
    assert billing.bills(db, account.id, page=99)[0] == billing.bills(db, account.id, page=2)[0]


# Use and readings

def readings(db: Session, service: Service, values: list[tuple[dt.date, int, ReadingSource]]) -> None:
    add(db, *(MeterReading(service_id=service.id, read_on=day, value=value, source=source)
              for day, value, source in values))


def test_use_is_the_difference_between_readings_and_estimates_are_marked(
        db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account)
    readings(db, service, [(dt.date(2025, 10, 1), 1000, ReadingSource.meter_reader),
                           (dt.date(2025, 11, 1), 1200, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 1), 4000, ReadingSource.smart_meter),
                           (dt.date(2026, 11, 1), 4300, ReadingSource.estimate)])
    periods = usage.periods(db, service.id)
    assert [(p.amount, p.estimated) for p in periods] == [(200, False), (2800, False), (300, True)]
    summary = usage.summarise(db, service.id)
    assert summary.total == 3300 and summary.highest.amount == 2800 and summary.estimated == 1
    assert summary.year_before.amount == 200  # November 2025, for November 2026.


def test_chart_bars_scale_to_the_largest_month() -> None:
    shown = [usage.Period(dt.date(2026, m, 1), amount, False) for m, amount in ((1, 100), (2, 400), (3, 0))]
    chart = usage.chart(shown)
    assert [t[1] for t in chart.ticks] == [0, 125, 250, 375, 500]
    heights = [bar.height for bar in chart.bars]
    assert heights[1] == pytest.approx(4 * heights[0]) and heights[2] == 0
    assert all(bar.y + bar.height == pytest.approx(chart.baseline) for bar in chart.bars)
    assert usage.chart([]) is None


def test_a_reading_is_stored_once_and_clears_the_request_for_one(
        db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account, reading_due_on=TODAY)
    readings(db, service, [(dt.date(2026, 9, 1), 1000, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 1), 1300, ReadingSource.smart_meter)])
    first = usage.submit_reading(db, service, 1550, account.holder_person_id, TODAY)
    again = usage.submit_reading(db, service, 1550, account.holder_person_id, TODAY)
    assert again.id == first.id and service.reading_due_on is None
    assert len(usage.readings(db, service.id)) == 3


@pytest.mark.parametrize(("value", "problem"), [(1299, "lower"), (50_000, "too_high")])
def test_a_reading_lower_than_the_last_or_far_too_high_is_refused(
        db: Session, account: CustomerAccount, value: int, problem: str) -> None:
    service = electricity(db, account)
    readings(db, service, [(dt.date(2026, 9, 1), 1000, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 1), 1300, ReadingSource.smart_meter)])
    with pytest.raises(usage.ReadingProblem) as refused:
        usage.submit_reading(db, service, value, account.holder_person_id, TODAY)
    assert refused.value.kind == problem and refused.value.last == 1300


def test_a_reading_given_mid_month_does_not_split_the_month(db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account)
    readings(db, service, [(dt.date(2026, 9, 1), 1000, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 1), 1300, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 20), 1450, ReadingSource.customer),
                           (dt.date(2026, 10, 31), 1520, ReadingSource.smart_meter)])
    assert [(p.ending.month, p.amount) for p in usage.periods(db, service.id)] == [(10, 520)]


def test_a_real_reading_may_be_lower_than_our_guess(db: Session, account: CustomerAccount) -> None:
    service = electricity(db, account)
    readings(db, service, [(dt.date(2026, 9, 1), 1000, ReadingSource.smart_meter),
                           (dt.date(2026, 10, 1), 1600, ReadingSource.estimate)])  # We guessed high.
    taken = usage.submit_reading(db, service, 1250, account.holder_person_id, TODAY)
    assert taken.value == 1250
    with pytest.raises(usage.ReadingProblem) as refused:
        usage.submit_reading(db, service, 999, account.holder_person_id, TODAY)
    assert refused.value.last == 1250


def test_the_same_reading_sent_at_the_same_moment_is_stored_once(tmp_path: Path) -> None:
    """Two requests from a double click: the second checks before the first is saved, then finds
    the database already holds it, and returns that one."""
    engine = make_engine(f"sqlite:///{tmp_path / 'race.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        person = Person(name="Racer")
        add(db, person)
        account = CustomerAccount(reference="NF-888888", holder_name="Racer", holder_person_id=person.id)
        add(db, account)
        service_id, person_id = electricity(db, account).id, person.id
        readings(db, db.get(Service, service_id), [(dt.date(2026, 10, 1), 1000, ReadingSource.smart_meter)])
        db.commit()
    first, second = Session(engine), Session(engine)
    usage.submit_reading(first, first.get(Service, service_id), 1100, person_id, TODAY)  # Not saved yet.
    found: list[int | None] = []
    racer = threading.Thread(target=lambda: found.append(
        usage.submit_reading(second, second.get(Service, service_id), 1100, person_id, TODAY).id))
    racer.start()
    time.sleep(0.3)  # Let the second request check, and wait on the first one's write.
    first.commit()
    racer.join(timeout=10)
    with Session(engine) as db:
        stored = [r for r in usage.readings(db, service_id) if r.source is ReadingSource.customer]
    assert len(stored) == 1 and found == [stored[0].id]
    first.close(), second.close(), engine.dispose()
