"""What a customer needs to do, soonest and most urgent first: the top of the dashboard, the adviser's
view of a customer, reminders, and how urgent a request for help is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from portal.accounts import billing, cases, usage
from portal.accounts.models import (
    Appointment,
    Bill,
    Case,
    CaseStep,
    CustomerAccount,
    Payment,
    Service,
)
from portal.db import id_of

BILL_DUE_SOON = dt.timedelta(days=30)
APPOINTMENT_SOON = dt.timedelta(days=14)


@dataclass(frozen=True)
class ToDo:
    """Something the customer needs to do. `kind` picks the words; the rest fills them in."""

    kind: str  # bill_overdue, bill_due, instalment_due, payment_failed, give_reading, case_waiting,
    #            appointment
    account: CustomerAccount
    by: dt.date | None = None
    urgent: bool = False
    amount: int = 0
    bill: Bill | None = None
    payment: Payment | None = None
    service: Service | None = None
    case: Case | None = None
    step: CaseStep | None = None
    appointment: Appointment | None = None


def things_to_do(db: Session, account: CustomerAccount, now: dt.datetime, today: dt.date,
                 local_date: Callable[[dt.datetime], dt.date]) -> list[ToDo]:
    account_id = id_of(account)
    found: list[ToDo] = []
    failed = billing.failed_payment(db, account_id, today)
    if failed:
        found.append(ToDo("payment_failed", account, by=failed.made_on, urgent=True,
                          amount=failed.amount_pence, payment=failed))
    plan = billing.active_plan(db, account_id)
    if plan is not None:
        progress = billing.plan_progress(db, plan, today)
        if progress.next_due_on and progress.next_due_on - today <= BILL_DUE_SOON:
            found.append(ToDo("instalment_due", account, by=progress.next_due_on,
                              urgent=progress.behind, amount=plan.instalment_pence))
    for bill in billing.unpaid_bills(db, account_id):
        if plan is not None and bill.issued_on <= plan.agreed_on:
            continue  # The payment plan covers it.
        if bill.due_on < today:
            found.append(ToDo("bill_overdue", account, by=bill.due_on, urgent=True,
                              amount=billing.total(db, bill), bill=bill))
        elif bill.due_on - today <= BILL_DUE_SOON and not account.direct_debit:
            found.append(ToDo("bill_due", account, by=bill.due_on, amount=billing.total(db, bill),
                              bill=bill))
    for service in usage.metered_services(db, account_id):
        if service.reading_due_on is not None:
            found.append(ToDo("give_reading", account, by=service.reading_due_on,
                              urgent=service.reading_due_on < today, service=service))
    for item in cases.open_cases(db, account_id):
        if item.waiting_for_you and item.current is not None:
            act_by = item.current.act_by
            found.append(ToDo("case_waiting", account, by=act_by, case=item.case, step=item.current,
                              urgent=act_by is not None and act_by < today))
    for appointment in cases.appointments(db, account_id=account_id, after=now):
        if appointment.starts_at - now <= APPOINTMENT_SOON:
            case = db.get(Case, appointment.case_id) if appointment.case_id else None
            found.append(ToDo("appointment", account, by=local_date(appointment.starts_at),
                              appointment=appointment, case=case))
    return sorted(found, key=lambda t: (not t.urgent, t.by or dt.date.max))
