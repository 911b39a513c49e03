"""Your contact details, with a code to the new email or phone before a change takes effect."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.accounts.deps import CurrentAccount
from portal.accounts.models import CustomerAccount
from portal.deps import SessionDep, SettingsDep
from portal.details import service
from portal.details.forms import EmailForm, PhoneForm, new_contact
from portal.details.service import ChangeFailed, Kind, Pending, Problem
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.identity.deps import CurrentActor
from portal.identity.forms import CodeForm
from portal.web.flash import flash, take_kind
from portal.web.navigation import go_to
from portal.web.ratelimit import allow
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter(prefix="/account/details")
PENDING = "contact_change"
FORMS: dict[Kind, type[EmailForm | PhoneForm]] = {Kind.email: EmailForm, Kind.phone: PhoneForm}

FLASH = {
    "email_changed": lambda: _("Your email address was changed"),
    "phone_changed": lambda: _("Your phone number was changed"),
    "code_sent": lambda: _("We sent you a new code"),
}


def _flash(request: Request) -> str | None:
    key = take_kind(request, "details", *FLASH)
    return FLASH[key]() if key else None


def _pending(request: Request) -> Pending | None:
    return Pending.from_session(request.state.session.data.get(PENDING))


def _changeable(actor: Actor, account: CustomerAccount) -> CustomerAccount:
    if not service.may_change(actor, account):
        raise HTTPException(status_code=404)
    return account


def _too_many(settings: SettingsDep) -> str:
    return _("You have asked for too many codes. Wait 15 minutes and try again, or call us on "
             "%(phone)s.", phone=settings.help.phone)


@router.get("", response_class=HTMLResponse)
def details(request: Request, actor: CurrentActor, account: CurrentAccount) -> Response:
    return render(request, "details/index.html", {
        "account": account, "can_change": service.may_change(actor, account),
        "flash": _flash(request)}, htmx_main=True)


def _change_page(request: Request, kind: Kind, form: EmailForm | PhoneForm,
                 status: int = 200) -> Response:
    return render(request, "details/change.html", {"kind": kind.value, "form": form},
                  status_code=status, htmx_main=True)


def _ask(request: Request, actor: Actor, account: CustomerAccount, kind: Kind) -> Response:
    """The form comes filled in: with the change waiting for its code, if someone came back to fix
    a typing mistake, otherwise with what is on the account now."""
    _changeable(actor, account)
    pending = _pending(request)
    if pending is not None and pending.kind is kind and pending.account_id == account.id:
        value = pending.value
    else:
        value = service.current_value(account, kind)
    form = FORMS[kind].blank(**{kind.value: value})
    return _change_page(request, kind, form)


def _send(request: Request, actor: Actor, account: CustomerAccount, kind: Kind,
          form: EmailForm | PhoneForm, db: SessionDep, settings: SettingsDep) -> Response:
    _changeable(actor, account)
    if form.validate() and service.same_contact(kind, new_contact(form),
                                                service.current_value(account, kind)):
        form.error(kind.value, _("This is already your email address. Enter a new one.")
                   if kind is Kind.email else
                   _("This is already your phone number. Enter a new one."))
    if not form.errors and not allow(db, service.CODES_PER_PERSON, str(actor.person_id)):
        form.error(kind.value, _too_many(settings))
    if form.errors:
        return _change_page(request, kind, form, status=422)
    state: SessionState = request.state.session
    pending = service.send_code(db, settings, state.id, actor, account, kind, new_contact(form),
                                _pending(request))
    state.set(PENDING, pending.to_session())
    return go_to(request, "/account/details/confirm")


@router.get("/email", response_class=HTMLResponse)
def change_email(request: Request, actor: CurrentActor, account: CurrentAccount) -> Response:
    return _ask(request, actor, account, Kind.email)


@router.post("/email", response_class=HTMLResponse)
def send_email_code(request: Request, actor: CurrentActor, account: CurrentAccount,
                    db: SessionDep, settings: SettingsDep,
                    form: Annotated[EmailForm, Depends(EmailForm.from_request)]) -> Response:
    return _send(request, actor, account, Kind.email, form, db, settings)


@router.get("/phone", response_class=HTMLResponse)
def change_phone(request: Request, actor: CurrentActor, account: CurrentAccount) -> Response:
    return _ask(request, actor, account, Kind.phone)


@router.post("/phone", response_class=HTMLResponse)
def send_phone_code(request: Request, actor: CurrentActor, account: CurrentAccount,
                    db: SessionDep, settings: SettingsDep,
                    form: Annotated[PhoneForm, Depends(PhoneForm.from_request)]) -> Response:
    return _send(request, actor, account, Kind.phone, form, db, settings)


def _confirm_page(request: Request, pending: Pending, form: CodeForm, *, status: int = 200,
                  flash: str | None = None) -> Response:
    return render(request, "details/confirm.html", {
        "pending": pending, "kind": pending.kind.value, "form": form, "flash": flash},
        status_code=status, htmx_main=True)


def _problem_message(failed: ChangeFailed, settings: SettingsDep) -> str:
    if failed.problem is Problem.wrong:
        return ngettext("That code is wrong. Check it and try again. You have %(num)s try left.",
                        "That code is wrong. Check it and try again. You have %(num)s tries left.",
                        failed.tries_left, num=failed.tries_left)
    if failed.problem is Problem.expired:
        return _("That code has run out. Codes last 10 minutes. Ask for a new code.")
    if failed.problem is Problem.too_many_tries:
        return _("You have tried that code too many times. Ask for a new code.")
    return _("Someone else already uses this email address to sign in. Use a different one, or "
             "call us on %(phone)s.", phone=settings.help.phone)


@router.get("/confirm", response_class=HTMLResponse)
def enter_code(request: Request, actor: CurrentActor) -> Response:
    pending = _pending(request)
    if pending is None:
        return go_to(request, "/account/details")
    return _confirm_page(request, pending, CodeForm.blank(), flash=_flash(request))


@router.post("/confirm", response_class=HTMLResponse)
def check_code(request: Request, actor: CurrentActor, db: SessionDep, settings: SettingsDep,
               form: Annotated[CodeForm, Depends(CodeForm.from_request)]) -> Response:
    state: SessionState = request.state.session
    pending = _pending(request)
    if pending is None:
        return go_to(request, "/account/details")
    if not form.validate():
        return _confirm_page(request, pending, form, status=422)
    try:
        service.confirm(db, settings, state.id, actor, pending, form.data.code)
    except ChangeFailed as failed:
        if failed.problem is Problem.not_allowed:
            raise HTTPException(status_code=404) from failed
        if failed.problem is Problem.address_taken:
            # The code was right but the address cannot be used: ask for another one.
            state.data.pop(PENDING, None)
            state.mark()
            email_form = EmailForm.blank(email=pending.value)
            email_form.error("email", _problem_message(failed, settings))
            return _change_page(request, Kind.email, email_form, status=422)
        form.error("code", _problem_message(failed, settings))
        return _confirm_page(request, pending, form, status=422)
    state.data.pop(PENDING, None)
    flash(request, "details", f"{pending.kind.value}_changed")
    return go_to(request, "/account/details")


@router.post("/confirm/new-code", response_class=HTMLResponse)
def new_code(request: Request, actor: CurrentActor, db: SessionDep,
             settings: SettingsDep) -> Response:
    state: SessionState = request.state.session
    pending = _pending(request)
    if pending is None:
        return go_to(request, "/account/details")
    account = service.account_of(db, pending)
    if account is None or not service.may_change(actor, account):
        raise HTTPException(status_code=404)
    if not allow(db, service.CODES_PER_PERSON, str(actor.person_id)):
        form = CodeForm.blank()
        form.error("code", _too_many(settings))
        return _confirm_page(request, pending, form, status=422)
    pending = service.send_code(db, settings, state.id, actor, account, pending.kind,
                                pending.value, pending)
    state.set(PENDING, pending.to_session())
    flash(request, "details", "code_sent")
    return go_to(request, "/account/details/confirm")
