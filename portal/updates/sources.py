"""Finding things worth telling people about, and knowing when they are done.

`scan` looks at accounts for new things (a case step, a bill due or late, a payment that failed, a
visit tomorrow, use over a limit the customer set) and makes one update for each, for the account
holder (accounts nobody holds online are skipped). Each update has a source key ("bill-overdue:12"),
so scanning again never tells anyone twice. Each source first asks the database for candidates not
told yet, then lets the rules the dashboard already uses (portal/accounts) decide, so a repeated
scan costs little and the updates agree with what the person sees on their dashboard.

`still_to_do` tells the escalation ladder whether the thing still needs doing: a late bill still
unpaid, a failed payment with nothing received since, a case still waiting at that step.

Nothing here commits: the caller (the worker) does, as with create_update. Each update is made in a
savepoint, so another worker making the same one at the same moment is not an error."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, literal, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, exists, select

from portal.accounts import billing, cases, usage
from portal.accounts.models import (
    Appointment,
    AppointmentStatus,
    Bill,
    Case,
    CaseStep,
    CustomerAccount,
    Payment,
    PaymentStatus,
    Service,
    Stage,
)
from portal.accounts.todo import things_to_do
from portal.clock import aware
from portal.db import id_of
from portal.updates import service
from portal.updates.models import Update, UpdateKind, UsageAlert

DEFAULT_TIME_ZONE = "Europe/London"
CASE_STEPS_SINCE = dt.timedelta(days=14)
FAILED_PAYMENTS_SINCE = dt.timedelta(days=14)
BILL_DUE_WITHIN = dt.timedelta(days=5)
DONE_CHECKED_FOR = dt.timedelta(days=60)  # How far back mark_done_where_finished looks.


class _Scan:
    """What every source needs: the session, the moment, the local day, and a counter."""

    def __init__(self, db: Session, now: dt.datetime, time_zone: str) -> None:
        self.db = db
        self.now = now
        self.zone = ZoneInfo(time_zone)
        self.today = self.local_date(now)
        self.made = 0

    def local_date(self, moment: dt.datetime) -> dt.date:
        return aware(moment).astimezone(self.zone).date()

    def start_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), self.zone).astimezone(dt.UTC)

    def make(self, account: CustomerAccount, *, kind: UpdateKind, message: str, source_key: str,
             params: dict[str, object], link: str, needs_action: bool = False) -> None:
        assert account.holder_person_id is not None
        try:
            with self.db.begin_nested():
                made = service.create_update(
                    self.db, person_id=account.holder_person_id, kind=kind, message=message,
                    source_key=source_key, params=params, link=link, account_id=account.id,
                    needs_action=needs_action, now=self.now)
        except IntegrityError:  # Another worker made the same update just now.
            made = None
        self.made += made is not None


def _not_told(prefix: str, thing_id: Mapped[int | None]) -> ColumnElement[bool]:
    """The account holder has no update from this source yet."""
    key = literal(prefix) + cast(thing_id, String)
    return ~exists().where(col(Update.person_id) == CustomerAccount.holder_person_id,
                           col(Update.source_key) == key)


_HELD = col(CustomerAccount.holder_person_id).is_not(None)


def case_steps(scan: _Scan) -> None:
    """A case or order moved on in the last 14 days. A step waiting for the customer needs action,
    unless the case has already moved past it."""
    rows = scan.db.exec(
        select(CaseStep, Case, CustomerAccount)
        .join(Case, col(Case.id) == CaseStep.case_id)
        .join(CustomerAccount, col(CustomerAccount.id) == Case.account_id)
        .where(_HELD, col(CaseStep.happened_on).is_not(None),
               col(CaseStep.happened_on) >= scan.today - CASE_STEPS_SINCE,
               col(CaseStep.happened_on) <= scan.today,
               _not_told("case-step:", col(CaseStep.id)))
        .order_by(col(CaseStep.happened_on), col(CaseStep.position))).all()
    for step, case, account in rows:
        waiting = step.stage is Stage.waiting_for_you
        if waiting and not _still_waiting(scan.db, case, step):
            continue  # It was waiting for them, but that is over: nothing to tell now.
        scan.make(account, kind=UpdateKind.cases, message="case_step", source_key=f"case-step:{step.id}",
                  params={"case_id": case.id, "step_id": step.id},
                  link=f"/account/cases/{case.reference}", needs_action=waiting)


def _still_waiting(db: Session, case: Case, step: CaseStep) -> bool:
    progress = cases.progress(db, case)
    return progress.waiting_for_you and progress.current is not None and progress.current.id == step.id


def bills(scan: _Scan) -> None:
    """Unpaid bills that are late, or due within 5 days. Whether a bill counts (Direct Debit, a
    payment plan that covers it) is the dashboard's decision, so both always agree."""
    rows = scan.db.exec(
        select(Bill, CustomerAccount)
        .join(CustomerAccount, col(CustomerAccount.id) == Bill.account_id)
        .where(_HELD, col(Bill.paid_on).is_(None), Bill.due_on <= scan.today + BILL_DUE_WITHIN,
               or_(and_(col(Bill.due_on) < scan.today, _not_told("bill-overdue:", col(Bill.id))),
                   and_(col(Bill.due_on) >= scan.today, _not_told("bill-due:", col(Bill.id)))))
        .order_by(col(Bill.due_on))).all()
    to_do_of: dict[int, list] = {}
    for bill, account in rows:
        account_id = id_of(account)
        late = billing.bill_status(bill, scan.today) == "overdue"
        if account_id not in to_do_of:
            to_do_of[account_id] = things_to_do(scan.db, account, scan.now, scan.today, scan.local_date)
        kind = "bill_overdue" if late else "bill_due"
        if not any(t.kind == kind and t.bill is not None and t.bill.id == bill.id
                   for t in to_do_of[account_id]):
            continue  # On Direct Debit, or a payment plan covers it.
        scan.make(account, kind=UpdateKind.bills, message=kind,
                  source_key=f"{'bill-overdue' if late else 'bill-due'}:{bill.id}",
                  params={"bill_id": bill.id}, link=f"/account/bills/{bill.reference}", needs_action=late)


def failed_payments(scan: _Scan) -> None:
    """A payment that failed in the last 14 days, with nothing received since."""
    rows = scan.db.exec(
        select(Payment, CustomerAccount)
        .join(CustomerAccount, col(CustomerAccount.id) == Payment.account_id)
        .where(_HELD, Payment.status == PaymentStatus.failed,
               Payment.made_on >= scan.today - FAILED_PAYMENTS_SINCE, Payment.made_on <= scan.today,
               _not_told("payment-failed:", col(Payment.id)))).all()
    for payment, account in rows:
        latest_failed = billing.failed_payment(scan.db, id_of(account), scan.today)
        if latest_failed is None or latest_failed.id != payment.id:
            continue  # Something was paid since, or a later payment failed (told about that one).
        scan.make(account, kind=UpdateKind.payments, message="payment_failed",
                  source_key=f"payment-failed:{payment.id}", params={"payment_id": payment.id},
                  link="/account/payments", needs_action=True)


def visits(scan: _Scan) -> None:
    """A booked visit that starts tomorrow, told the day before."""
    tomorrow = scan.today + dt.timedelta(days=1)
    rows = scan.db.exec(
        select(Appointment, CustomerAccount)
        .join(CustomerAccount, col(CustomerAccount.id) == Appointment.account_id)
        .where(_HELD, Appointment.status == AppointmentStatus.booked,
               Appointment.starts_at >= scan.start_of(tomorrow),
               Appointment.starts_at < scan.start_of(tomorrow + dt.timedelta(days=1)),
               _not_told("visit:", col(Appointment.id)))).all()
    for appointment, account in rows:
        case = scan.db.get(Case, appointment.case_id) if appointment.case_id else None
        # The case page shows the visit and what we told the engineer helps you.
        scan.make(account, kind=UpdateKind.visits, message="visit_tomorrow",
                  source_key=f"visit:{appointment.id}", params={"appointment_id": appointment.id},
                  link=f"/account/cases/{case.reference}" if case else "/account")


def usage_over(scan: _Scan) -> None:
    """This month's (or, early in a month, last month's) use went over the limit the customer set."""
    rows = scan.db.exec(
        select(UsageAlert, Service, CustomerAccount)
        .join(Service, col(Service.id) == UsageAlert.service_id)
        .join(CustomerAccount, col(CustomerAccount.id) == Service.account_id)
        .where(_HELD)).all()
    this_month = (scan.today.year, scan.today.month)
    last_month = (scan.today.year - (scan.today.month == 1), (scan.today.month - 2) % 12 + 1)
    for alert, metered, account in rows:
        latest = usage.periods(scan.db, id_of(metered), months=1)
        if not latest:
            continue
        period = latest[-1]
        if (period.ending.year, period.ending.month) not in (this_month, last_month) \
                or period.amount <= alert.monthly_units:
            continue
        month = f"{period.ending.year:04d}-{period.ending.month:02d}"
        scan.make(account, kind=UpdateKind.usage, message="usage_over",
                  source_key=f"usage:{metered.id}:{month}",
                  params={"service_id": metered.id, "month": month, "units": period.amount,
                          "limit": alert.monthly_units},
                  link=f"/account/usage?service={metered.id}")


SOURCES: tuple[Callable[[_Scan], None], ...] = (case_steps, bills, failed_payments, visits, usage_over)


def scan(db: Session, now: dt.datetime, time_zone: str = DEFAULT_TIME_ZONE) -> int:
    """Make updates for everything new. Returns how many were made. The caller commits."""
    found = _Scan(db, now, time_zone)
    for source in SOURCES:
        source(found)
    return found.made


# The messages still_to_do knows how to check; for any other it answers False.
CHECKED = ("bill_overdue", "bill_due", "payment_failed", "case_step", "visit_tomorrow")


def still_to_do(db: Session, update: Update, now: dt.datetime,
                time_zone: str = DEFAULT_TIME_ZONE) -> bool:
    """Whether the thing this update is about still needs doing (or, for one that needs no action,
    is still ahead). The ladder stops when this turns False."""
    try:
        params = json.loads(update.params or "{}")
    except ValueError:
        return False
    today = aware(now).astimezone(ZoneInfo(time_zone)).date()
    if update.message in ("bill_overdue", "bill_due"):
        bill = db.get(Bill, params.get("bill_id") or 0)
        if bill is None:
            return False
        status = billing.bill_status(bill, today)
        return status != "paid" if update.message == "bill_overdue" else status == "due"
    if update.message == "payment_failed":
        payment = db.get(Payment, params.get("payment_id") or 0)
        return payment is not None and not _paid_since(db, payment)
    if update.message == "case_step":
        step, case = db.get(CaseStep, params.get("step_id") or 0), db.get(Case, params.get("case_id") or 0)
        return step is not None and case is not None and step.stage is Stage.waiting_for_you \
            and _still_waiting(db, case, step)
    if update.message == "visit_tomorrow":
        appointment = db.get(Appointment, params.get("appointment_id") or 0)
        return appointment is not None and appointment.status is AppointmentStatus.booked \
            and aware(appointment.starts_at) > aware(now)
    return False


def _paid_since(db: Session, failed: Payment) -> bool:
    """A payment was received after this one failed, on the same account (and plan, if any)."""
    query = select(Payment.id).where(
        Payment.account_id == failed.account_id, Payment.status == PaymentStatus.received,
        (col(Payment.made_on) > failed.made_on)
        | ((col(Payment.made_on) == failed.made_on) & (col(Payment.id) > (failed.id or 0))))
    if failed.plan_id is not None:
        query = query.where(Payment.plan_id == failed.plan_id)
    return db.exec(query).first() is not None


def mark_done_where_finished(db: Session, now: dt.datetime, time_zone: str = DEFAULT_TIME_ZONE) -> int:
    """Set done_at on updates that needed action once the thing is done (the bill paid), and skip
    the ladder steps still waiting. Returns how many. The caller commits."""
    open_ones = db.exec(select(Update).where(
        col(Update.needs_action).is_(True), col(Update.done_at).is_(None),
        col(Update.message).in_(CHECKED),
        Update.created_at >= now - DONE_CHECKED_FOR)).all()
    done = 0
    for found in open_ones:
        if still_to_do(db, found, now, time_zone):
            continue
        found.done_at = now
        db.add(found)
        service.stop_ladder(db, found, note="done")
        done += 1
    return done
