from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from portal.accounts.models import CustomerAccount
from portal.clock import today_in
from portal.db import id_of
from portal.demo.carer_stories import seed_carers
from portal.demo.help_stories import seed_help
from portal.demo.incident_stories import seed_incidents
from portal.demo.personas import NEW_CUSTOMERS, PERSONAS, Persona
from portal.demo.screen_share_stories import seed_screen_shares
from portal.demo.stories import STORIES
from portal.demo.update_stories import seed_updates
from portal.identity.models import Passkey, Person
from portal.notify.models import OutboxMessage


def seed(db: Session, time_zone: str = "Europe/London", secret_key: str | None = None) -> None:
    """Create the demo people, their accounts and histories. Safe to run twice. With the app's
    secret key, the demo's invitation code works (see carer_stories.py)."""
    today = today_in(time_zone)
    for p in PERSONAS:
        if _existing(db, p) is not None:
            continue
        person = Person(name=p.name, email=p.email, phone=p.phone,
                        preferred_language=p.preferred_language, staff_role=p.staff_role, team=p.team)
        db.add(person)
        db.flush()
        if p.reference is None:
            continue
        account = CustomerAccount(reference=p.reference, holder_name=p.name, holder_person_id=person.id,
                                  address=p.address, postcode=p.postcode,
                                  date_of_birth=p.date_of_birth, email=p.email, phone=p.phone)
        db.add(account)
        db.flush()
        STORIES[p.key](db, person, account, today)
    for c in NEW_CUSTOMERS:
        if not db.exec(select(CustomerAccount).where(CustomerAccount.reference == c.reference)).first():
            db.add(CustomerAccount(reference=c.reference, holder_name=c.name, address=c.address,
                                   postcode=c.postcode, date_of_birth=c.date_of_birth,
                                   email=c.email, phone=c.phone))
    _sample_passkey(db)
    seed_help(db, today, time_zone)
    seed_incidents(db)
    seed_updates(db)
    seed_carers(db, today, secret_key)
    seed_screen_shares(db, today, time_zone)
    db.commit()


def _sample_passkey(db: Session) -> None:
    """Sam has a passkey to look at on the security page. Its private key was never kept, so it
    cannot sign anyone in."""
    sam = person_for(db, PERSONAS[2])
    if db.exec(select(Passkey).where(Passkey.person_id == sam.id)).first():
        return
    db.add(Passkey(person_id=id_of(sam), credential_id=secrets.token_bytes(32),
                   public_key=secrets.token_bytes(77), name="Sam's phone"))


def outbox(db: Session) -> list[OutboxMessage]:
    return list(db.exec(select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(20)).all())


def _existing(db: Session, p: Persona) -> Person | None:
    if p.reference is None:  # Someone with no account: found by name.
        return db.exec(select(Person).where(Person.name == p.name).order_by(col(Person.id))).first()
    account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == p.reference)).first()
    return db.get(Person, account.holder_person_id) if account and account.holder_person_id else None


def person_for(db: Session, p: Persona) -> Person:
    person = _existing(db, p)
    assert person is not None, f"demo person {p.key} is not seeded"
    return person
