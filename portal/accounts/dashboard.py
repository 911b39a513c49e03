"""The dashboard: things to do first, then recent updates, then a summary of each account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

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
from portal.accounts.service import accounts_for, services_of
from portal.identity.access import Actor
from portal.notify.models import InboxMessage
from portal.notify.service import recent_messages

BILL_DUE_SOON = dt.timedelta(days=30)
APPOINTMENT_SOON = dt.timedelta(days=14)
UPDATES_SINCE = dt.timedelta(days=60)


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
    assert account.id is not None
    found: list[ToDo] = []
    failed = billing.failed_payment(db, account.id, today)
    if failed:
        found.append(ToDo("payment_failed", account, by=failed.made_on, urgent=True,
                          amount=failed.amount_pence, payment=failed))
    plan = billing.active_plan(db, account.id)
    if plan is not None:
        progress = billing.plan_progress(db, plan, today)
        if progress.next_due_on and progress.next_due_on - today <= BILL_DUE_SOON:
            found.append(ToDo("instalment_due", account, by=progress.next_due_on,
                              urgent=progress.behind, amount=plan.instalment_pence))
    for bill in billing.unpaid_bills(db, account.id):
        if plan is not None and bill.issued_on <= plan.agreed_on:
            continue  # The payment plan covers it.
        if bill.due_on < today:
            found.append(ToDo("bill_overdue", account, by=bill.due_on, urgent=True,
                              amount=billing.total(db, bill), bill=bill))
        elif bill.due_on - today <= BILL_DUE_SOON and not account.direct_debit:
            found.append(ToDo("bill_due", account, by=bill.due_on, amount=billing.total(db, bill),
                              bill=bill))
    for service in usage.metered_services(db, account.id):
        if service.reading_due_on is not None:
            found.append(ToDo("give_reading", account, by=service.reading_due_on,
                              urgent=service.reading_due_on < today, service=service))
    for item in cases.open_cases(db, account.id):
        if item.waiting_for_you and item.current is not None:
            act_by = item.current.act_by
            found.append(ToDo("case_waiting", account, by=act_by, case=item.case, step=item.current,
                              urgent=act_by is not None and act_by < today))
    for appointment in cases.appointments(db, account_id=account.id, after=now):
        if appointment.starts_at - now <= APPOINTMENT_SOON:
            case = db.get(Case, appointment.case_id) if appointment.case_id else None
            found.append(ToDo("appointment", account, by=local_date(appointment.starts_at),
                              appointment=appointment, case=case))
    return sorted(found, key=lambda t: (not t.urgent, t.by or dt.date.max))


@dataclass(frozen=True)
class Update:
    on: dt.date
    kind: str  # message, case_step
    account: CustomerAccount | None = None
    message: InboxMessage | None = None
    case: Case | None = None
    step: CaseStep | None = None


def recent_updates(db: Session, actor: Actor, accounts: list[CustomerAccount], today: dt.date,
                   local_date: Callable[[dt.datetime], dt.date], limit: int = 6) -> list[Update]:
    # A carer acting for someone sees the account's news, not the messages we sent the customer.
    inbox = [] if actor.acting_for else recent_messages(db, actor.person_id, limit=limit)
    found = [Update(local_date(m.created_at), "message", message=m) for m in inbox]
    for account in accounts:
        assert account.id is not None
        found += [Update(step.happened_on or today, "case_step", account, case=case, step=step)
                  for case, step in cases.recent_steps(db, account.id, today - UPDATES_SINCE)]
    return sorted(found, key=lambda u: u.on, reverse=True)[:limit]


@dataclass(frozen=True)
class AccountSummary:
    account: CustomerAccount
    balance: int
    latest_bill: Bill | None
    services: list[Service]
    open_cases: int
    last_month: list[tuple[Service, usage.Period]]


def summary(db: Session, account: CustomerAccount) -> AccountSummary:
    assert account.id is not None
    services = services_of(db, account.id)
    last_month = []
    for service in services:
        if service.kind.metered and service.id is not None:
            shown = usage.periods(db, service.id, months=1)
            if shown:
                last_month.append((service, shown[-1]))
    return AccountSummary(account, billing.balance(db, account.id), billing.latest_bill(db, account.id),
                          services, len(cases.open_cases(db, account.id)), last_month)


@dataclass(frozen=True)
class Dashboard:
    to_do: list[ToDo]
    updates: list[Update]
    summaries: list[AccountSummary]


def dashboard(db: Session, actor: Actor, now: dt.datetime, time_zone: str) -> Dashboard:
    zone = ZoneInfo(time_zone)

    def local_date(moment: dt.datetime) -> dt.date:
        if moment.tzinfo is None:  # Stored in UTC; some drivers hand it back without saying so.
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).date()

    today = local_date(now)
    accounts = accounts_for(db, actor)
    to_do = sorted((t for a in accounts for t in things_to_do(db, a, now, today, local_date)),
                   key=lambda t: (not t.urgent, t.by or dt.date.max))
    return Dashboard(to_do, recent_updates(db, actor, accounts, today, local_date),
                     [summary(db, a) for a in accounts])
