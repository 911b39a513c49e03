"""The adviser console: what is waiting, taking it, and the customer in front of the adviser.

Every look at a request and its customer goes through `can()` (via `requests.by_reference` with
`Permission.advise`), and every view of a customer's record is written to the activity log. Changes are
committed by `portal.help.requests` before anything is announced on the broker."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from portal.access import Actor, Permission, adviser_may_take, can
from portal.accounts import billing, cases, todo
from portal.accounts.models import Bill, Case, CustomerAccount, Service
from portal.accounts.service import looks_like_reference
from portal.activity.models import ActivityEntry
from portal.activity.service import record
from portal.broker import Broker, BrokerError
from portal.clock import aware
from portal.db import id_of
from portal.help import requests
from portal.help.context import describe
from portal.help.conversations import announce, note_reply
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.i18n import lazy_gettext as _l
from portal.identity.models import Person
from portal.needs.service import current as current_needs
from portal.needs.wording import channel_text, support_text
from portal.privacy.wording import action_text
from portal.web.sessions import still_signed_in

logger = logging.getLogger(__name__)

VIEWED = "adviser_viewed"  # The activity entry for each look at a customer's record.
RECENT_ACTIVITY = 10
TYPING_EVERY_SECONDS = 3.0  # At most one "typing" signal per adviser and request in this time.
OUTCOMES = ("answered", "no_answer", "left_message")

KINDS: dict[RequestKind, object] = {
    RequestKind.callback: _l("Callback"),
    RequestKind.message: _l("Message"),
    RequestKind.chat: _l("Chat"),
}
TEAMS: dict[Team, object] = {
    Team.general: _l("General team"),
    Team.specialist: _l("Specialist team"),
}
OUTCOME_WORDS: dict[str, object] = {
    "answered": _l("They answered"),
    "no_answer": _l("No answer"),
    "left_message": _l("We left a message"),
}
# What each recorded need means for the adviser answering, next to its name.
SUPPORT_ADVICE: dict[str, object] = {
    "large_print": _l("Send any letters in large print."),
    "bsl": _l("Book a BSL interpreter for calls and visits."),
    "relay_uk": _l("Call through Relay UK (18001): dial 18001, then their number."),
    "easy_read": _l("Use short words and short sentences."),
    "extra_time": _l("Give them more time. Do not rush them."),
    "no_automated_chat": _l("They want a person, not a computer."),
}
# Activity the general wording does not cover yet: asking for help and being helped.

def first_name(name: str) -> str:
    return name.split()[0] if name.split() else name


# The queue

@dataclass(frozen=True)
class QueueRow:
    request: HelpRequest
    first_name: str
    waiting_minutes: int  # Since the customer asked.
    callback_at: dt.datetime | None


@dataclass(frozen=True)
class QueueView:
    waiting: list[QueueRow]
    yours: list[QueueRow]

    @property
    def signature(self) -> tuple[tuple[str, str], ...]:
        """What the adviser sees, to tell whether an event changed anything for them."""
        return tuple((r.request.reference, r.request.status.value) for r in self.waiting + self.yours)


def queue_view(db: Session, adviser: Actor, now: dt.datetime) -> QueueView:
    """The adviser's queue (urgent first, then oldest), split into what waits and what they hold."""
    found = requests.queue(db, adviser)
    people = _names(db, {r.customer_person_id for r in found})
    rows = [QueueRow(r, first_name(people.get(r.customer_person_id, "")),
                     max(0, int((now - aware(r.created_at)).total_seconds() // 60)),
                     aware(r.callback_at) if r.callback_at else None) for r in found]
    return QueueView([r for r in rows if r.request.status is RequestStatus.waiting],
                     [r for r in rows if r.request.status is RequestStatus.claimed])


def _names(db: Session, person_ids: set[int]) -> dict[int, str]:
    if not person_ids:
        return {}
    return {p.id: p.name for p in db.exec(select(Person).where(col(Person.id).in_(person_ids)))
            if p.id is not None}


def customer_first_name(db: Session, request: HelpRequest) -> str:
    person = db.get(Person, request.customer_person_id)
    return first_name(person.name) if person else ""


def still_adviser_here(db: Session, person_id: int, session_id: str, idle: dt.timedelta) -> bool:
    """For a live stream: the person is still an adviser and still signed in in this browser."""
    person = db.get(Person, person_id)
    if person is None or person.staff_role != "adviser":
        return False
    return still_signed_in(db, session_id, person_id, idle)


def available_for_chat(db: Session, adviser: Actor) -> bool:
    person = db.get(Person, adviser.person_id)
    return bool(person and person.available_for_chat)


def set_available_for_chat(db: Session, adviser: Actor, available: bool) -> None:
    person = db.get(Person, adviser.person_id)
    if person is None or not adviser.is_adviser:
        raise requests.NotAllowed
    if person.available_for_chat != available:
        person.available_for_chat = available
        db.add(person)
        record(db, actor_person_id=adviser.person_id,
               action="adviser_available" if available else "adviser_not_available")
        db.commit()


# Taking a request

class Claimed(StrEnum):
    yours = "yours"  # It is the adviser's now (or already was).
    taken = "taken"  # Someone else got there first, or the customer called it off.


def find(db: Session, adviser: Actor, reference: str) -> HelpRequest | None:
    """A request this adviser may look at: waiting in a queue they may take, or held by them."""
    return requests.by_reference(db, adviser, reference, Permission.advise)


def claim(db: Session, adviser: Actor, broker: Broker, reference: str) -> Claimed | None:
    """Take a request from the queue. None when there is no such request for this adviser (404)."""
    request = find(db, adviser, reference)
    if request is None:
        # Gone from the queue since the adviser saw it: say so, but only for a request from a queue
        # they may take, so nobody learns about other teams' requests.
        gone = db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).first() \
            if looks_like_reference(reference) else None
        return Claimed.taken if gone is not None and adviser_may_take(adviser, gone) else None
    if request.status is RequestStatus.claimed:
        return Claimed.yours  # Pressed twice, or claimed in another tab.
    if request.status is not RequestStatus.waiting:
        return Claimed.taken
    try:
        requests.claim(db, adviser, request)
    except requests.AlreadyTaken:
        return Claimed.taken
    announce(broker, request, "claimed")
    return Claimed.yours


def is_open(request: HelpRequest) -> bool:
    return request.status in (RequestStatus.waiting, RequestStatus.claimed)


def holds(adviser: Actor, request: HelpRequest) -> bool:
    """The adviser has taken this request and it is still open: they may answer and close it."""
    return request.status is RequestStatus.claimed and can(adviser, request, Permission.advise)


# The customer panel

@dataclass(frozen=True)
class ContextLine:
    """One thing the customer chose to share, in words, with what the adviser needs to know about it."""

    kind: str  # bill, case, service, page, topic
    text: object
    bill: Bill | None = None
    bill_total: int = 0
    bill_status: str = ""  # paid, due, overdue
    case: cases.Progress | None = None
    service: Service | None = None
    page: str = ""


@dataclass(frozen=True)
class ActivityLine:
    at: dt.datetime
    words: object
    by: str
    detail: str


@dataclass(frozen=True)
class Panel:
    request: HelpRequest
    customer: Person | None
    account: CustomerAccount | None  # None when the request is not about an account this adviser may see.
    channel: object | None  # How they like to be contacted, in words; None for no preference.
    needs: list[tuple[object, object]]  # (name, what it means for the adviser)
    other_needs: str
    context: list[ContextLine]
    open_cases: list[cases.Progress] = field(default_factory=list)
    to_do: list[todo.ToDo] = field(default_factory=list)
    activity: list[ActivityLine] = field(default_factory=list)
    messages: list[HelpMessage] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # Who wrote each message.

    @property
    def first_name(self) -> str:
        return first_name(self.customer.name) if self.customer else ""


def customer_actor(person: Person) -> Actor:
    """The customer as themselves, so that what they shared is checked against their own access."""
    return Actor(person_id=id_of(person), name=person.name)


def context_lines(db: Session, customer: Actor, request: HelpRequest, today: dt.date) -> list[ContextLine]:
    """What the customer was doing before asking, each line checked against the customer's own access:
    anything they could not see themselves is left out."""
    found = []
    for value in (line.strip() for line in request.context.splitlines()):
        text = describe(db, customer, value) if value else None
        if text is None:
            continue
        kind, _sep, ref = value.partition(":")
        if kind == "page":
            found.append(ContextLine("page", _l("A page they were on: %(path)s") % {"path": ref}, page=ref))
        elif kind == "bill":
            bill = db.exec(select(Bill).where(Bill.reference == ref)).one()
            found.append(ContextLine("bill", text, bill=bill, bill_total=billing.total(db, bill),
                                     bill_status=billing.bill_status(bill, today)))
        elif kind == "case":
            case = db.exec(select(Case).where(Case.reference == ref)).one()
            found.append(ContextLine("case", text, case=cases.progress(db, case)))
        elif kind == "service":
            found.append(ContextLine("service", text, service=db.get(Service, int(ref))))
        else:
            found.append(ContextLine("topic", text))
    return found


def recent_activity(db: Session, person_id: int, account_id: int | None,
                    limit: int = RECENT_ACTIVITY) -> list[ActivityLine]:
    """What the customer did, and what anyone did on their account, newest first. Advisers' looks at
    the record are left out here (they are still in the log, and in the customer's own copy)."""
    where = col(ActivityEntry.actor_person_id) == person_id
    if account_id is not None:
        where = or_(where, col(ActivityEntry.subject_account_id) == account_id)
    entries = list(db.exec(select(ActivityEntry).where(where, ActivityEntry.action != VIEWED)
                           .order_by(col(ActivityEntry.at).desc(), col(ActivityEntry.id).desc())
                           .limit(limit)))
    names = _names(db, {e.actor_person_id for e in entries if e.actor_person_id is not None})
    return [ActivityLine(aware(e.at), action_text(e.action), names.get(e.actor_person_id or 0, ""),
                         e.detail if e.action.startswith("help_") else "") for e in entries]


def panel(db: Session, adviser: Actor, request: HelpRequest, now: dt.datetime, time_zone: str) -> Panel:
    """Everything about the customer behind a request that this adviser may see.

    The caller has checked `can(adviser, request, advise)`. The account's details come only when the
    adviser may advise on that account too (it is in their queue or held by them); a closed request
    shows its conversation but no longer the customer's record."""
    zone = ZoneInfo(time_zone)

    def local_date(moment: dt.datetime) -> dt.date:
        return aware(moment).astimezone(zone).date()

    today = local_date(now)
    talk = conversation(db, request)
    customer, messages, names = talk.customer, talk.messages, talk.names
    if customer is None or not is_open(request):
        return talk
    account = db.get(CustomerAccount, request.account_id) if request.account_id else None
    if account is not None and not can(adviser, account, Permission.advise):
        account = None
    needs = current_needs(db, request.customer_person_id)
    shown_needs = [(support_text(s.value), SUPPORT_ADVICE.get(s.value, ""))
                   for s in (needs.support if needs is not None else ())]
    context = context_lines(db, customer_actor(customer), request, today)
    return Panel(
        request, customer, account,
        channel=channel_text(needs.channel) if needs is not None and needs.channel else None,
        needs=shown_needs, other_needs=needs.other if needs is not None else "",
        context=context,
        open_cases=cases.open_cases(db, account.id) if account is not None and account.id else [],
        to_do=(todo.things_to_do(db, account, now, today, local_date) if account is not None else []),
        activity=recent_activity(db, request.customer_person_id, account.id if account else None),
        messages=messages, names=names)


def conversation(db: Session, request: HelpRequest) -> Panel:
    """Only what was said, and by whom: for live updates, and for a request that has ended."""
    messages = requests.messages(db, request)
    names = _names(db, {m.author_person_id for m in messages if m.author_person_id is not None})
    return Panel(request, db.get(Person, request.customer_person_id), None, None, [], "", [],
                 messages=messages, names=names)


def record_view(db: Session, adviser: Actor, request: HelpRequest) -> None:
    """Write down that this adviser looked at this customer's record, in its own transaction."""
    record(db, actor_person_id=adviser.person_id, subject_account_id=request.account_id,
           action=VIEWED, detail=request.reference)
    db.commit()


# Answering

def reply(db: Session, adviser: Actor, broker: Broker, request: HelpRequest, body: str, form_key: str
          ) -> HelpMessage:
    """Store the adviser's reply and the customer's note about it in one commit (once, however often
    it is sent), then tell the live pages."""
    message, created = requests.stage_message(db, adviser, request, body, form_key=form_key)
    if created:
        note_reply(db, request)
        db.commit()
        announce(broker, request, "message", message_id=message.id)
    return message


def close(db: Session, adviser: Actor, broker: Broker, request: HelpRequest, note: str,
          outcome: str = "") -> None:
    requests.close(db, adviser, request, note=note, outcome=outcome)
    announce(broker, request, "closed")


_last_typing: dict[tuple[int, int], float] = {}
_typing_lock = threading.Lock()


def typing(broker: Broker, adviser: Actor, request: HelpRequest,
           clock: Callable[[], float] = time.monotonic) -> bool:
    """Tell the customer's page the adviser is typing, at most once every few seconds. True if sent."""
    request_id = id_of(request)
    key, now = (request_id, adviser.person_id), clock()
    with _typing_lock:
        if now - _last_typing.get(key, -TYPING_EVERY_SECONDS) < TYPING_EVERY_SECONDS:
            return False
        _last_typing[key] = now
        if len(_last_typing) > 10_000:  # Forget old requests rather than grow for ever.
            _last_typing.clear()
            _last_typing[key] = now
    try:
        broker.publish_sync(requests.request_channel(request),
                            {"event": "typing", "by": "adviser", "reference": request.reference})
    except BrokerError as error:
        logger.warning("Could not say the adviser is typing on %s: %s", request.reference, error)
        return False
    return True
