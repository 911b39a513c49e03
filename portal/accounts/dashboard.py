"""The dashboard: things to do first, then recent updates, then a summary of each account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlmodel import Session

from portal.access import Actor
from portal.accounts import billing, cases, usage
from portal.accounts.models import (
    Bill,
    Case,
    CaseStep,
    CustomerAccount,
    Service,
)
from portal.accounts.service import accounts_for, services_of
from portal.accounts.todo import ToDo, things_to_do
from portal.db import id_of
from portal.notify.models import InboxMessage
from portal.notify.service import recent_messages

UPDATES_SINCE = dt.timedelta(days=60)


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
        account_id = id_of(account)
        found += [Update(step.happened_on or today, "case_step", account, case=case, step=step)
                  for case, step in cases.recent_steps(db, account_id, today - UPDATES_SINCE)]
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
    account_id = id_of(account)
    services = services_of(db, account_id)
    last_month = []
    for service in services:
        if service.kind.metered and service.id is not None:
            shown = usage.periods(db, service.id, months=1)
            if shown:
                last_month.append((service, shown[-1]))
    return AccountSummary(account, billing.balance(db, account_id), billing.latest_bill(db, account_id),
                          services, len(cases.open_cases(db, account_id)), last_month)


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
