"""Turning notifications on and off for a device, called by static/js/push.js on /updates/settings.

JSON in, JSON out, CSRF-checked like every post (the X-CSRF-Token header). Every refusal is a 4xx
with a plain message for the page's live region, never a 500. Turning a device off also works as a
plain form from the list of devices on the settings page, without JavaScript."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from portal.deps import SessionDep, SettingsDep
from portal.i18n import gettext as _
from portal.push import service
from portal.updates import centre
from portal.web.flash import flash
from portal.web.navigation import go_to
from portal.web.sessions import SessionState

router = APIRouter(prefix="/updates/push")

MALFORMED = object()


def _refused(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def json_body(request: Request) -> Any:
    """The JSON the browser sent, or MALFORMED."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return MALFORMED
    try:
        return json.loads(await request.body())
    except (ValueError, UnicodeDecodeError, RecursionError):
        return MALFORMED


Body = Annotated[Any, Depends(json_body)]


def _customer(request: Request, db: SessionDep) -> int | None:
    """The signed-in customer (only customers get updates), or None."""
    state: SessionState = request.state.session
    return centre.customer_id(db, state.person_id)


def _signed_out() -> JSONResponse:
    return _refused(_("You have been signed out. Sign in again, then turn on notifications."), 401)


@router.post("/subscribe")
def subscribe(request: Request, db: SessionDep, settings: SettingsDep, body: Body) -> Response:
    person_id = _customer(request, db)
    if person_id is None:
        return _signed_out()
    if not settings.push.available:
        return _refused(_("We cannot send notifications at the moment. Choose email or text instead."), 404)
    if body is MALFORMED:
        return _refused(str(service.cannot_use()), 400)
    try:
        incoming = service.parse(body, settings)
    except service.Refused as refusal:
        return _refused(str(refusal), 422)
    state: SessionState = request.state.session
    new = service.subscribe(db, person_id, incoming, state.id, request.headers.get("user-agent", ""))
    return JSONResponse({"subscribed": True, "new": new}, status_code=201 if new else 200)


@router.post("/check")
def check(request: Request, db: SessionDep, body: Body) -> Response:
    """Whether we still send to this device. If we do, it now belongs to this session, so signing
    out here turns it off. It is never turned on here: a device that was turned off elsewhere stays
    off, and the page offers to turn it on."""
    person_id = _customer(request, db)
    if person_id is None:
        return _signed_out()
    endpoint = body.get("endpoint") if isinstance(body, dict) else None
    if not isinstance(endpoint, str):
        return _refused(str(service.cannot_use()), 400)
    state: SessionState = request.state.session
    return JSONResponse({"subscribed": service.claim_for_session(db, person_id, endpoint, state.id)})


async def unsubscribe_input(request: Request) -> Any:
    """A form's `device` id (str), or the JSON push.js sent, or MALFORMED."""
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        try:
            form = await request.form(max_files=0, max_fields=5)
        except Exception:  # Malformed bodies are the sender's problem, not a 500.
            return MALFORMED
        return str(form.get("device", ""))
    return await json_body(request)


@router.post("/unsubscribe")
def unsubscribe(request: Request, db: SessionDep,
                sent: Annotated[Any, Depends(unsubscribe_input)]) -> Response:
    """This device, by its endpoint (JSON from push.js); or any of the person's devices by id (the
    form on the settings page), which then goes back to the page."""
    person_id = _customer(request, db)
    if isinstance(sent, str):
        if person_id is not None and sent.isdigit() and len(sent) < 12:
            service.remove(db, person_id, int(sent))
            flash(request, "update_settings", service.DEVICE_OFF)
        return go_to(request, "/updates/settings")
    if person_id is None:
        return _signed_out()
    endpoint = sent.get("endpoint") if isinstance(sent, dict) else None
    if not isinstance(endpoint, str):
        return _refused(str(service.cannot_use()), 400)
    service.unsubscribe(db, person_id, endpoint)
    return JSONResponse({"subscribed": False})
