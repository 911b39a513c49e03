"""Use over time (a chart, a summary and a table of the same numbers) and giving a meter reading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Permission, can
from portal.accounts import usage
from portal.accounts.deps import CurrentAccount, choose
from portal.accounts.models import CustomerAccount, Service
from portal.accounts.service import account_of, accounts_for, by_id
from portal.clock import today_in
from portal.db import id_of
from portal.deps import SessionDep, SettingsDep
from portal.i18n import format_number, gettext
from portal.i18n import lazy_gettext as _l
from portal.identity.deps import CurrentActor
from portal.web.flash import flash, take_kind
from portal.web.forms import Field, Form
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter(prefix="/account/usage")


def _pick(services: list[Service], wanted: str) -> Service | None:
    return next((s for s in services if str(s.id) == wanted), services[0] if services else None)


def _account_of_meter(request: Request, db: SessionDep, actor: CurrentActor, account: CustomerAccount,
                      wanted: str) -> CustomerAccount:
    """A link to a meter on another of the person's accounts (from the dashboard, say) shows that
    account, rather than quietly showing a meter on the one chosen before."""
    if not (wanted.isascii() and wanted.isdigit() and len(wanted) <= 9):
        return account
    service = by_id(db, actor, Service, int(wanted))
    if service is None or service.account_id == account.id:
        return account
    other = account_of(db, service)
    assert other is not None
    choose(request, other)
    return other


@router.get("", response_class=HTMLResponse)
def use(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
        service: str = "") -> HTMLResponse:
    account = _account_of_meter(request, db, actor, account, service)
    account_id = id_of(account)
    services = usage.metered_services(db, account_id)
    shown = _pick(services, service)
    periods = usage.periods(db, shown.id) if shown and shown.id else []
    taken = take_kind(request, "usage", "reading_taken")
    return render(request, "account/usage.html", {
        "account": account, "accounts": accounts_for(db, actor), "services": services, "shown": shown,
        "periods": periods, "chart": usage.chart(periods),
        "summary": usage.summarise(db, shown.id) if shown and shown.id else None,
        "readings": list(reversed(usage.readings(db, shown.id)))[:5] if shown and shown.id else [],
        "thanked": taken is not None,
    }, htmx_main=True)


@dataclass(frozen=True)
class ReadingData:
    service: str  # The id of one of the account's metered services.
    reading: int


@dataclass
class ReadingForm(Form[ReadingData]):
    fields: ClassVar = (
        Field("service", required=_l("Choose which meter you read")),
        Field("reading", required=_l("Enter your meter reading"), max_length=9, pattern=r"\d+",
              invalid=_l("Use numbers only, like 12345"),
              normalise=lambda v: v.replace(" ", "").replace(",", "").strip(), parse=int),
    )


def _reading_page(request: Request, form: ReadingForm, services: list[Service], db: SessionDep,
                  status: int = 200) -> Response:
    last = {s.id: usage.last_reading(db, s.id) for s in services if s.id}
    return render(request, "account/reading.html", {"form": form, "services": services, "last": last},
                  status_code=status, htmx_main=True)


def _problem_message(problem: usage.ReadingProblem) -> str:
    if problem.kind == "lower":
        return gettext("This is lower than your last reading, %(last)s. Check the numbers and try again.",
                       last=format_number(problem.last))
    return gettext("This is much higher than usual. Check the numbers and try again. If it is right, "
                   "talk to us.")


@router.get("/reading", response_class=HTMLResponse)
def reading_form(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
                 service: str = "") -> Response:
    account = _account_of_meter(request, db, actor, account, service)
    account_id = id_of(account)
    services = usage.metered_services(db, account_id)
    chosen = _pick(services, service)
    return _reading_page(request, ReadingForm.blank(service=str(chosen.id) if chosen else ""), services, db)


@router.post("/reading", response_class=HTMLResponse)
def give_reading(request: Request, account: CurrentAccount, actor: CurrentActor, db: SessionDep,
                 settings: SettingsDep,
                 form: Annotated[ReadingForm, Depends(ReadingForm.from_request)]) -> Response:
    account_id = id_of(account)
    services = usage.metered_services(db, account_id)
    service = (next((s for s in services if str(s.id) == form.data.service), None) if form.validate()
               else None)
    if not form.errors and service is None:
        form.error("service", _l("Choose which meter you read"))
    if form.errors or service is None or not can(actor, account, Permission.give_reading):
        return _reading_page(request, form, services, db, status=422)
    try:
        usage.give_reading(db, actor, service, form.data.reading, today_in(settings.time_zone))
    except usage.ReadingProblem as problem:
        form.error("reading", _problem_message(problem))
        return _reading_page(request, form, services, db, status=422)
    flash(request, "usage", "reading_taken")
    return go_to(request, f"/account/usage?service={service.id}")
