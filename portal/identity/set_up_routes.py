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
from portal.identity.signing_in import client_address, complete_sign_in
from portal.notify.service import deliver_pending
from portal.web.navigation import local_path
from portal.web.ratelimit import allow
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
    if form.validate() and not (
            allow(db, service.SET_UP_PER_CLIENT, client_address(request))
            and allow(db, service.SET_UP_PER_REFERENCE,
                      service.normalise_reference(form.data.reference))):
        form.error("reference", _("You have tried too many times. Wait 15 minutes and try "
                                  "again, or call us on %(phone)s.", phone=settings.help.phone))
    if form.errors:
        return render(request, "identity/set_up.html", {"form": form}, status_code=422)
    state: SessionState = request.state.session
    code_id = service.start_set_up(db, settings, state.id, form.data.reference, form.data.postcode,
                                   form.data.date_of_birth)
    state.set("set_up_code", code_id)
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
        person = service.finish_set_up(db, settings, state.id, state.data.get("set_up_code"),
                                       form.data.code)
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
