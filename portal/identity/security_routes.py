"""Your sign-in and security: passkeys and where you are signed in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from portal.deps import SessionDep, SettingsDep, broker_of
from portal.i18n import gettext as _
from portal.identity import service
from portal.identity.deps import CurrentActor
from portal.identity.forms import PasskeyNameForm
from portal.identity.models import Passkey, Person
from portal.web.flash import flash, take_kind
from portal.web.sessions import SessionState
from portal.web.templating import render

router = APIRouter(prefix="/account/security")
# Ids beyond what the database holds are a 400, not a crash.
PasskeyId = Annotated[int, Path(ge=1, le=2**31 - 1)]

FLASH = {
    "passkey_added": lambda: _("Your passkey was added"),
    "passkey_renamed": lambda: _("Your passkey was renamed"),
    "passkey_removed": lambda: _("Your passkey was removed"),
    "sessions_ended": lambda: _("You were signed out everywhere else"),
}


def _person(db: SessionDep, actor: CurrentActor) -> Person:
    person = service.person(db, actor.person_id)
    return person


def _own_passkey(db: SessionDep, actor: CurrentActor, passkey_id: int) -> Passkey:
    passkey = service.passkey_of(db, actor.person_id, passkey_id)
    if passkey is None:
        raise HTTPException(status_code=404)
    return passkey


@router.get("", response_class=HTMLResponse)
def security(request: Request, actor: CurrentActor, db: SessionDep,
             settings: SettingsDep) -> Response:
    state: SessionState = request.state.session
    flash = take_kind(request, "security", *FLASH)
    return render(request, "identity/security.html", {
        "actor": actor, "passkeys": service.passkeys_of(db, actor.person_id),
        "sessions": service.session_summaries(db, settings, actor.person_id, state.id),
        "flash": FLASH[flash]() if flash else None})


@router.get("/passkeys/{passkey_id}/rename", response_class=HTMLResponse)
def rename(request: Request, passkey_id: PasskeyId, actor: CurrentActor, db: SessionDep) -> Response:
    passkey = _own_passkey(db, actor, passkey_id)
    return render(request, "identity/passkey_rename.html",
                  {"passkey": passkey, "form": PasskeyNameForm.blank(name=passkey.name)})


@router.post("/passkeys/{passkey_id}/rename", response_class=HTMLResponse)
def save_name(request: Request, passkey_id: PasskeyId, actor: CurrentActor, db: SessionDep,
              form: Annotated[PasskeyNameForm, Depends(PasskeyNameForm.from_request)]) -> Response:
    passkey = _own_passkey(db, actor, passkey_id)
    if not form.validate():
        return render(request, "identity/passkey_rename.html",
                      {"passkey": passkey, "form": form}, status_code=422)
    service.rename_passkey(db, _person(db, actor), passkey, form.data.name)
    flash(request, "security", "passkey_renamed")
    return RedirectResponse("/account/security", status_code=303)


@router.get("/passkeys/{passkey_id}/remove", response_class=HTMLResponse)
def confirm_remove(request: Request, passkey_id: PasskeyId, actor: CurrentActor,
                   db: SessionDep) -> Response:
    passkey = _own_passkey(db, actor, passkey_id)
    return render(request, "identity/passkey_remove.html", {"passkey": passkey, "refused": False})


@router.post("/passkeys/{passkey_id}/remove", response_class=HTMLResponse)
def remove(request: Request, passkey_id: PasskeyId, actor: CurrentActor, db: SessionDep,
           settings: SettingsDep) -> Response:
    passkey = _own_passkey(db, actor, passkey_id)
    try:
        service.remove_passkey(db, settings, _person(db, actor), passkey)
    except service.LastWayIn:
        return render(request, "identity/passkey_remove.html",
                      {"passkey": passkey, "refused": True}, status_code=409)
    flash(request, "security", "passkey_removed")
    return RedirectResponse("/account/security", status_code=303)


@router.post("/sessions/end-others")
def end_others(request: Request, actor: CurrentActor, db: SessionDep) -> Response:
    state: SessionState = request.state.session
    service.end_other_sessions(db, broker_of(request), request.app.state.settings.time_zone,
                               actor.person_id, state.id)
    flash(request, "security", "sessions_ended")
    return RedirectResponse("/account/security", status_code=303)
