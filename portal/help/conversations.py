"""Secure messages and live chats from the customer's side: threads, replies, drafts and the chat queue.

Both are HelpRequests with HelpMessages (see requests.py for the life of a request). A finished chat
stays as a thread in the customer's messages, so the transcript is kept where they look for it.
Everything is stored and committed first; only then do live pages hear about it (`announce`)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, col, or_, select

from portal import i18n
from portal.access import Actor, Permission, can
from portal.broker import Broker, BrokerError
from portal.clock import aware
from portal.db import id_of
from portal.help import requests, service
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus
from portal.i18n import gettext as _
from portal.i18n import lazy_gettext as _l
from portal.identity.models import Person
from portal.notify import service as notify
from portal.notify.models import InboxMessage
from portal.settings import Settings
from portal.web.sessions import SessionState

logger = logging.getLogger(__name__)
SUBJECT_MAX = 200
MESSAGE_MAX = 5000
DRAFTS = "help_drafts"  # Session key: {"new": {...}, "HR-ABC123": {"message": "..."}}
MOST_DRAFTS = 5
NEW = "new"  # The draft of a new message, before it has a reference.
OPEN = (RequestStatus.waiting, RequestStatus.claimed)
FINISHED = (RequestStatus.closed, RequestStatus.cancelled)


class ThreadStatus(StrEnum):
    waiting_for_us = "waiting_for_us"
    we_replied = "we_replied"
    closed = "closed"


STATUS_WORDS = {
    ThreadStatus.waiting_for_us: _l("Waiting for us"),
    ThreadStatus.we_replied: _l("We replied"),
    ThreadStatus.closed: _l("Closed"),
}



def announce(broker: Broker, request: HelpRequest, event: str, **data: object) -> None:
    """Tell live pages, after the commit. If the broker is down, what was stored stays stored and
    the customer is told it was sent: pages catch up when they reload or reconnect."""
    try:
        requests.announce(broker, request, event, **data)
    except BrokerError as error:
        logger.warning("Could not announce %s on %s: %s", event, request.reference, error)


def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


# Threads


@dataclass(frozen=True)
class Said:
    """One message as the customer sees it."""

    id: int
    mine: bool
    who: str  # "You", or "Dewi (Adviser)".
    at: dt.datetime
    body: str


@dataclass(frozen=True)
class Thread:
    request: HelpRequest
    title: str
    status: ThreadStatus
    last_at: dt.datetime

    @property
    def status_words(self) -> str:
        return str(STATUS_WORDS[self.status])


def is_conversation(request: HelpRequest) -> bool:
    return request.kind in (RequestKind.message, RequestKind.chat)


def title_of(request: HelpRequest) -> str:
    if request.kind is RequestKind.chat:
        return _("Live chat")
    return request.subject or _("Message")


def status_of(request: HelpRequest, last: HelpMessage | None) -> ThreadStatus:
    if request.status in FINISHED:
        return ThreadStatus.closed
    if last is not None and last.from_adviser:
        return ThreadStatus.we_replied
    return ThreadStatus.waiting_for_us


def threads(db: Session, actor: Actor) -> list[Thread]:
    """The customer's message threads and finished chats, the most recent conversation first. A carer
    sees only those `can()` lets them (never the private ones)."""
    found = [r for r in db.exec(select(HelpRequest).where(
        HelpRequest.customer_person_id == actor.customer_id,
        or_(col(HelpRequest.kind) == RequestKind.message,
            (col(HelpRequest.kind) == RequestKind.chat) & col(HelpRequest.status).in_(FINISHED)))).all()
        if can(actor, r, Permission.view_account)]
    last: dict[int, HelpMessage] = {}
    if found:
        for message in db.exec(select(HelpMessage).where(
                col(HelpMessage.request_id).in_([r.id for r in found]))
                .order_by(col(HelpMessage.created_at), col(HelpMessage.id))):
            last[message.request_id] = message
    result = []
    for request in found:
        request_id = id_of(request)
        latest = last.get(request_id)
        when = aware(latest.created_at) if latest else aware(request.created_at)
        result.append(Thread(request, title_of(request), status_of(request, latest), when))
    return sorted(result, key=lambda t: (t.last_at, t.request.id or 0), reverse=True)


def said(db: Session, request: HelpRequest, viewer_person_id: int, after_id: int = 0) -> list[Said]:
    """The messages on a request, oldest first (only those after `after_id`, for live updates)."""
    found = [m for m in requests.messages(db, request) if (m.id or 0) > after_id]
    advisers = {m.author_person_id for m in found if m.from_adviser and m.author_person_id}
    names = {p.id: first_name(p.name) for p in db.exec(
        select(Person).where(col(Person.id).in_(advisers)))} if advisers else {}
    # Someone other than the customer wrote for them (a carer): name them, so nobody is confused.
    helpers = {m.author_person_id for m in found if not m.from_adviser and m.author_person_id
               not in (None, viewer_person_id, request.customer_person_id)}
    helper_names = {p.id: p.name for p in db.exec(
        select(Person).where(col(Person.id).in_(helpers)))} if helpers else {}
    result = []
    for message in found:
        message_id = id_of(message)
        if message.from_adviser:
            name = names.get(message.author_person_id or 0)
            who = _("%(name)s (Adviser)", name=name) if name else _("Adviser")
        else:
            helper = helper_names.get(message.author_person_id or 0)
            if message.author_person_id == viewer_person_id:
                who = _("You")
            elif helper:
                who = _("%(name)s, for the customer", name=helper)
            else:
                who = _("Customer")
        result.append(Said(message_id, not message.from_adviser, who, aware(message.created_at),
                           message.body))
    return result


def last_message_id(messages: list[Said]) -> int:
    return messages[-1].id if messages else 0


def start_thread(db: Session, broker: Broker, actor: Actor, *, account_id: int | None, subject: str,
                 body: str, context: list[str], form_key: str, private: bool = False) -> HelpRequest:
    """Store a new thread and its first message (once, however often the form is sent), then tell
    advisers' queues."""
    request, created = requests.open_request(
        db, actor, RequestKind.message, form_key=form_key, account_id=account_id, subject=subject,
        context=context, first_message=body, private=private)
    if created:
        announce(broker, request, "opened")
    return request


def reply(db: Session, broker: Broker, actor: Actor, request: HelpRequest, body: str,
          form_key: str) -> HelpMessage:
    """The customer writes on their thread or chat. Raises requests.NotAllowed once it is closed."""
    message, created = requests.add_message(db, actor, request, body, form_key=form_key)
    if created:
        announce(broker, request, "message", message_id=message.id)
    return message


def note_reply(db: Session, request: HelpRequest) -> None:
    """After an adviser's reply, in the same transaction: for a secure message, the customer gets a
    note in their account (and an email, where we have their address) saying there is a reply, never
    what it says; only one while an earlier note about the same thread is unread. A chat's customer
    is on the page already."""
    if request.kind is not RequestKind.message:
        return
    person = db.get(Person, request.customer_person_id)
    if person is None:
        return
    with i18n.speaking(person.preferred_language):
        subject = _("You have a reply from us")
        body = _("We replied to your message %(reference)s. Sign in and go to your messages to "
                 "read it.", reference=request.reference)
    # Several replies before they look: one note is enough.
    unread = db.exec(select(InboxMessage.id).where(
        InboxMessage.person_id == person.id, col(InboxMessage.read_at).is_(None),
        InboxMessage.subject == subject, InboxMessage.body == body)).first()
    if unread is None:
        notify.tell(db, person, subject, body)


# Drafts: what the customer was typing, kept in their server-side session.


def draft(state: SessionState, key: str) -> dict[str, str]:
    kept = state.data.get(DRAFTS, {}).get(key)
    return dict(kept) if isinstance(kept, dict) else {}


def keep_draft(state: SessionState, key: str, message: str, subject: str = "") -> None:
    """Keep the latest few drafts; an empty draft is dropped."""
    drafts: dict[str, Any] = {k: v for k, v in state.data.get(DRAFTS, {}).items() if k != key}
    cleaned = {name: value[:MESSAGE_MAX] for name, value in (("subject", subject), ("message", message))
               if value}
    if cleaned:
        drafts[key] = cleaned
    state.set(DRAFTS, dict(list(drafts.items())[-MOST_DRAFTS:]))


def drop_draft(state: SessionState, key: str) -> None:
    drafts = state.data.get(DRAFTS, {})
    if key in drafts:
        state.set(DRAFTS, {k: v for k, v in drafts.items() if k != key})


# Live chat


class ChatAvailability(StrEnum):
    open = "open"
    closed = "closed"  # Outside opening hours, or a day we are closed.
    busy = "busy"  # Open, but no adviser is free for chat.


def chat_availability(db: Session, settings: Settings, actor: Actor, at: dt.datetime) -> ChatAvailability:
    if not service.status_at(at, settings.help.hours, settings.help.closed_days, settings.time_zone).open:
        return ChatAvailability.closed
    if requests.advisers_free_for_chat(db, requests.team_for(db, actor.customer_id)) == 0:
        return ChatAvailability.busy
    return ChatAvailability.open


class ChatState(StrEnum):
    waiting = "waiting"
    joined = "joined"
    ended = "ended"


@dataclass(frozen=True)
class ChatView:
    state: ChatState
    position: int = 0
    wait: str = ""  # "The wait is about 12 minutes."
    adviser: str = ""  # First name only.
    left: bool = False  # The customer left, rather than the adviser ending it.


def chat_view(db: Session, settings: Settings, request: HelpRequest) -> ChatView:
    if request.status in FINISHED:
        return ChatView(ChatState.ended, left=request.status is RequestStatus.cancelled)
    if request.status is RequestStatus.claimed:
        adviser = db.get(Person, request.claimed_by_person_id) if request.claimed_by_person_id else None
        return ChatView(ChatState.joined, adviser=first_name(adviser.name) if adviser else "")
    position = requests.chat_position(db, request)
    return ChatView(ChatState.waiting, position=position,
                    wait=service.minutes_wait(position * settings.help.chat_minutes_per_customer))


def start_chat(db: Session, broker: Broker, actor: Actor, *, account_id: int | None, body: str,
               context: list[str], form_key: str) -> HelpRequest:
    request, created = requests.open_request(
        db, actor, RequestKind.chat, form_key=form_key, account_id=account_id, context=context,
        first_message=body)
    if created:
        announce(broker, request, "opened")
    return request


def leave_chat(db: Session, broker: Broker, actor: Actor, request: HelpRequest) -> None:
    """The customer leaves; an already finished chat stays as it is."""
    if request.status in OPEN:
        requests.cancel(db, actor, request)
        announce(broker, request, "cancelled")


def customer_typing(broker: Broker, request: HelpRequest) -> None:
    """Tell the adviser's page the customer is typing. Nothing is stored."""
    if request.status in OPEN:
        broker.publish_sync(requests.request_channel(request),
                            {"event": "typing", "by": "customer", "reference": request.reference})
