"""Communication and access needs: how each person wants us to contact them, and what helps.

What helps (support and other needs) can say something about someone's health, so we keep it only
while they agree to it, and every time they agree or take it back is written down. A preferred way
to contact them on its own needs no such agreement."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel import Session, col, select, update

from portal.access import Actor, Permission, can
from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.clock import utcnow
from portal.identity.models import Person
from portal.needs.models import Channel, CommunicationNeeds, Support
from portal.notify.acting import note_carer_acted
from portal.privacy.models import ConsentRecord

TOPIC = "access_needs"
NO_PREFERENCE = "none"


@dataclass(frozen=True)
class Needs:
    """What the person told us, as the form and other features read it."""

    channel: str = ""  # A Channel value, or "" for no preference.
    support: tuple[Support, ...] = ()
    other: str = ""

    @property
    def sensitive(self) -> bool:
        """Anything beyond a preferred channel: this is kept only with consent."""
        return bool(self.support or self.other)

    @property
    def empty(self) -> bool:
        return not (self.channel or self.sensitive)


class ConsentNeeded(Exception):
    """Support or other needs were given without agreeing to us keeping them."""


def needs_of(db: Session, person_id: int) -> CommunicationNeeds | None:
    """The person's needs, for any feature that adapts to them."""
    return db.exec(select(CommunicationNeeds).where(
        CommunicationNeeds.person_id == person_id)).first()


def consent_in_force(db: Session, person_id: int) -> bool:
    """Whether the person's latest word on keeping their needs was yes."""
    latest = db.exec(select(ConsentRecord).where(
        ConsentRecord.person_id == person_id, ConsentRecord.topic == TOPIC)
        .order_by(col(ConsentRecord.at).desc(), col(ConsentRecord.id).desc())).first()
    return bool(latest and latest.given)


def may_manage(db: Session, actor: Actor, person_id: int) -> bool:
    """People manage their own needs. Someone else may only through `can()` on an account the
    person holds (a carer the person chose, for example)."""
    if actor.person_id == person_id:
        return True
    held = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == person_id))
    return any(can(actor, account, Permission.manage_needs) for account in held)


def make_needs(channel: str, support: Iterable[str], other: str) -> Needs:
    chosen = set(support)
    return Needs(channel="" if channel == NO_PREFERENCE else Channel(channel).value,
                 support=tuple(s for s in Support if s.value in chosen), other=other.strip())


def current(db: Session, person_id: int) -> Needs | None:
    row = needs_of(db, person_id)
    if row is None:
        return None
    return Needs(channel=row.preferred_channel, support=tuple(row.supports), other=row.other)


def save(db: Session, actor: Actor, person_id: int, needs: Needs, consent: bool) -> None:
    """Store the needs in one transaction with any change of consent and the activity entry.

    Support or other needs without consent raise ConsentNeeded. Taking away all support and other
    needs takes back consent; taking away everything also deletes the row. Saving the same thing
    again changes nothing."""
    if not may_manage(db, actor, person_id):
        raise PermissionError
    if needs.sensitive and not consent:
        raise ConsentNeeded
    # Take the person's row first (an UPDATE locks it on PostgreSQL and SQLite alike), so two forms
    # sent at once are saved one after the other and write one consent record, not two.
    db.exec(update(Person).where(col(Person.id) == person_id).values(name=Person.name))
    agreed = consent_in_force(db, person_id)
    if needs.sensitive and not agreed:
        db.add(ConsentRecord(person_id=person_id, topic=TOPIC, given=True,
                             recorded_by_person_id=actor.person_id))
    elif not needs.sensitive and agreed:
        db.add(ConsentRecord(person_id=person_id, topic=TOPIC, given=False,
                             recorded_by_person_id=actor.person_id))
    row = needs_of(db, person_id)
    if needs.empty:
        if row is not None:
            db.delete(row)
            activity.record(db, actor_person_id=actor.person_id, action="needs_removed")
    else:
        changed = row is None or (row.preferred_channel, row.supports, row.other) != (
            needs.channel, list(needs.support), needs.other)
        row = row or CommunicationNeeds(person_id=person_id)
        row.preferred_channel = needs.channel
        row.support = " ".join(s.value for s in needs.support)
        row.other = needs.other
        if changed:
            row.updated_at = utcnow()
            # The entry says that the needs changed, never what they are.
            activity.record(db, actor_person_id=actor.person_id, action="needs_updated")
        db.add(row)
    note_carer_acted(db, actor, "needs")
    db.commit()
