"""Services, and cases and orders with their timelines."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse

from portal.accounts import cases, usage
from portal.accounts.deps import CurrentAccount
from portal.accounts.models import Case, Service
from portal.accounts.service import account_of, accounts_for, by_id, by_reference, service_named, services_of
from portal.clock import utcnow
from portal.db import id_of
from portal.deps import SessionDep
from portal.identity.deps import CurrentActor
from portal.needs import service as needs
from portal.needs.wording import support_names
from portal.web.templating import render

router = APIRouter(prefix="/account")
SHOW = ("open", "closed", "all")


@router.get("/services", response_class=HTMLResponse)
def services(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep) -> HTMLResponse:
    account_id = id_of(account)
    return render(request, "account/services.html", {
        "account": account, "accounts": accounts_for(db, actor), "services": services_of(db, account_id)})


@router.get("/services/{service_id}", response_class=HTMLResponse)
def service(request: Request, service_id: Annotated[int, Path(ge=1, le=2**31 - 1)], actor: CurrentActor,
            db: SessionDep) -> HTMLResponse:
    found = by_id(db, actor, Service, service_id)
    if found is None:
        raise HTTPException(status_code=404)
    related = cases.of_service(db, found)
    return render(request, "account/service.html", {
        "service": found, "last_reading": usage.last_reading(db, found.id) if found.id else None,
        "cases": [cases.progress(db, c) for c in related]})


@router.get("/cases", response_class=HTMLResponse)
def case_list(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
              show: str = "open", page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> HTMLResponse:
    account_id = id_of(account)
    show = show if show in SHOW else "open"
    shown, pages = cases.cases(db, account_id, show=show, page=page)
    return render(request, "account/cases.html", {
        "account": account, "accounts": accounts_for(db, actor), "cases": shown, "show": show,
        "pages": pages, "page": min(page, pages)}, htmx_main=True)


@router.get("/cases/{reference}", response_class=HTMLResponse)
def case(request: Request, reference: str, actor: CurrentActor, db: SessionDep) -> HTMLResponse:
    found = by_reference(db, actor, Case, reference)
    if found is None:
        raise HTTPException(status_code=404)
    account = account_of(db, found)
    holder = account.holder_person_id if account else None
    holder_needs = needs.current(db, holder) if holder else None
    return render(request, "account/case.html", {
        "progress": cases.progress(db, found),
        # What helps the customer goes to whoever visits them, and the page says so.
        "helps": support_names(holder_needs.support) if holder_needs else [],
        "appointments": cases.appointments(db, case_id=found.id, after=utcnow()),
        "service": service_named(db, found.service_id)})
