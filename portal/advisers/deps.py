"""Request dependencies for the staff console: who may use it, and whether a live view may go on.

Only advisers see /adviser: for anyone else every address there is "Page not found"."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from portal.access import Actor
from portal.advisers import service
from portal.identity.deps import CurrentActor
from portal.web.sse import in_thread


def current_adviser(actor: CurrentActor) -> Actor:
    if not actor.is_adviser:
        raise HTTPException(status_code=404)
    return actor


Adviser = Annotated[Actor, Depends(current_adviser)]


def still_adviser_here(request: Request, adviser: Actor) -> bool:
    """Live streams end when the adviser signs out, is no longer an adviser, or goes idle."""
    idle = dt.timedelta(minutes=request.app.state.settings.session_idle_minutes)
    session_id = request.state.session.id
    return bool(in_thread(request, lambda db: service.still_adviser_here(db, adviser.person_id, session_id,
                                                                          idle)))
