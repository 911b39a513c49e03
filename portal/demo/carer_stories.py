"""Carers in the demo: Ceri helps her mother Margaret; Idris Hughes, who is not online, has a power of
attorney waiting for his daughter Siân to accept; Gareth has invited his son."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, col, select

from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.advisers.locks import LOCKED
from portal.carers.guard import REFUSED
from portal.carers.models import AuthorityStatus, Basis, CarerAuthority
from portal.carers.service import INVITATION_LIFETIME, REVIEW_AFTER, code_hash, new_code
from portal.clock import utcnow
from portal.db import id_of
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus
from portal.identity.models import Person

# The code of Idris Hughes's waiting power of attorney, for trying /carers/accept in the demo.
DEMO_INVITATION_CODE = "ACDE-FHJK-MNPR"


def seed_carers(db: Session, today: dt.date, secret_key: str | None) -> None:
    if db.exec(select(CarerAuthority)).first() is not None:
        return

    def person(name: str) -> Person:
        found = db.exec(select(Person).where(Person.name == name).order_by(col(Person.id))).first()
        assert found is not None, name
        return found

    margaret, ceri, gareth, hana = (person(n) for n in ("Margaret Price", "Ceri Price", "Gareth Jones",
                                                         "Hana Ali"))
    now = utcnow()
    helps = CarerAuthority(
        customer_person_id=id_of(margaret), carer_person_id=ceri.id, carer_name=ceri.name,
        carer_email=ceri.email, carer_phone=ceri.phone, scopes="account,contact,messages,talk",
        review_on=today + REVIEW_AFTER - dt.timedelta(days=40), status=AuthorityStatus.active,
        set_up_by_person_id=margaret.id, created_at=now - dt.timedelta(days=40),
        accepted_at=now - dt.timedelta(days=39))
    db.add(helps)

    # Idris is not online: an adviser recorded his daughter's lasting power of attorney, which gave
    # him a person record (as portal/carers/service.py record_document does).
    # His daughter told us a stranger rang him asking for his details, so Hana locked his sign-in
    # (advisers lock and unlock one at /adviser/people/{id}/sign-in).
    locked_because = "His daughter says a stranger rang him and asked for his account details."
    idris = Person(name="Idris Hughes", email="", phone="01632 960222",
                   sign_in_locked_at=now - dt.timedelta(days=1), sign_in_locked_reason=locked_because)
    db.add(idris)
    db.flush()
    idris_account = CustomerAccount(reference="NF-200300", holder_name=idris.name, holder_person_id=idris.id,
                                    address="9 Chapel Street, Northfield", postcode="NF2 5RT",
                                    date_of_birth=dt.date(1934, 2, 11), phone=idris.phone)
    db.add(idris_account)
    db.flush()
    activity.record(db, actor_person_id=hana.id, on_behalf_of_person_id=idris.id,
                    subject_account_id=idris_account.id, action=LOCKED,
                    detail=locked_because).at = now - dt.timedelta(days=1)
    code = DEMO_INVITATION_CODE.replace("-", "") if secret_key else new_code()
    db.add(CarerAuthority(
        customer_person_id=id_of(idris), carer_name="Siân Evans", carer_email="sian@example.org",
        scopes="account,messages,payments,talk", status=AuthorityStatus.invited,
        review_on=today + REVIEW_AFTER, invite_hash=code_hash(secret_key or new_code(), code),
        invite_expires_at=now + INVITATION_LIFETIME, basis=Basis.lasting_power_of_attorney,
        document_reference="LPA 7000-1234-5678", checks="Saw the registered LPA; checked Siân's ID.",
        set_up_by_person_id=hana.id))
    db.add(CarerAuthority(
        customer_person_id=id_of(gareth), carer_name="Rhys Jones", carer_email="rhys@example.org",
        scopes="account", ends_on=today + dt.timedelta(days=90), status=AuthorityStatus.invited,
        invite_hash=code_hash(new_code(), new_code()), invite_expires_at=now + INVITATION_LIFETIME,
        set_up_by_person_id=gareth.id))
    db.flush()

    # What Ceri did for her mother lately, for the activity page.
    for days, action, path in ((3, "carer_viewed", "/account"), (3, "carer_viewed", "/account/bills"),
                               (3, REFUSED, "/account/payments"), (2, "carer_viewed", "/help/messages")):
        entry = activity.record(db, actor_person_id=ceri.id, on_behalf_of_person_id=margaret.id,
                                action=action, detail=path)
        entry.at = now - dt.timedelta(days=days)

    # A message Margaret keeps private from Ceri.
    private = HelpRequest(reference="HR-PRVT47", kind=RequestKind.message, status=RequestStatus.waiting,
                          customer_person_id=id_of(margaret), subject="A private question", private=True,
                          created_at=now - dt.timedelta(days=1))
    db.add(private)
    db.flush()
    db.add(HelpMessage(request_id=id_of(private), author_person_id=margaret.id,
                       body="Please do not share this with my daughter. I would like to talk about my bills.",
                       created_at=now - dt.timedelta(days=1)))
