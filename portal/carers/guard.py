"""Every request made while a carer acts for someone passes through here first.

The authority is read afresh each time, so a change of scope, a stop or a pause takes effect on the
very next request; the route must be in the carer table (portal/carers/policy.py) and `can()` must
allow its permission for the customer; and every page looked at is written to the customer's record
of what the carer did."""

from __future__ import annotations

from collections.abc import Callable

import anyio
from fastapi import Request
from sqlmodel import Session

from portal.access import ActingFor, Actor, can
from portal.activity import service as activity
from portal.carers import policy, service
from portal.clock import today_in
from portal.identity.models import Person
from portal.web.flash import flash
from portal.web.sessions import SessionState

ACTING = "acting_for"  # The authority's id, in the server-side session.


class NotWhileActing(Exception):
    """This page is not one the carer may use for this customer."""

    def __init__(self, customer_name: str) -> None:
        self.customer_name = customer_name


class ActingEnded(Exception):
    """The authority was stopped, paused, changed to end, or ran out since the carer chose it."""


def _acting_now(request: Request, authority_id: int, person_id: int) -> ActingFor | None:
    settings = request.app.state.settings
    with Session(request.app.state.engine) as db:
        return service.acting_for(db, authority_id, person_id, today_in(settings.time_zone))


def _rule(request: Request) -> policy.Rule | None:
    route = request.scope.get("route")
    return policy.rule_for(request.method, getattr(route, "path", request.url.path))


def _someone_is_looking(request: Request) -> bool:
    """A page the person opened or a form they sent (htmx included), rather than something the
    browser does in the background. Browsers say which (Sec-Fetch-Mode); other clients count as
    a person."""
    mode = request.headers.get("sec-fetch-mode")
    return mode in (None, "navigate") or request.headers.get("hx-request") == "true"


def _allowed(request: Request, acting: ActingFor, person_id: int) -> bool:
    rule = _rule(request)
    if rule is None:
        return False
    if rule.permission is None:
        return True
    actor = Actor(person_id=person_id, name="", acting_for=acting)
    return can(actor, Person(id=acting.customer_person_id, name=acting.customer_name), rule.permission)


def _log_page(request: Request, acting: ActingFor, person_id: int) -> None:
    rule = _rule(request)
    if request.method != "GET" or rule is None or rule.page is None:
        return
    with Session(request.app.state.engine) as db:
        activity.record(db, actor_person_id=person_id, action="carer_viewed",
                        on_behalf_of_person_id=acting.customer_person_id, detail=request.url.path[:500])
        db.commit()


async def carer_guard(request: Request) -> None:
    """An app-wide dependency: does nothing unless the session is acting for someone."""
    state: SessionState | None = getattr(request.state, "session", None)
    request.state.acting = None
    if state is None or not state.person_id or not state.data.get(ACTING):
        return
    person_id = state.person_id
    acting = await anyio.to_thread.run_sync(_acting_now, request, int(state.data[ACTING]), person_id)
    if acting is None:
        if not _someone_is_looking(request):
            # A live stream reconnecting, or the service worker checking for an update: refused (or,
            # with nothing personal in it, answered as for the carer themself), and the session is
            # left as it is, so the next page the carer opens tells them why they stopped acting.
            if _rule(request) is not policy.OPEN:
                raise ActingEnded
            return
        state.data.pop(ACTING, None)
        flash(request, "carers", "acting_ended")
        raise ActingEnded
    # Set before the check, so even the page that refuses says who they are acting for.
    request.state.acting = acting
    if not _allowed(request, acting, person_id):
        raise NotWhileActing(acting.customer_name)
    request.state.live_check = still_acting(request)
    # Everything recorded while handling this request says it was done for the customer.
    activity.acting_for_person.set(acting.customer_person_id)
    await anyio.to_thread.run_sync(_log_page, request, acting, person_id)


def still_acting(request: Request) -> Callable[[], bool]:
    """For live streams: True while the carer may still act exactly as when the stream began."""
    acting: ActingFor | None = getattr(request.state, "acting", None)
    state: SessionState | None = getattr(request.state, "session", None)
    if acting is None or state is None or state.person_id is None:
        return lambda: True
    person_id = state.person_id

    def check() -> bool:
        return _acting_now(request, acting.authority_id, person_id) == acting

    return check
