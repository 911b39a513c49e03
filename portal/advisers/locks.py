"""Locking someone's sign-in: an adviser does it at once when an account, or a carer's sign-in, may be
in the wrong hands, and lifts it when it is safe again. Both need a reason, and both go in the
activity log (the entry's `on_behalf_of_person_id` is the person whose sign-in it is).

While it is locked nobody signs in as that person, by any way (portal/identity/signing_in.py).
Locking ends every session they have, in the same transaction, so their next request finds them
signed out and their live pages stop at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlmodel import Session, col, delete, or_, select, update

from portal.access import Actor, Permission, can
from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.activity.models import ActivityEntry
from portal.broker import Broker, BrokerError
from portal.carers import service as carers
from portal.carers.models import AuthorityStatus, CarerAuthority
from portal.clock import utcnow
from portal.help.models import HelpRequest, RequestStatus
from portal.help.requests import request_channel
from portal.identity import events
from portal.identity.models import Person
from portal.updates.service import person_channel
from portal.web.sessions import WebSession

logger = logging.getLogger(__name__)

LOCKED, UNLOCKED = "sign_in_locked", "sign_in_unlocked"
LARGEST_ID = 2**31 - 1  # PostgreSQL's integer ids go no higher.
REASON_MAX = 500


class NotAllowed(Exception):
    """This adviser may not lock or unlock this person's sign-in."""


@dataclass(frozen=True)
class Lockable:
    """A person whose sign-in an adviser may lock, with what the adviser needs to see first."""

    person: Person
    accounts: list[CustomerAccount]  # The accounts they hold.
    helps: list[str] = field(default_factory=list)  # The names of the customers they help.
    history: list[ActivityEntry] = field(default_factory=list)  # Locks and unlocks, newest first.
    names: dict[int, str] = field(default_factory=dict)  # Who did each.


def lockable(db: Session, adviser: Actor, person_id: int) -> Lockable | None:
    """The person, if this adviser may lock their sign-in: someone who holds an account the adviser
    may look after, or who helps such a customer. Never staff."""
    if not adviser.is_adviser or adviser.acting_for is not None or not 0 < person_id <= LARGEST_ID:
        return None
    person = db.get(Person, person_id)
    if person is None or person.staff_role or person.id == adviser.person_id:
        return None
    accounts = _held_by(db, [person_id])
    helping = list(db.exec(select(CarerAuthority).where(
        CarerAuthority.carer_person_id == person_id, CarerAuthority.status != AuthorityStatus.ended)))
    customers = [a.customer_person_id for a in helping]
    if not any(can(adviser, a, Permission.lock_sign_in) for a in accounts + _held_by(db, customers)):
        return None
    history = list(db.exec(select(ActivityEntry).where(
        ActivityEntry.on_behalf_of_person_id == person_id, col(ActivityEntry.action).in_([LOCKED, UNLOCKED]))
        .order_by(col(ActivityEntry.id).desc()).limit(20)))
    names = carers.names(db, [*customers, *(e.actor_person_id for e in history)])
    return Lockable(person, accounts, [names[c] for c in customers if c in names], history, names)


def _held_by(db: Session, person_ids: list[int]) -> list[CustomerAccount]:
    if not person_ids:
        return []
    return list(db.exec(select(CustomerAccount).where(col(CustomerAccount.holder_person_id).in_(person_ids))
                        .order_by(col(CustomerAccount.id))))


def lock(db: Session, broker: Broker | None, adviser: Actor, person_id: int, reason: str,
         time_zone: str) -> bool:
    """Lock at once and end every session they have. False if it was locked already."""
    found = lockable(db, adviser, person_id)
    if found is None:
        raise NotAllowed
    locked = db.exec(update(Person).where(col(Person.id) == person_id,
                                          col(Person.sign_in_locked_at).is_(None))
                     .values(sign_in_locked_at=utcnow(), sign_in_locked_reason=reason[:REASON_MAX]))
    if locked.rowcount != 1:
        db.rollback()
        return False
    # As "sign out everywhere" with no session kept: their notifications stop and any screen they
    # share ends too.
    ended = events.SessionsEnded(person_id, "", others=True, time_zone=time_zone)
    events.announce(events.Phase.IN_TRANSACTION, db, broker, ended)
    db.exec(delete(WebSession).where(col(WebSession.person_id) == person_id))
    _record(db, adviser, found, LOCKED, reason)
    db.commit()
    events.announce(events.Phase.AFTER_COMMIT, db, broker, ended)
    _stop_live_pages(db, broker, person_id)
    return True


def unlock(db: Session, adviser: Actor, person_id: int, reason: str) -> bool:
    """They can sign in again. False if it was not locked."""
    found = lockable(db, adviser, person_id)
    if found is None:
        raise NotAllowed
    lifted = db.exec(update(Person).where(col(Person.id) == person_id,
                                          col(Person.sign_in_locked_at).is_not(None))
                     .values(sign_in_locked_at=None, sign_in_locked_reason=""))
    if lifted.rowcount != 1:
        db.rollback()
        return False
    _record(db, adviser, found, UNLOCKED, reason)
    db.commit()
    return True


def _record(db: Session, adviser: Actor, found: Lockable, action: str, reason: str) -> None:
    activity.record(db, actor_person_id=adviser.person_id, action=action,
                    on_behalf_of_person_id=found.person.id,
                    subject_account_id=found.accounts[0].id if found.accounts else None,
                    detail=reason[:REASON_MAX])


def _stop_live_pages(db: Session, broker: Broker | None, person_id: int) -> None:
    """After the commit: the live pages they may have open check at once, find the session gone and
    stop (without this they would find out at their next check, within seconds)."""
    if broker is None:
        return
    helped = [a.customer_person_id for a in db.exec(select(CarerAuthority).where(
        CarerAuthority.carer_person_id == person_id, CarerAuthority.status == AuthorityStatus.active))]
    channels = [person_channel(person_id)] + [request_channel(r) for r in db.exec(select(HelpRequest).where(
        or_(col(HelpRequest.customer_person_id) == person_id, col(HelpRequest.acting_person_id) == person_id),
        col(HelpRequest.status).in_([RequestStatus.waiting, RequestStatus.claimed])))]
    for customer_id in helped:
        channels += carers.live_channels(db, customer_id)
    for channel in dict.fromkeys(channels):
        try:
            broker.publish_sync(channel, {"event": "signed_out"})
        except BrokerError as error:
            logger.warning("Could not tell live pages that a sign-in was locked: %s", error)
            return
