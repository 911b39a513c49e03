"""/adviser/share-screen: an adviser enters the code a customer reads out, waits for them to say yes,
then watches their screen live (static/js/screen-view.js) and can point at things on it.

Only the adviser who entered the code sees the share; for anyone else it is "Page not found"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, ClassVar

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.advisers.deps import Adviser
from portal.cobrowse import live, service
from portal.cobrowse.forms import CodeForm
from portal.cobrowse.models import EndReason, ScreenShare, ShareStatus
from portal.deps import SessionDep, SettingsDep, broker_of
from portal.i18n import gettext as _
from portal.web.forms import Field, Form
from portal.web.navigation import go_to
from portal.web.ratelimit import allow as within_limit
from portal.web.sse import live_response
from portal.web.templating import render

router = APIRouter(prefix="/adviser/share-screen")


@dataclass(frozen=True)
class PointData:
    node: int
    view: str


@dataclass
class PointForm(Form[PointData]):
    fields: ClassVar = (Field("node", required="node", max_length=12, pattern=r"\d+", parse=int),
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
    share = service.join(db, broker_of(request), settings.secret_key, adviser, form.data.code)
    if share is None:
        form.error("code", _("That code is not right, or it has run out or been used. Ask the customer "
                             "to read it again, or to get a new code."))
        return _code_page(request, form, 422)
    return go_to(request, f"/adviser/share-screen/{share.id}")




@router.get("/{share_id:int}", response_class=HTMLResponse)
def view(request: Request, adviser: Adviser, db: SessionDep, settings: SettingsDep,
         share_id: int) -> Response:
    share = _share(db, adviser, share_id)
    service.still_on(db, broker_of(request), share, settings.time_zone)  # Ends one that ran its course.
    return render(request, "cobrowse/adviser_view.html", live.view_context(db, share))


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
    service.point(broker_of(request), share, form.data.node, form.data.view)
    return Response(status_code=204)


@router.get("/{share_id:int}/events")
def events(request: Request, adviser: Adviser, db: SessionDep, share_id: int) -> Response:
    return live_response(request, live.AdviserViewStream(request, adviser, _share(db, adviser, share_id)))
