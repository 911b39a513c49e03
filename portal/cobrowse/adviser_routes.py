"""/adviser/share-screen: an adviser enters the code a customer reads out, waits for them to say yes,
then watches their screen live (static/js/screen-view.js) and can point at things on it.

Only the adviser who entered the code sees the share; for anyone else it is "Page not found"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from portal import i18n
from portal.access import Actor
from portal.advisers.deps import Adviser, still_adviser_here
from portal.cobrowse import service
from portal.cobrowse.forms import CodeForm
from portal.cobrowse.models import EndReason, ScreenShare, ShareStatus
from portal.deps import SessionDep, SettingsDep, broker_of
from portal.i18n import gettext as _
from portal.identity.models import Person
from portal.web.forms import Field, Form
from portal.web.navigation import go_to
from portal.web.ratelimit import allow as within_limit
from portal.web.sse import Fragments, sse_response
from portal.web.templating import render

router = APIRouter(prefix="/adviser/share-screen")


@dataclass
class PointForm(Form):
    fields: ClassVar = (Field("node", required="node", max_length=12, pattern=r"\d+"),
                        Field("view", required="view", max_length=32, pattern=r"[0-9a-f]+"))


def _share(db: SessionDep, adviser: Actor, share_id: int) -> ScreenShare:
    share = service.viewed_by(db, adviser, share_id)
    if share is None:
        raise HTTPException(status_code=404)
    return share


def _code_page(request: Request, form: CodeForm, status: int = 200) -> Response:
    return render(request, "cobrowse/adviser_join.html", {"form": form}, status_code=status)


@router.get("", response_class=HTMLResponse)
def join_page(request: Request, adviser: Adviser) -> Response:
    return _code_page(request, CodeForm.blank())


@router.post("")
def join(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         form: Annotated[CodeForm, Depends(CodeForm.from_request)]) -> Response:
    if not form.validate():
        return _code_page(request, form, 422)
    if not within_limit(db, service.CODE_TRIES, f"adviser:{adviser.person_id}"):
        form.error("code", _("You have entered too many codes. Wait 15 minutes, then try again."))
        return _code_page(request, form, 429)
    share = service.join(db, broker_of(request), settings.secret_key, adviser, form.values["code"])
    if share is None:
        form.error("code", _("That code is not right, or it has run out or been used. Ask the customer "
                             "to read it again, or to get a new code."))
        return _code_page(request, form, 422)
    return go_to(request, f"/adviser/share-screen/{share.id}")


def _view_context(db: Session, share: ScreenShare) -> dict[str, object]:
    customer = db.get(Person, share.customer_person_id)
    sharer = db.get(Person, share.sharer_person_id)
    return {"share": share, "status": share.status.value,
            "customer_name": customer.name if customer else "",
            "sharer_name": sharer.name if sharer and share.authority_id else "",
            "pages": share.pages.splitlines(), "minutes": service.minutes_so_far(share),
            "end_words": service.ADVISER_END_WORDS.get(share.end_reason, "") if share.end_reason else ""}


@router.get("/{share_id:int}", response_class=HTMLResponse)
def view(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         share_id: int) -> Response:
    share = _share(db, adviser, share_id)
    service.still_on(db, broker_of(request), share, settings.time_zone)  # Ends one that ran its course.
    return render(request, "cobrowse/adviser_view.html", _view_context(db, share))


@router.post("/{share_id:int}/stop")
def stop(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         share_id: int) -> Response:
    share = _share(db, adviser, share_id)
    service.end(db, broker_of(request), share, EndReason.adviser, settings.time_zone)
    return go_to(request, f"/adviser/share-screen/{share_id}")


@router.post("/{share_id:int}/point")
def point(request: Request, adviser: Adviser, db: SessionDep, share_id: int,
          form: Annotated[PointForm, Depends(PointForm.from_request)]) -> Response:
    """The adviser points at something on the customer's page (by the recording's number for it)."""
    share = _share(db, adviser, share_id)
    if not form.validate():
        raise HTTPException(status_code=400)
    if share.status is not ShareStatus.sharing:
        return Response(status_code=409)
    service.point(broker_of(request), share, int(form.values["node"]), form.values["view"])
    return Response(status_code=204)


@router.get("/{share_id:int}/events")
def events(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
           share_id: int) -> Response:
    """The customer's page, live: "frames" (recorded changes, JSON), "status" (the words above the
    view) and "ended". A reconnecting page gets the newest whole page again first."""
    share = _share(db, adviser, share_id)
    engine = request.app.state.engine
    broker = broker_of(request)
    locale = getattr(request.state, "locale", i18n.DEFAULT_LOCALE)
    sent = {"frame": 0}

    def new_frames(fresh: Session) -> Fragments:
        """Changes not sent yet."""
        found = service.frames_after(fresh, share, sent["frame"])
        if found:
            sent["frame"] = found[-1].id or sent["frame"]
        return [("frames", frame.events) for frame in found]

    def status(fresh: Session) -> Fragments:
        i18n.set_locale(locale)
        current = fresh.get(ScreenShare, share_id)
        assert current is not None
        html = request.app.state.templates.get_template("cobrowse/_adviser_status.html").render(
            {"request": request, **_view_context(fresh, current)})
        return [("status", html)]

    def first() -> Fragments:
        with Session(engine, expire_on_commit=False) as fresh:
            current = fresh.get(ScreenShare, share_id)
            if current is not None and current.status is ShareStatus.ended:
                return [*status(fresh), ("ended", "")]  # A page reconnecting after the end.
            return new_frames(fresh)

    def on_event(event: dict) -> Fragments:
        with Session(engine, expire_on_commit=False) as fresh:
            if event.get("type") == "frames":
                # A new page, or a page changed in place: the words above the view say which.
                return [*status(fresh), *new_frames(fresh)] if event.get("page") else new_frames(fresh)
            if event.get("type") == "ended":
                return [*status(fresh), ("ended", "")]
            return [*status(fresh), *new_frames(fresh)]

    def still_allowed() -> bool:
        with Session(engine, expire_on_commit=False) as fresh:
            current = fresh.get(ScreenShare, share_id)
            if current is None or not still_adviser_here(request, adviser):
                return False
            service.still_on(fresh, broker, current, settings.time_zone)  # Ends one gone quiet.
            return service.worth_streaming(current)

    return sse_response(request, service.adviser_channel(share), on_event, still_allowed=still_allowed,
                        first=first)
