"""Sample requests for help, so testers can open every page of the help journeys and the adviser console
straight away. References are fixed so the accessibility inventory can name them."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.accounts.models import CustomerAccount
from portal.clock import utcnow
from portal.db import id_of
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Person

WAITING = RequestStatus.waiting


def seed_help(db: Session, today: dt.date, time_zone: str) -> None:
    if db.exec(select(HelpRequest).where(HelpRequest.reference == "HR-DEMOM1")).first():
        return
    zone = ZoneInfo(time_zone)
    now = utcnow()

    def person(name: str) -> Person:
        found = db.exec(select(Person).where(Person.name == name).order_by(col(Person.id))).first()
        assert found is not None, f"demo person {name} is not seeded"
        return found

    def account_of(p: Person) -> int | None:
        found = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == p.id)
                        .order_by(CustomerAccount.reference)).first()
        return found.id if found else None

    def at(days: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour), zone).astimezone(dt.UTC)

    def ago(**delta: float) -> dt.datetime:
        return now - dt.timedelta(**delta)

    sam, amina, gareth = person("Sam Taylor"), person("Amina Haddad"), person("Gareth Jones")
    olu, margaret = person("Olu Adeyemi"), person("Margaret Price")
    dewi, hana = person("Dewi Morgan"), person("Hana Ali")

    def request(reference: str, kind: RequestKind, customer: Person, team: Team, **fields: Any
                ) -> HelpRequest:
        made = HelpRequest(reference=reference, kind=kind, customer_person_id=id_of(customer),
                           account_id=account_of(customer), team=team, **fields)
        db.add(made)
        db.flush()
        return made

    def say(on: HelpRequest, who: Person, body: str, when: dt.datetime, adviser: bool = False) -> None:
        db.add(HelpMessage(request_id=id_of(on), author_person_id=who.id, from_adviser=adviser, body=body,
                           created_at=when))

    # Callbacks: one waiting, one done, one called off, and one for the specialist team.
    request("HR-ACE347", RequestKind.callback, gareth, Team.general, subject="My water meter reading",
            context="service:4", callback_at=at(1, 10), callback_phone=gareth.phone, created_at=ago(hours=2))
    request("HR-DEF479", RequestKind.callback, olu, Team.general, subject="My payment plan",
            context="payment-plan", callback_at=at(-1, 11), callback_phone=olu.phone,
            status=RequestStatus.closed, claimed_by_person_id=dewi.id, claimed_at=at(-1, 11),
            closed_at=at(-1, 11) + dt.timedelta(minutes=12), outcome="answered",
            close_note="Moved the plan's payment date to the 20th.", created_at=at(-2, 9))
    request("HR-FEN479", RequestKind.callback, margaret, Team.specialist, subject="My bill",
            callback_at=at(2, 14), callback_phone=margaret.phone, status=RequestStatus.cancelled,
            closed_at=ago(hours=20), created_at=ago(days=1))
    request("HR-DEMC47", RequestKind.callback, margaret, Team.specialist,
            subject="My complaint about the water bill",
            context="case:CS-100990-1\npage:/account/cases/CS-100990-1", callback_at=at(1, 10),
            callback_phone=margaret.phone, created_at=ago(minutes=40))

    # Secure messages: one a specialist holds, one with a reply.
    held = request("HR-DEMM47", RequestKind.message, amina, Team.specialist,
                   subject="The visit to fit my new meter", context="case:OR-100234-1",
                   status=RequestStatus.claimed, claimed_by_person_id=hana.id, claimed_at=ago(minutes=5),
                   created_at=ago(hours=3))
    say(held, amina, "Can the engineer come in the afternoon? I use a screen reader, so please write to me "
        "rather than send a letter.", ago(hours=3))
    replied = request("HR-DEMOM1", RequestKind.message, sam, Team.general, subject="Photo of my meter",
                      context="case:CS-101502-1", status=RequestStatus.claimed, claimed_by_person_id=dewi.id,
                      claimed_at=ago(hours=1), created_at=ago(hours=5))
    say(replied, sam, "How do I send you the photo of my meter?", ago(hours=5))
    say(replied, dewi, "Thank you, Sam. You can add the photo to a reply here, or we can send someone "
        "to read the meter. Which would you like?", ago(hours=1), adviser=True)

    # Live chats: one finished (its transcript is in Sam's messages), one waiting in the queue.
    chat = request("HR-DEMOC1", RequestKind.chat, sam, Team.general, subject="A question about my bill",
                   status=RequestStatus.closed, claimed_by_person_id=dewi.id, claimed_at=ago(days=2),
                   closed_at=ago(days=2) + dt.timedelta(minutes=9), close_note="Explained the price rise.",
                   created_at=ago(days=2, minutes=3))
    say(chat, sam, "Why is my bill higher this month?", ago(days=2, minutes=3))
    # No month named: the demo is dated from the day it is made (see Sam's story in stories.py).
    say(chat, dewi, "Hello Sam. The price went up on your last bill, and you used a bit more. The bill page "
        "shows both.", ago(days=2, minutes=1), adviser=True)
    say(chat, sam, "Thank you, that helps.", ago(days=2))
    waiting = request("HR-DEMOC2", RequestKind.chat, olu, Team.general, subject="My last payment",
                      context="payments", created_at=ago(minutes=4))
    say(waiting, olu, "My last payment did not go through. What should I do?", ago(minutes=4))
    dewi.available_for_chat = True  # So customers in the general team can start a chat.
    db.add(dewi)
