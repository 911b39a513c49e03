"""Setting up online access for an existing customer: details, a code, then a passkey."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import SessionDep, SettingsDep
from portal.i18n import gettext as _
from portal.identity import service
from portal.identity.deps import CurrentActor
from portal.identity.forms import CodeForm, SetUpForm
from portal.identity.signing_in import client_address, complete_sign_in, too_many_tries
from portal.notify.service import deliver_pending
from portal.web import devices
from portal.web.navigation import local_path
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter(prefix="/set-up")


@router.get("", response_class=HTMLResponse)
def set_up(request: Request) -> Response:
    return render(request, "identity/set_up.html", {"form": SetUpForm.blank()})


@router.post("", response_class=HTMLResponse)
def check_details(request: Request, db: SessionDep, settings: SettingsDep,
                  background: BackgroundTasks,
                  form: Annotated[SetUpForm, Depends(SetUpForm.from_request)]) -> Response:
    if not form.validate():
        return render(request, "identity/set_up.html", {"form": form}, status_code=422)
    # The same limits as codes to sign in, by the reference (it names the account just as well).
    reference = service.canonical_identifier(form.data.reference)
    device = devices.known(request, settings, reference)
    verdict = service.may_ask_for_code(db, settings, reference, client_address(request), device)
    if not verdict.allowed:
        return too_many_tries(request, verdict.retry_after, wrong_codes=False, back_href="/set-up")
    state: SessionState = request.state.session
    code_id = service.start_set_up(db, settings, state.id, reference, form.data.postcode,
                                   form.data.date_of_birth, device)
    state.set("set_up_code", code_id)
    background.add_task(service.send_requested_codes, request.app.state.engine, settings)
    background.add_task(deliver_pending, request.app.state.engine, settings)
    # The same answer whether or not the details matched, so nobody can test references here.
    return RedirectResponse("/set-up/code", status_code=303)


@router.get("/code", response_class=HTMLResponse)
def enter_code(request: Request) -> Response:
    return render(request, "identity/set_up_code.html", {"form": CodeForm.blank()})


@router.post("/code", response_class=HTMLResponse)
def check_code(request: Request, db: SessionDep, settings: SettingsDep,
               form: Annotated[CodeForm, Depends(CodeForm.from_request)]) -> Response:
    state: SessionState = request.state.session
    person = None
    if form.validate():
        try:
            person = service.finish_set_up(db, settings, state.id, state.data.get("set_up_code"),
                                           form.data.code)
        except service.TooManyWrongCodes as refusal:
            return too_many_tries(request, refusal.retry_after, wrong_codes=True,
                                  back_href="/set-up")
        if person is None:
            form.error("code", _("That code is wrong or has expired. Check it, or ask for a new "
                                 "code."))
    if person is None:
        return render(request, "identity/set_up_code.html", {"form": form}, status_code=422)
    complete_sign_in(request, db, person, "set-up code")
    return RedirectResponse("/set-up/passkey", status_code=303)


@router.get("/passkey", response_class=HTMLResponse)
def create_passkey(request: Request, actor: CurrentActor, next: str = "/account") -> Response:
    return render(request, "identity/set_up_passkey.html",
                  {"actor": actor, "next": local_path(next, "/account")})
