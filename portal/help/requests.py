"""The life of a request for help, shared by the customer's pages and the adviser console.

A customer opens a request (a callback, a secure message or a live chat); it waits in a queue for the
right team; an adviser claims it, answers, and closes it with a note. Every step is stored in one
transaction with its activity entry, and only then announced on the broker (see `announce`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, or_, select, update

from portal.access import Actor, Permission, adviser_may_take, can
from portal.accounts.models import CustomerAccount
from portal.accounts.service import looks_like_reference
from portal.accounts.todo import things_to_do
from portal.activity.service import record
from portal.broker import Broker
from portal.clock import utcnow
from portal.db import id_of
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Person
from portal.needs.models import Support
from portal.needs.service import current as current_needs

# Needs that send a request straight to the specialist team.
SPECIALIST_NEEDS = {Support.bsl, Support.relay_uk, Support.easy_read, Support.extra_time}
QUEUE_CHANNEL = "help:queue"  # Any change advisers' queues should show.


def request_channel(request: HelpRequest) -> str:
    """Events about one request: new messages, typing, claimed, closed."""
    return f"help:request:{request.id}"


def team_for(db: Session, person_id: int) -> Team:
    """Recorded needs decide routing: BSL, Relay UK, easy read or extra time go to specialists."""
    needs = current_needs(db, person_id)
    return Team.specialist if needs and SPECIALIST_NEEDS & set(needs.support) else Team.general


def has_urgent_things_to_do(db: Session, account_id: int) -> bool:
    account = db.get(CustomerAccount, account_id)
    if account is None:
        return False
    now = utcnow()
    found = things_to_do(db, account, now, now.date(), lambda moment: moment.date())
    return any(item.urgent for item in found)


class NotAllowed(Exception):
    """The actor may not do this to this request (callers answer 404)."""


class AlreadyTaken(Exception):
    """Another adviser claimed it first."""


def by_reference(db: Session, actor: Actor, reference: str,
                 permission: Permission = Permission.view_account) -> HelpRequest | None:
    if not looks_like_reference(reference):
        return None
    found = db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).first()
    return found if found is not None and can(actor, found, permission) else None


def open_request(db: Session, actor: Actor, kind: RequestKind, *, form_key: str, account_id: int | None,
                 subject: str = "", context: Iterable[str] = (), first_message: str = "",
                 callback_at: dt.datetime | None = None, callback_phone: str = "",
                 urgent: bool | None = None, private: bool = False) -> tuple[HelpRequest, bool]:
    """Store a new request (and its first message) and commit. Sending the same form twice returns
    the first request: `(request, created)`. Unless told, it is urgent when the account has something
    urgent to do (a late bill, a failed payment, a missed date), so those customers are answered first."""
    existing = db.exec(select(HelpRequest).where(HelpRequest.form_key == form_key)).first()
    if existing is not None:
        return existing, False
    if urgent is None:
        urgent = account_id is not None and has_urgent_things_to_do(db, account_id)
    # A carer asks for the customer: the request is the customer's, and the adviser sees who asked.
    request = HelpRequest(kind=kind, team=team_for(db, actor.customer_id), urgent=urgent,
                          customer_person_id=actor.customer_id, account_id=account_id,
                          acting_person_id=actor.person_id if actor.acting_for else None,
                          private=private and actor.acting_for is None,
                          subject=subject[:200], context="\n".join(context)[:2000],
                          callback_at=callback_at, callback_phone=callback_phone, form_key=form_key)
    db.add(request)
    try:
        db.flush()
    except IntegrityError:  # The same form, sent twice at the same moment: the other one won.
        db.rollback()
        return db.exec(select(HelpRequest).where(HelpRequest.form_key == form_key)).one(), False
    if first_message:
        db.add(HelpMessage(request_id=id_of(request), author_person_id=actor.person_id, body=first_message))
    record(db, actor_person_id=actor.person_id, subject_account_id=account_id,
           action=f"help_{kind.value}_opened", detail=request.reference)
    db.commit()
    return request, True


def add_message(db: Session, actor: Actor, request: HelpRequest, body: str, *, form_key: str
                ) -> tuple[HelpMessage, bool]:
    """Store a message on a request and commit it before anyone is told (see `stage_message`)."""
    message, created = stage_message(db, actor, request, body, form_key=form_key)
    if created:
        db.commit()
    return message, created


def stage_message(db: Session, actor: Actor, request: HelpRequest, body: str, *, form_key: str
                  ) -> tuple[HelpMessage, bool]:
    """Add a message to a request, with its activity entry, in the caller's transaction. Sending twice
    stores one: `(message, created)`. The customer may write on their own open request; an adviser on
    one they have claimed."""
    existing = db.exec(select(HelpMessage).where(HelpMessage.form_key == form_key)).first()
    if existing is not None:
        return existing, False
    from_adviser = can(actor, request, Permission.advise) and request.status is RequestStatus.claimed
    if not from_adviser and (not can(actor, request, Permission.view_account)
                             or request.status not in (RequestStatus.waiting, RequestStatus.claimed)):
        raise NotAllowed
    message = HelpMessage(request_id=id_of(request), author_person_id=actor.person_id,
                          from_adviser=from_adviser, body=body, form_key=form_key)
    db.add(message)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        return db.exec(select(HelpMessage).where(HelpMessage.form_key == form_key)).one(), False
    record(db, actor_person_id=actor.person_id, subject_account_id=request.account_id,
           action="help_reply_sent" if from_adviser else "help_message_sent", detail=request.reference)
    return message, True


def messages(db: Session, request: HelpRequest) -> list[HelpMessage]:
    return list(db.exec(select(HelpMessage).where(HelpMessage.request_id == request.id)
                        .order_by(col(HelpMessage.created_at), col(HelpMessage.id))))


def claim(db: Session, adviser: Actor, request: HelpRequest) -> HelpRequest:
    """Take a waiting request. Two advisers pressing at once: one gets it, the other AlreadyTaken."""
    if not adviser_may_take(adviser, request):
        raise NotAllowed
    taken = db.exec(update(HelpRequest).where(
        col(HelpRequest.id) == request.id, col(HelpRequest.status) == RequestStatus.waiting)
        .values(status=RequestStatus.claimed, claimed_by_person_id=adviser.person_id, claimed_at=utcnow()))
    if taken.rowcount != 1:
        db.rollback()
        raise AlreadyTaken
    record(db, actor_person_id=adviser.person_id, subject_account_id=request.account_id,
           action="help_claimed", detail=request.reference)
    db.commit()
    db.refresh(request)
    return request


def close(db: Session, adviser: Actor, request: HelpRequest, *, note: str, outcome: str = "") -> None:
    if not (can(adviser, request, Permission.advise) and request.status is RequestStatus.claimed):
        raise NotAllowed
    # One statement that checks the status it changes: a customer calling it off at the same moment
    # wins or loses cleanly, never both.
    changed = db.exec(update(HelpRequest).where(
        col(HelpRequest.id) == request.id, col(HelpRequest.status) == RequestStatus.claimed,
        col(HelpRequest.claimed_by_person_id) == adviser.person_id)
        .values(status=RequestStatus.closed, closed_at=utcnow(), close_note=note[:1000], outcome=outcome))
    if changed.rowcount != 1:
        db.rollback()
        raise NotAllowed
    record(db, actor_person_id=adviser.person_id, subject_account_id=request.account_id,
           action="help_closed", detail=f"{request.reference} {outcome}".strip())
    db.commit()
    db.refresh(request)


def cancel(db: Session, customer: Actor, request: HelpRequest) -> None:
    """The customer calls off a callback (or leaves a chat) that nobody has finished yet."""
    if not can(customer, request, Permission.view_account) or request.status not in (
            RequestStatus.waiting, RequestStatus.claimed):
        raise NotAllowed
    changed = db.exec(update(HelpRequest).where(
        col(HelpRequest.id) == request.id,
        col(HelpRequest.status).in_([RequestStatus.waiting, RequestStatus.claimed]))
        .values(status=RequestStatus.cancelled, closed_at=utcnow()))
    if changed.rowcount != 1:
        db.rollback()
        raise NotAllowed
    record(db, actor_person_id=customer.person_id, subject_account_id=request.account_id,
           action=f"help_{request.kind.value}_cancelled", detail=request.reference)
    db.commit()
    db.refresh(request)


def set_private(db: Session, actor: Actor, request: HelpRequest, private: bool) -> None:
    """Only the customer themself may hide a request from the people who help them, or show it again."""
    if actor.acting_for is not None or request.customer_person_id != actor.person_id:
        raise NotAllowed
    request.private = private
    db.add(request)
    record(db, actor_person_id=actor.person_id, subject_account_id=request.account_id,
           action="help_hidden_from_carers" if private else "help_shown_to_carers", detail=request.reference)
    db.commit()


def requests_of(db: Session, person_id: int, kind: RequestKind | None = None) -> list[HelpRequest]:
    query = select(HelpRequest).where(HelpRequest.customer_person_id == person_id)
    if kind is not None:
        query = query.where(HelpRequest.kind == kind)
    return list(db.exec(query.order_by(col(HelpRequest.created_at).desc())))


def queue(db: Session, adviser: Actor) -> list[HelpRequest]:
    """What this adviser may take, and what they hold: urgent first, then oldest first."""
    teams = [Team.general, Team.specialist] if adviser.team == Team.specialist.value else [Team.general]
    rows = db.exec(select(HelpRequest).where(or_(
        (col(HelpRequest.status) == RequestStatus.waiting) & col(HelpRequest.team).in_(teams),
        (col(HelpRequest.status) == RequestStatus.claimed)
        & (col(HelpRequest.claimed_by_person_id) == adviser.person_id)))
        .order_by(col(HelpRequest.urgent).desc(), col(HelpRequest.created_at))).all()
    return list(rows)


def advisable_accounts(db: Session, adviser: Actor) -> frozenset[int]:
    return frozenset(r.account_id for r in queue(db, adviser) if r.account_id is not None)


def chat_position(db: Session, request: HelpRequest) -> int:
    """1 for the next chat to be answered in its team's queue."""
    ahead = db.exec(select(HelpRequest.id).where(
        HelpRequest.kind == RequestKind.chat, HelpRequest.status == RequestStatus.waiting,
        HelpRequest.team == request.team, col(HelpRequest.created_at) < request.created_at)).all()
    return len(ahead) + 1


def advisers_free_for_chat(db: Session, team: Team) -> int:
    query = select(Person.id).where(Person.staff_role == "adviser", col(Person.available_for_chat))
    if team is Team.specialist:
        query = query.where(Person.team == Team.specialist.value)
    return len(db.exec(query).all())


def announce(broker: Broker, request: HelpRequest, event: str, **data: object) -> None:
    """Tell live pages, after the change is committed: the request's own page, and advisers' queues.
    Events carry ids only; pages fetch what changed."""
    payload = {"event": event, "reference": request.reference, **data}
    broker.publish_sync(request_channel(request), payload)
    broker.publish_sync(QUEUE_CHANNEL, payload)


def message_with_key(db: Session, form_key: str) -> HelpMessage | None:
    """The message a form with this key already sent, if any (a form sent twice sends once)."""
    return db.exec(select(HelpMessage).where(HelpMessage.form_key == form_key)).first()


def request_with_key(db: Session, form_key: str) -> HelpRequest | None:
    """The request a form with this key already made, if any."""
    return db.exec(select(HelpRequest).where(HelpRequest.form_key == form_key)).first()
