from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from portal.accounts import service
from portal.deps import SessionDep
from portal.identity.deps import CurrentActor
from portal.notify import service as notify
from portal.web.templating import render

router = APIRouter()


@router.get("/account", response_class=HTMLResponse)
def overview(request: Request, actor: CurrentActor, db: SessionDep) -> HTMLResponse:
    return render(request, "account/overview.html",
                  {"actor": actor, "accounts": service.accounts_for(db, actor),
                   "messages": notify.recent_messages(db, actor.person_id)})
