"""/help: every way to talk to a person, whether we are open now, and what goes with the customer."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portal.access import Actor
from portal.deps import SessionDep, SettingsDep
from portal.help import context, service
from portal.help.models import Team
from portal.help.requests import team_for
from portal.identity.deps import SignInRequired, current_actor
from portal.settings import Settings
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter()

TIME_ZONE_COOKIE = "portal_tz"  # Set by static/js/timezone.js from the browser's own time zone.

CLEARED = "help_context_cleared"  # Tells the next /help page to confirm that nothing will be shared.

NowDep = Annotated[dt.datetime, Depends(service.get_now)]


def signed_in_actor(request: Request, db: SessionDep) -> Actor | None:
    """Who is signed in, or None: /help is for everyone."""
    try:
        return current_actor(request, db)
    except SignInRequired:
        return None


def customer_time_zone(request: Request, settings: Settings) -> str:
    """The browser's time zone if it told us a real one; otherwise the organisation's."""
    return service.valid_time_zone(request.cookies.get(TIME_ZONE_COOKIE)) or settings.time_zone


MaybeActor = Annotated[Actor | None, Depends(signed_in_actor)]


@router.get("/help", response_class=HTMLResponse)
def help_page(request: Request, db: SessionDep, settings: SettingsDep, now: NowDep, actor: MaybeActor,
              about: str | None = None) -> HTMLResponse:
    # Kept even when signed out: after signing in on the way to a callback or chat, it is still there.
    context.remember(request, about)
    cleared = bool(request.state.session.data.get(CLEARED))
    if cleared:
        request.state.session.set(CLEARED, False)  # Said once, like any confirmation.
    team = team_for(db, actor.customer_id) if actor else Team.general
    page = service.help_page(db, settings, now, customer_time_zone(request, settings), team)
    return render(request, "help/index.html", {
        "page": page, "hours": page.hours, "signed_in_now": actor is not None,
        "shared": context.items(request, db, actor) if actor else [],
        "specialist": team is Team.specialist, "cleared": cleared}, htmx_main=True)


@router.post("/help/do-not-share")
def do_not_share(request: Request) -> Response:
    """Empty what would travel with the customer's next request for help."""
    context.forget(request)
    request.state.session.set(CLEARED, True)
    return go_to(request, "/help")
