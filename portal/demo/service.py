from __future__ import annotations

from sqlmodel import Session, select

from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.demo.personas import PERSONAS, Persona
from portal.identity.models import Person


def seed(db: Session) -> None:
    """Create the demo people and accounts. Safe to run twice."""
    for p in PERSONAS:
        if db.exec(select(CustomerAccount).where(CustomerAccount.reference == p.reference)).first():
            continue
        person = Person(name=p.name, email=p.email, phone=p.phone,
                        preferred_language=p.preferred_language)
        db.add(person)
        db.flush()
        db.add(CustomerAccount(reference=p.reference, holder_name=p.name, holder_person_id=person.id,
                               address=p.address, postcode=p.postcode,
                               date_of_birth=p.date_of_birth, email=p.email, phone=p.phone))
    db.commit()


def person_for(db: Session, p: Persona) -> Person:
    account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == p.reference)).one()
    person = db.get(Person, account.holder_person_id)
    assert person is not None
    return person


def sign_in_as(db: Session, p: Persona) -> Person:
    person = person_for(db, p)
    activity.record(db, actor_person_id=person.id, action="signed_in", detail="demo persona")
    db.commit()
    return person
