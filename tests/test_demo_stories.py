"""The demo is dated from the day it is made. What the README promises about each person must hold
whichever day that is, not only in the month the promise was written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, SQLModel, create_engine, select

import portal.models  # noqa: F401  (registers every table)
from portal.accounts import billing
from portal.accounts.models import Bill, CustomerAccount
from portal.demo.personas import PERSONAS
from portal.demo.stories import STORIES
from portal.identity.models import Person


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://", connect_args={"check_same_thread": False}, poolclass=StaticPool)
    SQLModel.metadata.create_all(engine)
    with Session(engine) as db:
        yield db
    engine.dispose()


def made_on(db: Session, key: str, today: dt.date) -> CustomerAccount:
    """One person's story as the demo would make it on `today` (rolled back by the caller)."""
    p = next(p for p in PERSONAS if p.key == key)
    person = Person(name=p.name, email=p.email, phone=p.phone)
    db.add(person)
    db.flush()
    account = CustomerAccount(reference=p.reference or "", holder_name=p.name, holder_person_id=person.id,
                              address=p.address, postcode=p.postcode, date_of_birth=p.date_of_birth,
                              email=p.email, phone=p.phone)
    db.add(account)
    db.flush()
    STORIES[key](db, person, account, today)
    return account


def days_of_two_years() -> Iterator[dt.date]:
    """The 1st, 10th, 20th and last day of each month of 2027 and 2028 (a leap year): every season,
    and bills that start or end at a month's end."""
    for year in (2027, 2028):
        for month in range(1, 13):
            last = billing.add_months(dt.date(year, month, 1), 1) - dt.timedelta(days=1)
            yield from (dt.date(year, month, 1), dt.date(year, month, 10), dt.date(year, month, 20), last)


def test_sams_late_bill_costs_more_than_the_last_one_and_says_why_on_any_day(session: Session) -> None:
    """README: "Sam Taylor: a late bill that costs more than the last one (the bill says why)"."""
    for today in days_of_two_years():
        account = made_on(session, "sam", today)
        try:
            late = billing.unpaid_bills(session, account.id or 0)
            assert [bill.reference for bill in late] == ["B101502-14"], today
            bill = late[0]
            assert billing.bill_status(bill, today) == "overdue", today
            assert billing.latest_bill(session, account.id or 0) == bill, today
            comparison = billing.compare(session, bill)
            assert comparison is not None and comparison.difference > 0, today
            assert comparison.previous.reference == "B101502-13", today
            why = {reason.kind: (reason.before, reason.after) for reason in comparison.reasons}
            assert why["used_more"] == (260, 300), today
            assert why["price_up"] == (24.5, 27.44), today
            assert billing.balance(session, account.id or 0) == billing.total(session, bill), today
        finally:
            session.rollback()
    assert not session.exec(select(Bill)).first()  # Nothing was kept between days.
