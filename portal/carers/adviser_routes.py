"""/adviser/carers: advisers find who acts for a customer, record a power of attorney or deputyship,
and pause or stop a carer's access at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.accounts.models import CustomerAccount
from portal.advisers.deps import Adviser
from portal.carers import service, wording
from portal.carers.forms import DocumentForm, ReasonForm
from portal.carers.models import CarerAuthority
from portal.clock import today_in
from portal.deps import SessionDep, SettingsDep
from portal.i18n import lazy_gettext as _l
from portal.notify.service import deliver_pending
from portal.web.flash import flash, take_kind
from portal.web.forms import Field, Form, new_form_key
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter(prefix="/adviser/carers")


def _account(db: SessionDep, adviser: Actor, reference: str) -> CustomerAccount | None:
    return service.account_for_adviser(db, adviser, reference)


def _authority(db: SessionDep, adviser: Actor,
               authority_id: int) -> tuple[CarerAuthority, list[CustomerAccount]]:
    found = service.authority_for_adviser(db, adviser, authority_id)
    if found is None:
        raise HTTPException(status_code=404)
    return found


def _words(settings: SettingsDep) -> dict[str, object]:
    return {"words": wording, "scope_order": wording.SCOPE_ORDER, "today": today_in(settings.time_zone),
            "service": service}


@router.get("", response_class=HTMLResponse)
def find(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         account: str = "") -> Response:
    reference = account.strip()[:30]
    form = FindForm.blank(account=reference)
    found = _account(db, adviser, reference) if account else None
    if account and found is None:  # In the error summary too, linked to the field.
        form.error("account", _l("No customer has this reference. Check it and try again."))
    return render(request, "carers/adviser_find.html", {
        **_words(settings), "form": form, "account": found,
        "authorities": service.authorities_of_account(db, found) if found else []})


@dataclass(frozen=True)
class FindData:
    account: str


@dataclass
class FindForm(Form[FindData]):
    """Only shown, with what was looked for (a GET: the reference is in the address)."""

    fields: ClassVar = (Field("account"),)


def _new_page(request: Request, settings: SettingsDep, account: CustomerAccount, form: DocumentForm,
              status: int = 200) -> Response:
    return render(request, "carers/adviser_new.html", {**_words(settings), "account": account,
                                                       "form": form}, status_code=status)


@router.get("/new", response_class=HTMLResponse)
def new(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
        account: str = "") -> Response:
    found = _account(db, adviser, account)
    if found is None:
        raise HTTPException(status_code=404)
    return _new_page(request, settings, found, DocumentForm.blank(form_key=new_form_key()))


@router.post("/new", response_class=HTMLResponse)
def record(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
           background: BackgroundTasks, form: Annotated[DocumentForm, Depends(DocumentForm.from_request)],
           account: str = "") -> Response:
    found = _account(db, adviser, account)
    if found is None:
        raise HTTPException(status_code=404)
    form.today = today_in(settings.time_zone)
    if not form.validate():  # A missing or malformed form key is replaced, never an error.
        return _new_page(request, settings, found, form, status=422)
    authority, _code = service.record_document(db, settings, adviser, found, form.data.invitation,
                                               form.data.document, form.data.form_key, form.today)
    background.add_task(deliver_pending, request.app.state.engine, settings)
    flash(request, "adviser_carers", "recorded")
    return go_to(request, f"/adviser/carers/{authority.id}")


@router.get("/{authority_id:int}", response_class=HTMLResponse)
def authority_page(request: Request, authority_id: int, adviser: Adviser, db: SessionDep,
                   settings: SettingsDep) -> Response:
    authority, accounts = _authority(db, adviser, authority_id)
    done = take_kind(request, "adviser_carers", "recorded", "suspended", "lifted", "ended")
    names = service.names(db, [authority.customer_person_id, authority.carer_person_id,
                               authority.set_up_by_person_id])
    return render(request, "carers/adviser_authority.html", {
        **_words(settings), "authority": authority, "accounts": accounts, "names": names,
        "scopes": service.scopes_of(authority), "flash": done, "form": ReasonForm.blank()})


@router.post("/{authority_id:int}/suspend", response_class=HTMLResponse)
def suspend(request: Request, authority_id: int, adviser: Adviser, db: SessionDep, settings: SettingsDep,
            background: BackgroundTasks,
            form: Annotated[ReasonForm, Depends(ReasonForm.from_request)]) -> Response:
    authority, accounts = _authority(db, adviser, authority_id)
    if authority.status.value in ("suspended", "ended"):
        return go_to(request, f"/adviser/carers/{authority_id}")
    if not form.validate():
        names = service.names(db, [authority.customer_person_id, authority.carer_person_id,
                                   authority.set_up_by_person_id])
        return render(request, "carers/adviser_authority.html", {
            **_words(settings), "authority": authority, "accounts": accounts, "names": names,
            "scopes": service.scopes_of(authority), "flash": None, "form": form}, status_code=422)
    service.suspend(db, adviser, authority, form.data.reason)
    service.announce_change(request.app.state.broker, db, authority)
    background.add_task(deliver_pending, request.app.state.engine, settings)
    flash(request, "adviser_carers", "suspended")
    return go_to(request, f"/adviser/carers/{authority_id}")


@router.post("/{authority_id:int}/lift", response_class=HTMLResponse)
def lift(request: Request, authority_id: int, adviser: Adviser, db: SessionDep) -> Response:
    authority, _accounts = _authority(db, adviser, authority_id)
    if authority.status.value == "suspended":
        service.lift_suspension(db, adviser, authority)
        flash(request, "adviser_carers", "lifted")
    return go_to(request, f"/adviser/carers/{authority_id}")


@router.post("/{authority_id:int}/end", response_class=HTMLResponse)
def end(request: Request, authority_id: int, adviser: Adviser, db: SessionDep) -> Response:
    authority, _accounts = _authority(db, adviser, authority_id)
    if authority.status.value != "ended":
        service.adviser_end(db, adviser, authority)
        service.announce_change(request.app.state.broker, db, authority)
        flash(request, "adviser_carers", "ended")
    return go_to(request, f"/adviser/carers/{authority_id}")
