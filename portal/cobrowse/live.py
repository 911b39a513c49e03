"""What the two sides of a shared screen get live (server-sent events): the customer's panel (an
adviser asks, points, or the share ends), and the adviser's view of the customer's page."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from fastapi import Request
from sqlmodel import Session

from portal.access import Actor
from portal.advisers import service as advisers
from portal.cobrowse import service
from portal.cobrowse.forms import StartForm
from portal.cobrowse.models import ScreenShare, ShareStatus
from portal.identity.models import Person
from portal.web.forms import new_form_key
from portal.web.sse import Fragments, LiveStream

CODE = "screen_share_code"  # The web session's note of the code it was given: {"share": id, "code": ...}


def state_context(request: Request, db: Session, share: ScreenShare | None) -> dict[str, Any]:
    """What the customer's state panel needs, on the page and for a live update of it."""
    kept = request.state.session.data.get(CODE) or {}
    code = kept.get("code") if share is not None and kept.get("share") == share.id else None
    return {"share": share, "status": share.status.value if share else "",
            "code": service.show_code(code) if code else "",
            "minutes_left": service.minutes_left(share) if share else 0,
            "adviser": service.adviser_words(db, share) if share and share.adviser_person_id else ""}


def view_context(db: Session, share: ScreenShare) -> dict[str, object]:
    """What the adviser's page says above the view."""
    customer = db.get(Person, share.customer_person_id)
    sharer = db.get(Person, share.sharer_person_id)
    return {"share": share, "status": share.status.value,
            "customer_name": customer.name if customer else "",
            "sharer_name": sharer.name if sharer and share.authority_id else "",
            "pages": share.pages.splitlines(), "minutes": service.minutes_so_far(share),
            "end_words": service.ADVISER_END_WORDS.get(share.end_reason, "") if share.end_reason else ""}


class ShareStream(LiveStream):
    """A stream about one share, open while it is worth streaming; checking ends a share gone quiet."""

    def __init__(self, request: Request, share: ScreenShare, channel: str) -> None:
        assert share.id is not None
        self.request, self.share_id, self.channel = request, share.id, channel
        self.templates = request.app.state.templates
        self.broker = request.app.state.broker
        self.time_zone = request.app.state.settings.time_zone

    def current(self, db: Session) -> ScreenShare | None:
        return db.get(ScreenShare, self.share_id)

    def still_allowed(self, db: Session) -> bool:
        found = self.current(db)
        if found is None:
            return False
        service.still_on(db, self.broker, found, self.time_zone)  # A share gone quiet ends here.
        return service.worth_streaming(found)

    def render(self, template: str, **context: Any) -> str:
        return str(self.templates.get_template(template).render(request=self.request, **context))


class SharerStream(ShareStream):
    """For the sharing browser: an adviser entered the code (the page's panel changes), the adviser
    points at something, or the share ended."""

    def __init__(self, request: Request, share: ScreenShare) -> None:
        super().__init__(request, share, service.customer_channel(share))

    def panel(self, db: Session) -> str:
        found = self.current(db)
        going_on = found if found is not None and found.status is not ShareStatus.ended else None
        return self.render("cobrowse/_state.html", form=StartForm.blank(form_key=new_form_key(), request=""),
                           **state_context(self.request, db, going_on))

    def next(self, db: Session, event: dict) -> Fragments:
        kind = event.get("type")
        if kind == "point":
            return [("point", json.dumps({"node": event.get("node"), "view": event.get("view")}))]
        html = self.panel(db)
        return [("state", html), ("ended", "")] if kind == "ended" else [("state", html)]


class NothingShared(LiveStream):
    """For a browser that shares nothing (any more): says it ended, and stops."""

    channel = "screen-share:none"

    def first(self, db: Session) -> Fragments:
        return [("ended", "")]

    def next(self, db: Session, event: dict) -> Fragments:
        return []

    def still_allowed(self, db: Session) -> bool:
        return False


class AdviserViewStream(ShareStream):
    """The customer's page, live, for the adviser who joined: "frames" (recorded changes, JSON),
    "status" (the words above the view) and "ended". A reconnecting page gets the newest whole page
    again first."""

    def __init__(self, request: Request, adviser: Actor, share: ScreenShare) -> None:
        super().__init__(request, share, service.adviser_channel(share))
        self.adviser = adviser
        self.session_id = request.state.session.id
        self.idle = dt.timedelta(minutes=request.app.state.settings.session_idle_minutes)
        self.share = share
        self.last_frame = 0

    def new_frames(self, db: Session) -> Fragments:
        """Changes not sent yet."""
        found = service.frames_after(db, self.share, self.last_frame)
        if found:
            self.last_frame = found[-1].id or self.last_frame
        return [("frames", frame.events) for frame in found]

    def status(self, db: Session) -> Fragments:
        current = self.current(db)
        assert current is not None
        return [("status", self.render("cobrowse/_adviser_status.html", **view_context(db, current)))]

    def first(self, db: Session) -> Fragments:
        current = self.current(db)
        if current is not None and current.status is ShareStatus.ended:
            return [*self.status(db), ("ended", "")]  # A page reconnecting after the end.
        return self.new_frames(db)

    def next(self, db: Session, event: dict) -> Fragments:
        if event.get("type") == "frames":
            # A new page, or a page changed in place: the words above the view say which.
            return [*self.status(db), *self.new_frames(db)] if event.get("page") else self.new_frames(db)
        if event.get("type") == "ended":
            return [*self.status(db), ("ended", "")]
        return [*self.status(db), *self.new_frames(db)]

    def still_allowed(self, db: Session) -> bool:
        return (advisers.still_adviser_here(db, self.adviser.person_id, self.session_id, self.idle)
                and super().still_allowed(db))
