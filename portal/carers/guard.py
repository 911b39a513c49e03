"""Every request made while a carer acts for someone passes through here first.

The authority is read afresh each time, so a change of scope, a stop or a pause takes effect on the
very next request; the route must be in the carer table (portal/carers/policy.py) and `can()` must
allow its permission for the customer. The customer's record of what the carer did gets every page
looked at, once it was really shown, and every refusal: a page the carer may not use, or a look-up the
page itself refused (someone else's bill or chat), named by the kind of page only, so no other
customer's reference ever reaches it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import anyio
from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Send
from starlette.types import Scope as AsgiScope

from portal.access import ActingFor, Actor, can
from portal.activity import service as activity
from portal.carers import policy, service
from portal.clock import today_in
from portal.identity.models import Person
from portal.web.flash import flash
from portal.web.sessions import SessionState

ACTING = "acting_for"  # The authority's id, in the server-side session.
PAGE_OPENED = "carer_page_opened"  # On the request's state: a page to note once its answer is known.
REFUSED = "carer_refused"  # The activity entry for a refusal; its detail is the route, never the address.


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


@dataclass(frozen=True)
class PageOpened:
    carer_person_id: int
    customer_person_id: int
    path: str  # The address, as opened.
    route: str  # The route it matched, like /account/bills/{reference}.


def _page_opened(request: Request, acting: ActingFor, person_id: int) -> PageOpened | None:
    rule = _rule(request)
    if request.method != "GET" or rule is None or rule.page is None:
        return None
    route = getattr(request.scope.get("route"), "path", request.url.path)
    return PageOpened(person_id, acting.customer_person_id, request.url.path[:500], route[:500])


def _note(engine: Engine, *, carer_person_id: int, customer_person_id: int, action: str,
          detail: str) -> None:
    with Session(engine) as db:
        activity.record(db, actor_person_id=carer_person_id, action=action,
                        on_behalf_of_person_id=customer_person_id, detail=detail)
        db.commit()


def _note_refusal(request: Request, acting: ActingFor, person_id: int) -> None:
    route = getattr(request.scope.get("route"), "path", "")
    _note(request.app.state.engine, carer_person_id=person_id, customer_person_id=acting.customer_person_id,
          action=REFUSED, detail=route[:500])


class CarerPageLog:
    """Notes a page a carer opened for someone once its answer is known: shown (2xx) as looked at,
    with its address; refused by the page itself (403 or 404: not theirs, or not there) as a
    refusal, by its route only. A redirect or an error notes nothing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: AsgiScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_after_noting(message: Message) -> None:
            if message["type"] == "http.response.start":
                opened: PageOpened | None = scope.get("state", {}).pop(PAGE_OPENED, None)
                if opened is not None:
                    await anyio.to_thread.run_sync(self._note, scope["app"].state.engine, opened,
                                                   message["status"])
            await send(message)

        await self.app(scope, receive, send_after_noting)

    @staticmethod
    def _note(engine: Engine, opened: PageOpened, status: int) -> None:
        if 200 <= status < 300:
            action, detail = "carer_viewed", opened.path
        elif status in (403, 404):
            action, detail = REFUSED, opened.route
        else:
            return
        _note(engine, carer_person_id=opened.carer_person_id, customer_person_id=opened.customer_person_id,
              action=action, detail=detail)


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
        if _someone_is_looking(request):  # Not the browser's own background requests.
            await anyio.to_thread.run_sync(_note_refusal, request, acting, person_id)
        raise NotWhileActing(acting.customer_name)
    request.state.live_check = still_acting(request)
    # Everything recorded while handling this request says it was done for the customer.
    activity.acting_for_person.set(acting.customer_person_id)
    setattr(request.state, PAGE_OPENED, _page_opened(request, acting, person_id))


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
