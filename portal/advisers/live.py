"""What the adviser console gets live (server-sent events): the queue, and one request's messages,
typing and changes. Both end when the adviser signs out, stops being an adviser or goes idle."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from markupsafe import escape
from sqlmodel import Session

from portal.access import Actor, Permission, can
from portal.advisers import service
from portal.clock import aware, utcnow
from portal.help import requests
from portal.help.models import HelpRequest
from portal.i18n import lazy_gettext as _l
from portal.web.sse import Fragments, LiveStream

WORDS = {"kinds": service.KINDS, "teams": service.TEAMS, "aware": aware}


def queue_context(db: Session, adviser: Actor) -> dict[str, Any]:
    """What the queue page and its live updates show."""
    return {"view": service.queue_view(db, adviser, utcnow()), "adviser": adviser, "updated": False,
            **WORDS}


class AdviserStream(LiveStream):
    """Open while the adviser is still an adviser, signed in on this browser and not idle."""

    def __init__(self, request: Request, adviser: Actor) -> None:
        self.request, self.adviser = request, adviser
        self.templates = request.app.state.templates
        self.session_id = request.state.session.id
        self.idle = dt.timedelta(minutes=request.app.state.settings.session_idle_minutes)

    def still_allowed(self, db: Session) -> bool:
        return service.still_adviser_here(db, self.adviser.person_id, self.session_id, self.idle)

    def render(self, template: str, **context: Any) -> str:
        return str(self.templates.get_template(template).render(request=self.request, **context))


class QueueStream(AdviserStream):
    """The queue, sent again whenever something in it may have changed; a short words-only
    announcement goes to its own live region, so the whole list is not read out."""

    channel = requests.QUEUE_CHANNEL

    def __init__(self, request: Request, adviser: Actor) -> None:
        super().__init__(request, adviser)
        self.shown: tuple[tuple[str, str], ...] | None = None

    def first(self, db: Session) -> Fragments:
        """On (re)connecting: the queue as it is now, in case events were missed; no announcement."""
        context = queue_context(db, self.adviser)
        self.shown = context["view"].signature
        return [("queue", self.render("advisers/_queue.html", **context))]

    def next(self, db: Session, event: dict) -> Fragments:
        context = queue_context(db, self.adviser)
        if self.shown == context["view"].signature:
            return []  # Nothing this adviser can see has changed.
        self.shown = context["view"].signature
        return [("queue", self.render("advisers/_queue.html", **context)),
                ("queue-status", self.render("advisers/_queue_status.html", **{**context, "updated": True}))]


class RequestStream(AdviserStream):
    """New messages, the customer typing, and changes to the request, as they happen. Messages and
    changes are announced in a few words in polite live regions; focus never moves. Once the request
    has gone to someone else, the adviser is told once and the stream ends."""

    def __init__(self, request: Request, adviser: Actor, help_request: HelpRequest) -> None:
        super().__init__(request, adviser)
        assert help_request.id is not None
        self.request_id = help_request.id
        self.channel = requests.request_channel(help_request)
        self.told_taken = False

    def may_advise(self, db: Session) -> HelpRequest | None:
        current = db.get(HelpRequest, self.request_id)
        return current if current is not None and can(self.adviser, current, Permission.advise) else None

    def still_allowed(self, db: Session) -> bool:
        return (self.may_advise(db) is not None or not self.told_taken) and super().still_allowed(db)

    def next(self, db: Session, event: dict) -> Fragments:
        current = self.may_advise(db)
        if current is None:
            if self.told_taken:
                return []
            self.told_taken = True  # Say it once; the stream then ends (see still_allowed).
            return [("request-status", str(escape(_l("Someone else took this."))))]
        name = event.get("event")
        if name == "typing":
            if event.get("by") == "adviser":
                return []
            return [("typing", self.render("advisers/_typing.html",
                                           name=service.customer_first_name(db, current)))]
        if name == "message":
            talk = service.conversation(db, current)
            sent = [("conversation", self.render("advisers/_conversation.html", panel=talk, aware=aware)),
                    ("typing", "")]
            if talk.messages and not talk.messages[-1].from_adviser:
                words = _l("New message from %(name)s") % {"name": talk.first_name}
                sent.append(("announce", str(escape(words))))
            return sent
        return [("request-status", self.render("advisers/_request_status.html", help_request=current,
                                               aware=aware))]
