"""The last step of every way of signing in: a locked sign-in refused, a new session id, the log
entry, and back to where the person was going. And the answer when there have been too many tries."""

from __future__ import annotations

import datetime as dt
import ipaddress
import math

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlmodel import Session

from portal.clock import utcnow
from portal.db import id_of
from portal.i18n import format_datetime, ngettext
from portal.i18n import gettext as _
from portal.identity import service
from portal.identity.models import Person
from portal.web import devices
from portal.web.sessions import SessionState
from portal.web.templating import render


class SignInLocked(Exception):
    """An adviser locked this person's sign-in: no way in, and no session, until it is lifted. The
    app answers with a page that says to call us (portal/app.py)."""


def complete_sign_in(request: Request, db: Session, person: Person, how: str) -> None:
    """Every way in ends here, so a locked sign-in is refused here, whatever the way. Also remembers
    this device for the person, so the limits meant for strangers do not slow them down here next
    time."""
    if person.sign_in_locked:
        service.record_refusal(db, person.id, f"sign-in is locked ({how})")
        raise SignInLocked
    state: SessionState = request.state.session
    state.sign_in(id_of(person))
    service.record_sign_in(db, person, how)
    devices.remember(request, request.app.state.settings, service.identifiers_of(db, person))


def client_address(request: Request) -> str:
    """Who is asking, for rate limits. IPv6 by its /64, as one household or phone holds a whole
    /64 and could otherwise step round a limit."""
    host = request.client.host if request.client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def when_to_try_again(seconds: int, time_zone: str) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes <= 90:
        return ngettext("You can try again in %(num)s minute.", "You can try again in %(num)s minutes.",
                        minutes, num=minutes)
    return _("You can try again after %(time)s.",
             time=format_datetime(utcnow() + dt.timedelta(seconds=seconds), time_zone))


def too_many_tries(request: Request, retry_after: int, *, wrong_codes: bool,
                   back_href: str) -> Response:
    """A 429 page that says what happened, when to try again, and what to do meanwhile."""
    settings = request.app.state.settings
    response = render(request, "identity/too_many_tries.html", {
        "when": when_to_try_again(retry_after, settings.time_zone), "wrong_codes": wrong_codes,
        "back_href": back_href}, status_code=429)
    response.headers["Retry-After"] = str(retry_after)
    return response


def too_many_passkey_tries(request: Request, retry_after: int) -> JSONResponse:
    """The same for the passkey buttons, as words for the page's status region."""
    when = when_to_try_again(retry_after, request.app.state.settings.time_zone)
    return JSONResponse({"error": _("There have been too many tries to sign in from your internet "
                                    "connection.") + " " + when}, status_code=429,
                        headers={"Retry-After": str(retry_after)})
