"""Sample histories for the demo people, dated from today so that "due soon" stays true.

Each story gives a tester one situation to look at: in credit, a payment plan, an overdue bill, a case
waiting on the customer, a booked appointment, recorded needs, a carer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlmodel import Session

from portal.accounts.billing import add_months, lines
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
    ServiceStatus,
    Stage,
)
from portal.db import id_of
from portal.identity.models import Person
from portal.needs.models import CommunicationNeeds
from portal.privacy.models import ConsentRecord

# Typical use in each month, January first: kWh for electricity and gas, cubic metres for water.
SEASONS = {
    ServiceKind.electricity: (320, 300, 280, 240, 210, 190, 185, 190, 210, 250, 290, 330),
    ServiceKind.gas: (1400, 1300, 1100, 800, 500, 300, 250, 250, 400, 800, 1100, 1350),
    ServiceKind.water: (10, 10, 9, 9, 10, 12, 13, 13, 11, 10, 9, 10),
}
PRICE = {ServiceKind.electricity: 24.5, ServiceKind.gas: 6.5, ServiceKind.water: 210.0}  # Pence a unit.
STANDING = {ServiceKind.electricity: 53, ServiceKind.gas: 31, ServiceKind.water: 35,
            ServiceKind.boiler_cover: 40}  # Pence a day.
READ_BY = {ServiceKind.electricity: ReadingSource.smart_meter, ServiceKind.gas: ReadingSource.smart_meter,
           ServiceKind.water: ReadingSource.meter_reader}
BILLS = 14
LONDON = ZoneInfo("Europe/London")


def _add(db: Session, thing: object) -> object:
    db.add(thing)
    db.flush()
    return thing


def _service(db: Session, account: CustomerAccount, kind: ServiceKind, tariff: str, today: dt.date, *,
             status: ServiceStatus = ServiceStatus.active, reading_due_on: dt.date | None = None) -> Service:
    serial = "" if not kind.metered else f"{kind.value[:1].upper()}{account.reference[-6:]}{len(kind)}"
    service = Service(account_id=id_of(account), kind=kind, tariff=tariff, meter_serial=serial,
                      started_on=today - dt.timedelta(days=900), status=status, reading_due_on=reading_due_on)
    _add(db, service)
    return service


def _history(db: Session, account: CustomerAccount, services: list[tuple[Service, float]],
             today: dt.date, *, last_issued_days_ago: int, paid: Callable[[int], bool] = lambda _: True,
             method: PaymentMethod = PaymentMethod.direct_debit, last_price_rise: float = 1.0,
             estimated: frozenset[int] = frozenset(), overpay: int = 0,
             used_on: dict[int, int] | None = None) -> list[Bill]:
    """Monthly bills, newest last, with the readings behind them and a payment for each paid one.

    `services` pairs each service with how much more or less than typical its household uses.
    `paid(n)` says whether bill n (0 = oldest) has been paid; `estimated` lists estimated ones.
    `used_on` fixes what each metered service used on bill n, whatever the season, for a story that
    must read the same in every month the demo is made."""
    account_id = id_of(account)
    last_issued = today - dt.timedelta(days=last_issued_days_ago)
    issue_dates = [add_months(last_issued, -n) for n in range(BILLS - 1, -1, -1)]
    meter = {service.id: 10_000 + 731 * (service.id or 0) for service, _ in services}
    start = issue_dates[0] - dt.timedelta(days=32)
    for service, _ in services:
        if service.kind.metered:
            db.add(MeterReading(service_id=id_of(service), read_on=start - dt.timedelta(days=1),
                                value=meter[service.id], source=ReadingSource.meter_reader))
    made: list[Bill] = []
    for n, issued in enumerate(issue_dates):
        end = issued - dt.timedelta(days=2)
        days = (end - start).days + 1
        bill = Bill(account_id=account_id, reference=f"B{account.reference[3:]}-{n + 1:02d}",
                    period_start=start, period_end=end, issued_on=issued,
                    due_on=issued + dt.timedelta(days=14))
        _add(db, bill)
        bill_id = id_of(bill)
        price_factor = last_price_rise if n == len(issue_dates) - 1 else 1.0
        for service, scale in services:
            if service.kind.metered:
                typical = round(SEASONS[service.kind][end.month - 1] * scale * days / 30)
                used = used_on[n] if used_on and n in used_on else typical
                meter[service.id] += used
                guess = n in estimated
                source = READ_BY[service.kind] if not guess else ReadingSource.estimate
                db.add(MeterReading(service_id=id_of(service), read_on=end, value=meter[service.id],
                                    source=source))
                db.add(BillLine(bill_id=bill_id, service_id=service.id, kind=LineKind.usage,
                                quantity=used, estimated=guess,
                                amount_pence=round(used * PRICE[service.kind] * price_factor)))
            db.add(BillLine(bill_id=bill_id, service_id=service.id, kind=LineKind.standing_charge,
                            quantity=days, amount_pence=days * STANDING[service.kind]))
        db.flush()
        if paid(n) and bill.due_on <= today:
            bill_total = sum(line.amount_pence for line in lines(db, bill))
            bill.paid_on = bill.due_on
            db.add(Payment(account_id=account_id, amount_pence=bill_total + overpay, made_on=bill.due_on,
                           method=method))
            db.add(bill)
        made.append(bill)
        start = end + dt.timedelta(days=1)
    db.flush()
    return made


def _case(db: Session, account: CustomerAccount, reference: str, category: CaseCategory,
          kind: CaseKind, today: dt.date, steps: list[tuple[Stage, str, int, int | None]],
          service: Service | None = None, closed: bool = False) -> Case:
    """`steps` are (stage, detail, days from today, act-by days from today). A step in the past has
    happened; one in the future is expected."""
    account_id = id_of(account)
    first = today + dt.timedelta(days=steps[0][2])
    last = today + dt.timedelta(days=steps[-1][2])
    case = Case(account_id=account_id, service_id=service.id if service else None, reference=reference,
                category=category, kind=kind, opened_on=first, expected_by=None if closed else last,
                closed_on=last if closed else None)
    _add(db, case)
    case_id = id_of(case)
    for position, (stage, detail, offset, act_by) in enumerate(steps, start=1):
        day = today + dt.timedelta(days=offset)
        db.add(CaseStep(case_id=case_id, position=position, stage=stage, detail=detail,
                        happened_on=day if offset <= 0 else None,
                        expected_on=day if offset > 0 else None,
                        act_by=today + dt.timedelta(days=act_by) if act_by is not None else None))
    return case


def _visit(day: dt.date, start_hour: int, end_hour: int) -> tuple[dt.datetime, dt.datetime]:
    def at(hour: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour), LONDON).astimezone(dt.UTC)

    return at(start_hour), at(end_hour)


def _needs(db: Session, person: Person, channel: str, support: str, other: str) -> None:
    person_id = id_of(person)
    db.add(CommunicationNeeds(person_id=person_id, preferred_channel=channel, support=support,
                              other=other))
    db.add(ConsentRecord(person_id=person_id, topic="access_needs", given=True,
                         recorded_by_person_id=person_id))


def amina(db: Session, person: Person, account: CustomerAccount, today: dt.date) -> None:
    electricity = _service(db, account, ServiceKind.electricity, "Northfield Fixed 2026", today)
    gas = _service(db, account, ServiceKind.gas, "Northfield Fixed 2026", today)
    account.direct_debit = True
    _history(db, account, [(electricity, 0.8), (gas, 0.9)], today, last_issued_days_ago=4)
    order = _case(db, account, "OR-100234-1", CaseCategory.order, CaseKind.smart_meter, today, [
        (Stage.received, "received", -21, None),
        (Stage.in_progress, "fitting_booked", -7, None),
        (Stage.in_progress, "visit", 5, None),
        (Stage.done, "fitted", 5, None),
    ], service=electricity)
    starts, ends = _visit(today + dt.timedelta(days=5), 8, 12)
    db.add(Appointment(account_id=id_of(account), case_id=order.id, kind=AppointmentKind.smart_meter_fit,
                       starts_at=starts, ends_at=ends))
    _needs(db, person, "email", "large_print extra_time",
           "I use a screen reader. Please send letters by email.")


def gareth(db: Session, person: Person, account: CustomerAccount, today: dt.date) -> None:
    account.direct_debit = True
    electricity = _service(db, account, ServiceKind.electricity, "Northfield Green", today)
    water = _service(db, account, ServiceKind.water, "Metered water", today,
                     reading_due_on=today + dt.timedelta(days=6))
    _history(db, account, [(electricity, 1.1), (water, 1.0)], today, last_issued_days_ago=20,
             overpay=600, estimated=frozenset({BILLS - 3}))
    _case(db, account, "CS-100871-1", CaseCategory.case, CaseKind.refund, today, [
        (Stage.received, "received", -50, None),
        (Stage.in_progress, "checking", -45, None),
        (Stage.done, "paid", -38, None),
    ], closed=True)
    workshop = CustomerAccount(reference="NF-100872", holder_name=account.holder_name,
                               holder_person_id=person.id, address="Unit 2, Bryn Workshops, Northfield",
                               postcode="NF3 8CD", date_of_birth=account.date_of_birth,
                               email=account.email, phone=account.phone, direct_debit=True)
    _add(db, workshop)
    power = _service(db, workshop, ServiceKind.electricity, "Northfield Business", today)
    _history(db, workshop, [(power, 0.6)], today, last_issued_days_ago=12)


def sam(db: Session, person: Person, account: CustomerAccount, today: dt.date) -> None:
    electricity = _service(db, account, ServiceKind.electricity, "Northfield Standard", today,
                           status=ServiceStatus.fault)
    # The late bill costs more than the one before, for two reasons the bill gives: Sam used more, and
    # the price went up. Fixed, not seasonal, so that this holds whichever month the demo is made in.
    _history(db, account, [(electricity, 1.2)], today, last_issued_days_ago=26,
             paid=lambda n: n < BILLS - 1, method=PaymentMethod.card, last_price_rise=1.12,
             used_on={BILLS - 2: 260, BILLS - 1: 300})
    _case(db, account, "CS-101502-1", CaseCategory.case, CaseKind.meter_fault, today, [
        (Stage.received, "received", -20, None),
        (Stage.in_progress, "engineer_asked", -18, None),
        (Stage.waiting_for_you, "photo_needed", -3, 7),
        (Stage.in_progress, "visit", 14, None),
        (Stage.done, "fixed", 14, None),
    ], service=electricity)


def olu(db: Session, person: Person, account: CustomerAccount, today: dt.date) -> None:
    account.direct_debit = True
    electricity = _service(db, account, ServiceKind.electricity, "Northfield Standard", today)
    gas = _service(db, account, ServiceKind.gas, "Northfield Standard", today)
    arrears = {3, 4, 5}  # Three winter bills went unpaid; a payment plan now covers them.
    _history(db, account, [(electricity, 1.0), (gas, 1.0)], today, last_issued_days_ago=9,
             paid=lambda n: n not in arrears)
    account_id = id_of(account)
    first_due = add_months(today - dt.timedelta(days=5), -4)
    plan = PaymentPlan(account_id=account_id, instalment_pence=4500, instalments=12,
                       first_due_on=first_due, agreed_on=first_due - dt.timedelta(days=10))
    _add(db, plan)
    for n in range(4):
        db.add(Payment(account_id=account_id, plan_id=plan.id, amount_pence=4500,
                       made_on=add_months(first_due, n), method=PaymentMethod.direct_debit))
    db.add(Payment(account_id=account_id, plan_id=plan.id, amount_pence=4500,
                   made_on=add_months(first_due, 4), method=PaymentMethod.direct_debit,
                   status=PaymentStatus.failed))


def margaret(db: Session, person: Person, account: CustomerAccount, today: dt.date) -> None:
    water = _service(db, account, ServiceKind.water, "Metered water", today)
    cover = _service(db, account, ServiceKind.boiler_cover, "Boiler Care", today)
    _history(db, account, [(water, 0.7), (cover, 1.0)], today, last_issued_days_ago=8,
             paid=lambda n: n < BILLS - 1, method=PaymentMethod.bank_transfer)
    _case(db, account, "CS-100990-1", CaseCategory.case, CaseKind.complaint, today, [
        (Stage.received, "received", -10, None),
        (Stage.in_progress, "looking_into", -8, None),
        (Stage.done, "answer", 10, None),
    ], service=water)
    _needs(db, person, "phone", "large_print extra_time no_automated_chat",
           "My daughter Ceri Price helps me with my account.")


STORIES: dict[str, Callable[[Session, Person, CustomerAccount, dt.date], None]] = {
    "amina": amina, "gareth": gareth, "sam": sam, "olu": olu, "margaret": margaret,
}
