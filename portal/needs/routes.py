"""Your communication and access needs: how we contact you and what helps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from portal.deps import SessionDep
from portal.identity.deps import CurrentActor
from portal.needs import service, wording
from portal.needs.forms import NeedsForm
from portal.web.flash import flash, take_kind
from portal.web.navigation import go_to
from portal.web.templating import render

router = APIRouter(prefix="/account/needs")


def _page(request: Request, form: NeedsForm, *, saved: bool = False,
          status: int = 200) -> Response:
    return render(request, "needs/index.html", {
        "form": form, "saved": saved, "channels": list(wording.CHANNELS),
        "supports": list(wording.SUPPORTS)}, status_code=status, htmx_main=True)


@router.get("", response_class=HTMLResponse)
def needs(request: Request, actor: CurrentActor, db: SessionDep) -> Response:
    saved = take_kind(request, "needs", "needs_saved") is not None
    now = service.current(db, actor.customer_id)
    if now is None:
        form = NeedsForm.blank()
    else:
        form = NeedsForm.blank(
            channel=now.channel or service.NO_PREFERENCE, support=[s.value for s in now.support],
            other=now.other,
            consent="yes" if now.sensitive and service.consent_in_force(db, actor.customer_id) else "")
    return _page(request, form, saved=saved)


@router.post("", response_class=HTMLResponse)
def save_needs(request: Request, actor: CurrentActor, db: SessionDep,
               form: Annotated[NeedsForm, Depends(NeedsForm.from_request)]) -> Response:
    if not form.validate():
        return _page(request, form, status=422)
    data = form.data
    chosen = service.make_needs(data.channel, data.support, data.other)
    service.save(db, actor, actor.customer_id, chosen, consent=data.consent)
    flash(request, "needs", "needs_saved")
    return go_to(request, "/account/needs")
