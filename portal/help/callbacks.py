"""Callbacks: the customer picks a time within opening hours and an adviser rings them then.

Which times are offered is decided by `portal.help.service.callback_slots` (slots within the opening
hours, on the next open days, at least an hour ahead, at most `callbacks_per_slot` each); only
callbacks still to be made take a place. Everything here takes the current time as an argument, so
it can be tested with a frozen clock."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from portal.access import Actor, Permission, can
from portal.accounts.models import CustomerAccount
from portal.activity.service import record
from portal.help import context, requests
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus
from portal.help.service import callback_slots
from portal.i18n import lazy_gettext as _l
from portal.identity.models import Person
from portal.needs.service import current as current_needs
from portal.needs.wording import support_names
from portal.settings import Settings

KEY_FORMAT = "%Y-%m-%dT%H:%MZ"
STILL_TO_CALL = (RequestStatus.waiting, RequestStatus.claimed)

# What an adviser recorded after the call, in the customer's words. The adviser's note is for staff.
OUTCOMES: dict[str, object] = {
    "answered": _l("We called you and you spoke to an adviser."),
    "no_answer": _l("We called you, but nobody answered."),
    "left_message": _l("We called you and left a message."),
}


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # Aware, UTC.
    ends_at: dt.datetime

    @property
    def key(self) -> str:
        """What the form sends: the start in UTC, like 2026-12-01T10:00Z."""
        return self.starts_at.strftime(KEY_FORMAT)


@dataclass(frozen=True)
class CallbackDay:
    date: dt.date  # In the organisation's time zone.
    slots: tuple[Slot, ...]  # The free ones.

    @property
    def key(self) -> str:
        return self.date.isoformat()


@dataclass(frozen=True)
class Offer:
    days: list[CallbackDay]  # Days with a free slot, in order.
    full: frozenset[str]  # Keys of slots within the hours that are full.


def taken_counts(db: Session, after: dt.datetime, ignore: HelpRequest | None = None) -> Counter[dt.datetime]:
    """How many callbacks still to be made start at each moment from `after`. `ignore` leaves out
    the callback being moved, so its own slot does not count against it."""
    query = select(HelpRequest.callback_at).where(
        HelpRequest.kind == RequestKind.callback, col(HelpRequest.status).in_(STILL_TO_CALL),
        col(HelpRequest.callback_at) >= after)
    if ignore is not None:
        query = query.where(HelpRequest.id != ignore.id)
    return Counter(at for at in db.exec(query).all() if at is not None)


def offer(db: Session, settings: Settings, now: dt.datetime, ignore: HelpRequest | None = None) -> Offer:
    """The free slots grouped by day (see `portal.help.service.callback_slots` for the rules)."""
    length = slot_length(settings)
    free = callback_slots(now, settings, taken_counts(db, now, ignore))
    by_day: dict[dt.date, list[Slot]] = defaultdict(list)
    for start in free:  # In the organisation's zone, so .date() is the day the customer means.
        by_day[start.date()].append(Slot(start.astimezone(dt.UTC), start.astimezone(dt.UTC) + length))
    free_keys = {slot.key for slots in by_day.values() for slot in slots}
    every = {start.astimezone(dt.UTC).strftime(KEY_FORMAT) for start in callback_slots(now, settings, {})}
    return Offer(days=[CallbackDay(day, tuple(slots)) for day, slots in sorted(by_day.items())],
                 full=frozenset(every - free_keys))


def day_to_show(days: list[CallbackDay], wanted: str) -> CallbackDay | None:
    """The day asked for (an ISO date), else the first day with a free slot."""
    return next((day for day in days if day.key == wanted), days[0] if days else None)


def day_of_slot(days: list[CallbackDay], key: str) -> str:
    return next((day.key for day in days for slot in day.slots if slot.key == key), "")


class SlotNotOffered(Exception):
    """The time is not one we offer (any more): too soon, outside opening hours, or made up."""


class SlotFull(Exception):
    """Other customers took the last places in this slot."""


def choose(offered: Offer, key: str) -> Slot:
    slot = next((slot for day in offered.days for slot in day.slots if slot.key == key), None)
    if slot is not None:
        return slot
    raise SlotFull if key in offered.full else SlotNotOffered


def already_sent(db: Session, actor: Actor, form_key: str) -> HelpRequest | None:
    """The callback this form made, if it was sent before (a double click, or sent again after a
    lost connection)."""
    if not form_key:
        return None
    found = db.exec(select(HelpRequest).where(HelpRequest.form_key == form_key)).first()
    return found if found is not None and can(actor, found, Permission.view_account) else None


def still_to_make(db: Session, actor: Actor) -> HelpRequest | None:
    """The customer's callback we have not made yet, if any: one at a time, so nobody can fill the
    slots other people need."""
    return db.exec(select(HelpRequest).where(
        HelpRequest.customer_person_id == actor.customer_id, HelpRequest.kind == RequestKind.callback,
        col(HelpRequest.status).in_(STILL_TO_CALL))).first()


def book(db: Session, actor: Actor, slot: Slot, *, phone: str, topic: str, shared: list[str],
         account_id: int | None, form_key: str, per_slot: int) -> tuple[HelpRequest, bool]:
    """Store the callback, its topic as the first message and the activity entry, and commit.

    Two customers taking the last place at once both store theirs, then count: each sees the other,
    and the one that came later is called off again (SlotFull), so a slot never holds too many."""
    made, created = requests.open_request(
        db, actor, RequestKind.callback, form_key=form_key, account_id=account_id, context=shared,
        first_message=topic, callback_at=slot.starts_at, callback_phone=phone)
    if created:
        ahead = db.exec(select(HelpRequest.id).where(
            HelpRequest.kind == RequestKind.callback, col(HelpRequest.status).in_(STILL_TO_CALL),
            HelpRequest.callback_at == slot.starts_at, col(HelpRequest.id) <= made.id)).all()
        if len(ahead) > per_slot:
            made.status, made.form_key = RequestStatus.cancelled, None
            db.add(made)
            db.commit()
            raise SlotFull
    return made, created


def callback_of(db: Session, actor: Actor, reference: str) -> HelpRequest | None:
    """The customer's own callback; None (so 404) for anything else."""
    found = requests.by_reference(db, actor, reference)
    return found if found is not None and found.kind is RequestKind.callback else None


def can_change(request: HelpRequest) -> bool:
    return request.status in STILL_TO_CALL


class CannotChange(Exception):
    """The callback was made, closed or cancelled."""


def move(db: Session, actor: Actor, request: HelpRequest, slot: Slot, per_slot: int) -> bool:
    """Give the callback a new time, with its activity entry, and commit. False if it had it.

    Moved, then counted: if others took the last places at the same moment, the slot would hold too
    many, so the move is undone (SlotFull) and the callback keeps its old time."""
    if not can(actor, request, Permission.view_account):
        raise requests.NotAllowed
    if not can_change(request):
        raise CannotChange
    if request.callback_at == slot.starts_at:
        return False
    old = request.callback_at
    request.callback_at = slot.starts_at
    db.add(request)
    db.commit()
    if _booked_at(db, slot.starts_at) > per_slot:
        request.callback_at = old
        db.add(request)
        db.commit()
        raise SlotFull
    record(db, actor_person_id=actor.person_id, subject_account_id=request.account_id,
           action="help_callback_moved", detail=f"{request.reference} {slot.key}")
    db.commit()
    return True


def _booked_at(db: Session, moment: dt.datetime) -> int:
    return len(db.exec(select(HelpRequest.id).where(
        HelpRequest.kind == RequestKind.callback, col(HelpRequest.status).in_(STILL_TO_CALL),
        HelpRequest.callback_at == moment)).all())


def default_phone(db: Session, actor: Actor, account: CustomerAccount | None) -> str:
    """The number to suggest: the chosen account's, else the person's own."""
    if account is not None and account.phone:
        return account.phone
    person = db.get(Person, actor.customer_id)
    return person.phone if person is not None else ""


def needs_words(db: Session, person_id: int) -> list[object]:
    """What helps this person, in words, as we pass it on to the adviser."""
    needs = current_needs(db, person_id)
    if needs is None:
        return []
    return [*support_names(tuple(needs.support)), *([needs.other] if needs.other else [])]


def topic_of(db: Session, request: HelpRequest) -> str:
    """What the customer said the call is about (the first message they wrote)."""
    first = db.exec(select(HelpMessage).where(
        HelpMessage.request_id == request.id, col(HelpMessage.from_adviser).is_(False))
        .order_by(col(HelpMessage.created_at), col(HelpMessage.id))).first()
    return first.body if first is not None else ""


def shared_with_adviser(db: Session, actor: Actor, request: HelpRequest) -> list[object]:
    """What the customer chose to share, in words."""
    described = (context.describe(db, actor, line) for line in request.context.splitlines() if line)
    return [text for text in described if text is not None]


def slot_length(settings: Settings) -> dt.timedelta:
    return dt.timedelta(minutes=settings.help.callback_slot_minutes)
