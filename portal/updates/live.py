"""What a signed-in customer's pages get live (server-sent events): for each new update, a short
banner and the new count for the header. When the session ends, an "ended" event tells the browser
to stop reconnecting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment
from sqlmodel import Session

from portal.i18n import speaking
from portal.updates import centre, service
from portal.web.sessions import still_signed_in
from portal.web.sse import Fragments, LiveStream

ENDED = "ended"  # The stream's last event when the session is over: the browser stops asking.


def fragment(templates: Environment, macro: str, *args: Any) -> str:
    """One macro from updates/_live.html, rendered on its own for the live stream."""
    module = templates.get_template("updates/_live.html").module
    return str(getattr(module, macro)(*args))


class UpdatesStream(LiveStream):
    """New updates for one customer, in the language of the page that asked."""

    refused = [(ENDED, "")]

    def __init__(self, templates: Environment, time_zone: str, idle_minutes: int, person_id: int,
                 session_id: str, language: str) -> None:
        self.templates, self.time_zone = templates, time_zone
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.person_id, self.session_id, self.language = person_id, session_id, language
        self.channel = service.person_channel(person_id)

    def count(self, db: Session) -> tuple[str, str]:
        return "count", fragment(self.templates, "count_text", service.unseen_count(db, self.person_id))

    def first(self, db: Session) -> Fragments:
        """The count at once, for a page that reconnects after missing events."""
        with speaking(self.language):
            return [self.count(db)]

    def next(self, db: Session, event: dict) -> Fragments:
        update_id = event.get("id")
        if event.get("type") != "update" or not isinstance(update_id, int) or isinstance(update_id, bool):
            return []
        with speaking(self.language):
            found = service.update_for(db, self.person_id, update_id)
            if found is None:
                return []
            banner = fragment(self.templates, "banner", centre.shown(db, found, self.time_zone))
            return [("update", banner), self.count(db)]

    def still_allowed(self, db: Session) -> bool:
        return still_signed_in(db, self.session_id, self.person_id, self.idle)
