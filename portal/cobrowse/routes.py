"""/help/share-screen: the customer's side of sharing their screen with an adviser.

The page explains what the adviser will and will not see, gives a code to read out, asks the customer
to say yes once an adviser has entered it, and offers "Stop sharing" on every page while it lasts.
Every step is a plain form. Recording the screen itself needs JavaScript (static/js/share-screen.js);
the page says so when it is off."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from portal.access import Actor, Permission
from portal.cobrowse import live, service
from portal.cobrowse.forms import StartForm, StopForm
from portal.cobrowse.models import EndReason, ScreenShare, ShareStatus
from portal.deps import SessionDep, SettingsDep, broker_of, web_session
from portal.help import requests
from portal.i18n import gettext as _
from portal.identity.deps import CurrentActor
from portal.web.flash import flash, take_kind
from portal.web.forms import new_form_key
from portal.web.navigation import go_to, local_path
from portal.web.sessions import SessionState
from portal.web.sse import live_response
from portal.web.templating import render

router = APIRouter(prefix="/help/share-screen")

CODE = live.CODE  # {"share": id, "code": "123456"}: shown until an adviser uses it.
FLASHES = {
    "stopped": lambda: _("You stopped sharing. The adviser can no longer see your screen."),
    "declined": lambda: _("You said no. The adviser cannot see your screen."),
    "cancelled": lambda: _("We cancelled your code. Nobody can use it now."),
    "sharing": lambda: _("You are sharing your screen. The adviser can see the pages you go to here."),
}




def may_share(db: SessionDep, actor: CurrentActor) -> Actor:
    """Sharing is talking to us: the customer, or a carer who may talk to us for them."""
    if not service.may_share(db, actor):
        raise HTTPException(status_code=404)
    return actor


Sharer = Annotated[Actor, Depends(may_share)]


def sharing_now(request: Request) -> dict[str, str] | None:
    """For every page's banner: this browser's share, while an adviser is asking or looking. Only a
    session that asked for a code pays for the look-up."""
    state: SessionState | None = getattr(request.state, "session", None)
    if state is None or not state.person_id or not state.data.get(CODE):
        return None
    settings = request.app.state.settings
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        share = service.current(db, state.id, settings.time_zone)
        if share is None:
            state.take(CODE)  # Over: later pages need not look again.
            return None
        if share.status is not ShareStatus.waiting and "code" in state.data[CODE]:
            state.set(CODE, {"share": share.id})  # Used: the code itself need not be kept.
        if share.status not in (ShareStatus.asking, ShareStatus.sharing):
            return None
        return {"status": share.status.value, "adviser": service.adviser_words(db, share)}


def flash_text(request: Request) -> str:
    key = take_kind(request, "share_screen", *FLASHES)
    return FLASHES[key]() if key else ""




@router.get("", response_class=HTMLResponse)
def share_screen(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep,
                 asked_in: Annotated[str, Query(alias="request", max_length=20)] = "") -> Response:
    """`?request=HR-...`: the chat in which an adviser asked to see the screen."""
    share = service.current(db, web_session(request).id, settings.time_zone)
    form = StartForm.blank(form_key=new_form_key(), request=asked_in)
    return render(request, "cobrowse/share.html", {
        **live.state_context(request, db, share), "form": form, "flash": flash_text(request),
        "acting": actor.acting_for})


@router.post("")
def start(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep,
          form: Annotated[StartForm, Depends(StartForm.from_request)]) -> Response:
    form.validate()  # Never an error: a bad key is replaced, and a bad request is not found.
    asked_in = requests.by_reference(db, actor, form.data.request, Permission.talk_to_adviser)
    share, code = service.start(db, settings, actor, web_session(request).id, form.data.form_key,
                                help_request_id=asked_in.id if asked_in else None)
    if code is not None:
        web_session(request).set(CODE, {"share": share.id, "code": code})
    return go_to(request, "/help/share-screen")


def _current(request: Request, db: SessionDep, settings: SettingsDep) -> ScreenShare | None:
    return service.current(db, web_session(request).id, settings.time_zone)


def _end_if(request: Request, db: SessionDep, settings: SettingsDep, status: ShareStatus,
            reason: EndReason) -> Response:
    """End this browser's share if it is at `status`, and say so on the next page."""
    share = _current(request, db, settings)
    if share is not None and share.status is status:
        service.end(db, broker_of(request), share, reason, settings.time_zone)
        flash(request, "share_screen", reason.value)
    return go_to(request, "/help/share-screen")


@router.post("/cancel")
def cancel(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep) -> Response:
    """No longer wanting the code: nobody can use it now."""
    return _end_if(request, db, settings, ShareStatus.waiting, EndReason.cancelled)


@router.post("/allow")
def allow(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep) -> Response:
    share = _current(request, db, settings)
    if share is not None and service.allow(db, broker_of(request), share, actor):
        flash(request, "share_screen", "sharing")
    return go_to(request, "/help/share-screen")


@router.post("/decline")
def decline(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep) -> Response:
    return _end_if(request, db, settings, ShareStatus.asking, EndReason.declined)


@router.post("/stop")
def stop(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep,
         form: Annotated[StopForm, Depends(StopForm.from_request)]) -> Response:
    """"Stop sharing", on every page while sharing: the adviser's view ends at once, and the
    customer stays on the page they were on."""
    share = _current(request, db, settings)
    if share is not None:
        service.end(db, broker_of(request), share, EndReason.stopped, settings.time_zone)
        flash(request, "share_screen", "stopped")
    form.validate()  # Never an error: `next` is only followed to a page of ours.
    return go_to(request, local_path(form.data.next, "/help/share-screen"))


@router.post("/frames")
def frames(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep,
           body: Annotated[Any, Body()] = None) -> Response:
    """What the sharing page recorded (already masked in the browser). 204 while sharing goes on;
    409 once it is over, so the page stops recording; 413 for more than a page should need, so it
    sends the whole page again instead."""
    try:
        batch = service.check_batch(body)
    except service.NotValid as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    share = _current(request, db, settings)
    if share is None or share.sharer_person_id != actor.person_id:
        return Response(status_code=409)
    try:
        going_on = service.add_frames(db, broker_of(request), share, batch, settings.time_zone)
    except service.TooMuch:
        return Response(status_code=413)
    return Response(status_code=204 if going_on else 409)


@router.get("/events")
def events(request: Request, actor: Sharer, db: SessionDep, settings: SettingsDep) -> Response:
    """For the sharing browser: an adviser entered the code, points at something, or the share ended."""
    share = _current(request, db, settings)
    stream = live.NothingShared() if share is None else live.SharerStream(request, share)
    return live_response(request, stream)
