"""Signing in (with a passkey, or a code as the fallback) and signing out."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import SessionDep, SettingsDep, broker_of
from portal.i18n import gettext as _
from portal.identity import service
from portal.identity.forms import CodeForm, IdentifierForm
from portal.identity.signing_in import client_address, complete_sign_in, too_many_tries
from portal.notify.service import deliver_pending
from portal.web import devices
from portal.web.navigation import local_path
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter()


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in(request: Request, next: str = "/account") -> Response:
    return render(request, "identity/sign_in.html",
                  {"form": IdentifierForm.blank(), "next": local_path(next, "/account")})


@router.post("/sign-in", response_class=HTMLResponse)
def send_sign_in_code(request: Request, db: SessionDep, settings: SettingsDep,
                      background: BackgroundTasks,
                      form: Annotated[IdentifierForm, Depends(IdentifierForm.from_request)],
                      next: str = "/account") -> Response:
    next_path = local_path(next, "/account")
    if not form.validate():
        return render(request, "identity/sign_in.html", {"form": form, "next": next_path},
                      status_code=422)
    identifier = service.canonical_identifier(form.data.identifier)
    device = devices.known(request, settings, identifier)
    verdict = service.may_ask_for_code(db, settings, identifier, client_address(request), device)
    if not verdict.allowed:
        return too_many_tries(request, verdict.retry_after, wrong_codes=False,
                              back_href=f"/sign-in?next={quote(next_path)}")
    state: SessionState = request.state.session
    code_id = service.start_code_sign_in(db, settings, state.id, identifier, device)
    state.set("sign_in_code", code_id)
    # The code is made and sent after the response, for everyone alike.
    background.add_task(service.send_requested_codes, request.app.state.engine, settings)
    background.add_task(deliver_pending, request.app.state.engine, settings)
    return RedirectResponse(f"/sign-in/code?next={next_path}", status_code=303)


@router.get("/sign-in/code", response_class=HTMLResponse)
def enter_sign_in_code(request: Request, next: str = "/account") -> Response:
    return render(request, "identity/sign_in_code.html",
                  {"form": CodeForm.blank(), "next": local_path(next, "/account")})


@router.post("/sign-in/code", response_class=HTMLResponse)
def check_sign_in_code(request: Request, db: SessionDep, settings: SettingsDep,
                       form: Annotated[CodeForm, Depends(CodeForm.from_request)],
                       next: str = "/account") -> Response:
    next_path = local_path(next, "/account")
    state: SessionState = request.state.session
    person = None
    if form.validate():
        try:
            person = service.finish_code_sign_in(db, settings, state.id,
                                                 state.data.get("sign_in_code"), form.data.code)
        except service.TooManyWrongCodes as refusal:
            return too_many_tries(request, refusal.retry_after, wrong_codes=True,
                                  back_href=f"/sign-in?next={quote(next_path)}")
        if person is None:
            form.error("code", _("That code is wrong or has expired. Check it, or ask for a new "
                                 "code."))
    if person is None:
        return render(request, "identity/sign_in_code.html", {"form": form, "next": next_path},
                      status_code=422)
    complete_sign_in(request, db, person, "one-time code")
    return RedirectResponse(next_path, status_code=303)


@router.get("/sign-in/locked", response_class=HTMLResponse)
def sign_in_locked(request: Request) -> Response:
    """Where a person whose sign-in an adviser locked is sent, whichever way they tried."""
    return render(request, "identity/locked.html")


@router.post("/sign-out")
def sign_out(request: Request, db: SessionDep) -> RedirectResponse:
    state: SessionState = request.state.session
    if state.person_id is not None:
        service.sign_out(db, broker_of(request), request.app.state.settings.time_zone, state.person_id,
                         state.id)
    state.end()
    response = RedirectResponse("/signed-out", status_code=303)
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@router.get("/signed-out", response_class=HTMLResponse)
def signed_out(request: Request) -> HTMLResponse:
    return render(request, "identity/signed_out.html")


@router.post("/session/extend")
def extend_session(request: Request) -> Response:
    """The "Stay signed in" button: any request resets the idle timer; this one does nothing else."""
    state: SessionState = request.state.session
    if state.person_id is None:
        return Response(status_code=401)
    state.mark()
    return Response(status_code=204)
