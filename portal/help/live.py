"""What a customer's conversation pages get live (server-sent events): new messages in a thread, a
chat's messages, typing and state, and a waiting chat's place in the queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment
from sqlmodel import Session

from portal.access import Actor
from portal.help import conversations, requests
from portal.help.conversations import ChatState
from portal.help.models import HelpRequest
from portal.i18n import gettext as _
from portal.settings import Settings
from portal.web.sessions import still_signed_in
from portal.web.sse import Fragments, LiveStream


def fragment(templates: Environment, macro: str, *args: Any) -> str:
    """One macro from help/_conversation.html, rendered on its own (for htmx and live streams)."""
    module = templates.get_template("help/_conversation.html").module
    return str(getattr(module, macro)(*args))


class ConversationStream(LiveStream):
    """A stream about one of the customer's requests, open while it is still theirs and they are
    still signed in on this browser."""

    def __init__(self, templates: Environment, settings: Settings, actor: Actor, request: HelpRequest,
                 session_id: str) -> None:
        assert request.id is not None
        self.templates, self.settings, self.actor = templates, settings, actor
        self.request_id, self.reference, self.session_id = request.id, request.reference, session_id
        self.channel = requests.request_channel(request)

    def still_allowed(self, db: Session) -> bool:
        if requests.by_reference(db, self.actor, self.reference) is None:
            return False
        idle = dt.timedelta(minutes=self.settings.session_idle_minutes)
        return still_signed_in(db, self.session_id, self.actor.person_id, idle)

    def current(self, db: Session) -> HelpRequest | None:
        return db.get(HelpRequest, self.request_id)


class ThreadStream(ConversationStream):
    """A secure message thread: new messages (only those the page has not shown), and a word when
    we close the conversation."""

    def __init__(self, *args: Any, after: int) -> None:
        super().__init__(*args)
        self.last_shown = after

    def sent(self, fresh: list[conversations.Said]) -> Fragments:
        """Messages the page has not shown yet, remembered as shown."""
        if not fresh:
            return []
        self.last_shown = fresh[-1].id
        return [("message", fragment(self.templates, "message_items", fresh))]

    def new_messages(self, db: Session, current: HelpRequest) -> Fragments:
        return self.sent(conversations.said(db, current, self.actor.person_id, after_id=self.last_shown))

    def first(self, db: Session) -> Fragments:
        current = self.current(db)
        return self.new_messages(db, current) if current is not None else []

    def next(self, db: Session, event: dict) -> Fragments:
        current = self.current(db)
        if current is None:
            return []
        if event.get("event") == "message":
            return self.new_messages(db, current)
        return self.other_event(db, current, event)

    def other_event(self, db: Session, current: HelpRequest, event: dict) -> Fragments:
        """Anything but a message: a word when we close the conversation."""
        if current.status in conversations.FINISHED:
            return [("status", fragment(self.templates, "thread_closed")), ("ended", "")]
        return []


class ChatStream(ThreadStream):
    """A live chat: new messages, "Dewi is typing…", and where the chat is (someone joined, it
    ended), each said once."""

    def __init__(self, *args: Any, after: int, shown_state: str) -> None:
        super().__init__(*args, after=after)
        self.shown_state = shown_state

    def new_messages(self, db: Session, current: HelpRequest) -> Fragments:
        fresh = conversations.said(db, current, self.actor.person_id, after_id=self.last_shown)
        sent = self.sent(fresh)
        if any(not m.mine for m in fresh):
            sent.append(("typing", ""))  # They sent it, so they stopped typing.
        return sent

    def where_it_is(self, db: Session, current: HelpRequest) -> Fragments:
        view = conversations.chat_view(db, self.settings, current)
        if view.state.value == self.shown_state:
            return []
        self.shown_state = view.state.value
        status = fragment(self.templates, "chat_status", view)
        if view.state is not ChatState.ended:
            return [("status", status)]
        return [("status", status + fragment(self.templates, "chat_ended", current.reference, True)),
                ("typing", ""), ("ended", "")]

    def first(self, db: Session) -> Fragments:
        current = self.current(db)
        return (self.new_messages(db, current) + self.where_it_is(db, current)) if current is not None else []

    def other_event(self, db: Session, current: HelpRequest, event: dict) -> Fragments:
        if event.get("event") == "typing":
            if event.get("by") != "adviser" or current.claimed_by_person_id is None:
                return []
            adviser = conversations.chat_view(db, self.settings, current).adviser
            return [("typing", fragment(self.templates, "typing", adviser or _("Someone from our team")))]
        return self.where_it_is(db, current)


class QueueStream(ConversationStream):
    """While a chat waits: its place in the queue, sent only when it changes (any change to the queue
    may move it). Once it is not waiting, "done" closes this stream."""

    def __init__(self, *args: Any, shown_position: int) -> None:
        super().__init__(*args)
        self.shown_position = shown_position
        self.channel = requests.QUEUE_CHANNEL

    def place(self, db: Session) -> Fragments:
        current = self.current(db)
        if current is None:
            return [("done", "")]
        view = conversations.chat_view(db, self.settings, current)
        if view.state is not ChatState.waiting:
            return [("done", "")]
        if view.position == self.shown_position:
            return []
        self.shown_position = view.position or 0
        return [("position", fragment(self.templates, "chat_status", view))]

    def first(self, db: Session) -> Fragments:
        return self.place(db)

    def next(self, db: Session, event: dict) -> Fragments:
        return self.place(db)
