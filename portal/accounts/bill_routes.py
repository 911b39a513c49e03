"""Bills (a list, one bill explained, a printable copy) and payments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse

from portal.access import Permission, can
from portal.accounts import billing
from portal.accounts.deps import CurrentAccount
from portal.accounts.models import Bill
from portal.accounts.service import account_of, accounts_for, by_reference, services_of
from portal.carers import service as carers
from portal.clock import today_in
from portal.db import id_of
from portal.deps import SessionDep, SettingsDep
from portal.identity.deps import CurrentActor
from portal.web.templating import render

router = APIRouter(prefix="/account")
Page = Annotated[int, Query(ge=1, le=10_000)]


def _year(value: str) -> int | None:
    """"" means every year; anything else that is not a year is ignored rather than an error."""
    return int(value) if value.isascii() and value.isdigit() and 1900 < int(value) < 3000 else None


@router.get("/bills", response_class=HTMLResponse)
def bills(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
          settings: SettingsDep, year: str = "", page: Page = 1) -> HTMLResponse:
    account_id = id_of(account)
    chosen_year = _year(year)
    shown, pages = billing.bills(db, account_id, year=chosen_year, page=page)
    return render(request, "account/bills.html", {
        "account": account, "accounts": accounts_for(db, actor), "bills": shown, "pages": pages,
        "page": min(page, pages), "year": chosen_year, "years": billing.bill_years(db, account_id),
        "totals": {b.id: billing.total(db, b) for b in shown}, "today": today_in(settings.time_zone),
        "balance": billing.balance(db, account_id),
    }, htmx_main=True)


def _bill_context(db: SessionDep, actor: CurrentActor, reference: str, settings: SettingsDep) -> dict:
    bill = by_reference(db, actor, Bill, reference)
    if bill is None:
        raise HTTPException(status_code=404)
    lines = billing.lines(db, bill)
    services = {s.id: s for s in services_of(db, bill.account_id)}
    return {"bill": bill, "lines": lines, "services": services, "total": billing.total(db, bill),
            "account": account_of(db, bill),
            "status": billing.bill_status(bill, today_in(settings.time_zone)),
            "comparison": billing.compare(db, bill)}


@router.get("/bills/{reference}", response_class=HTMLResponse)
def bill(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
         settings: SettingsDep) -> HTMLResponse:
    return render(request, "account/bill.html", _bill_context(db, actor, reference, settings))


@router.get("/bills/{reference}/print", response_class=HTMLResponse)
def printable_bill(request: Request, reference: str, actor: CurrentActor, db: SessionDep,
                   settings: SettingsDep) -> HTMLResponse:
    return render(request, "account/bill_print.html", _bill_context(db, actor, reference, settings))


@router.get("/payments", response_class=HTMLResponse)
def payments(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
             settings: SettingsDep, page: Page = 1) -> HTMLResponse:
    account_id = id_of(account)
    if not can(actor, account, Permission.view_payments):
        raise HTTPException(status_code=404)
    carers.looked_at_payments(db, actor)
    today = today_in(settings.time_zone)
    shown, pages = billing.payments(db, account_id, page=page)
    plan = billing.active_plan(db, account_id)
    return render(request, "account/payments.html", {
        "account": account, "accounts": accounts_for(db, actor), "payments": shown, "pages": pages,
        "page": min(page, pages), "balance": billing.balance(db, account_id),
        "plan": billing.plan_progress(db, plan, today) if plan else None,
        "failed": billing.failed_payment(db, account_id, today),
    }, htmx_main=True)
