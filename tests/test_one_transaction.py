"""One use case, one transaction: a form submission's change, its activity entry and the notifications
it queues are saved together. When the step that queues the notification fails, nothing of the change
is kept; sending the same form again (the same form key, or the same code) then makes exactly one
change and one notification."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, func, select

from portal.access import Actor, Scope
from portal.accounts.service import accounts_for
from portal.activity.models import ActivityEntry
from portal.advisers import service as advisers
from portal.carers import service as carers
from portal.carers.models import CarerAuthority
from portal.details import service as details
from portal.help import callbacks, requests
from portal.help.models import HelpMessage, HelpRequest, RequestKind
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from portal.settings import Settings
from tests import factories
from tests.conftest import PageCheckingClient


class NotificationFailed(RuntimeError):
    pass


def fail(*_args: object, **_kwargs: object) -> None:
    raise NotificationFailed("the step that queues the notification failed")


def actor(found: Person) -> Actor:
    assert found.id is not None
    return Actor(person_id=found.id, name=found.name, staff_role=found.staff_role, team=found.team)


@pytest.fixture
def me(customer: Person) -> Actor:
    """The customer, as the pages see them (conftest's customer: one account, electricity)."""
    return actor(customer)


def count(db: Session, model: type, *where: object) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model).where(*where)).one()  # type: ignore[arg-type]


def activity(db: Session, action: str) -> int:
    return count(db, ActivityEntry, ActivityEntry.action == action)


def test_an_adviser_reply_and_the_customers_note_about_it(
        client: PageCheckingClient, app: FastAPI, db: Session, customer: Person, me: Actor,
        monkeypatch: pytest.MonkeyPatch) -> None:
    adviser = actor(factories.adviser(db))
    thread, _ = requests.open_request(db, me, RequestKind.message, form_key="thread-0001", account_id=None,
                                      subject="My bill", first_message="Why is it higher?")
    thread = requests.claim(db, adviser, thread)
    notes = (InboxMessage.person_id == me.person_id, InboxMessage.subject == "You have a reply from us")
    emails = (OutboxMessage.to == customer.email, col(OutboxMessage.subject) == "You have a reply from us")

    monkeypatch.setattr("portal.notify.service.tell", fail)
    with pytest.raises(NotificationFailed):
        advisers.reply(db, adviser, app.state.broker, thread, "It covers two months.", "reply-0001")
    db.rollback()
    assert count(db, HelpMessage, HelpMessage.form_key == "reply-0001") == 0
    assert activity(db, "help_reply_sent") == 0

    monkeypatch.undo()
    for _pressed in range(2):  # Sent again, and once more by a double press.
        advisers.reply(db, adviser, app.state.broker, db.get(HelpRequest, thread.id), "It covers two months.",
                       "reply-0001")
    assert count(db, HelpMessage, HelpMessage.form_key == "reply-0001") == 1
    assert activity(db, "help_reply_sent") == 1
    assert count(db, InboxMessage, *notes) == 1 and count(db, OutboxMessage, *emails) == 1


def test_a_customers_new_message(db: Session, me: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    before = count(db, HelpRequest)

    def send() -> None:
        requests.open_request(db, me, RequestKind.message, form_key="message-0001", account_id=None,
                              subject="Moving", first_message="I move on Friday.")

    monkeypatch.setattr("portal.help.requests.record", fail)
    with pytest.raises(NotificationFailed):
        send()
    db.rollback()
    assert count(db, HelpRequest) == before
    assert count(db, HelpMessage, HelpMessage.body == "I move on Friday.") == 0

    monkeypatch.undo()
    send()
    send()
    assert count(db, HelpRequest) == before + 1
    assert count(db, HelpMessage, HelpMessage.body == "I move on Friday.") == 1
    assert activity(db, "help_message_opened") == 1


def test_a_callback(db: Session, me: Actor, monkeypatch: pytest.MonkeyPatch) -> None:
    starts = dt.datetime(2030, 1, 8, 10, 0, tzinfo=dt.UTC)
    slot = callbacks.Slot(starts, starts + dt.timedelta(minutes=30))
    booked = (HelpRequest.kind == RequestKind.callback, HelpRequest.callback_at == starts)

    def book() -> None:
        callbacks.book(db, me, slot, phone="07700 900123", topic="My meter", shared=[], account_id=None,
                       form_key="callback-0001", per_slot=3)

    monkeypatch.setattr("portal.help.requests.record", fail)
    with pytest.raises(NotificationFailed):
        book()
    db.rollback()
    assert count(db, HelpRequest, *booked) == 0

    monkeypatch.undo()
    book()
    book()
    assert count(db, HelpRequest, *booked) == 1 and activity(db, "help_callback_opened") == 1


def test_a_change_to_what_a_carer_may_do(db: Session, customer: Person, me: Actor,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    helper = factories.person(db, "Bea Khan")
    authority = factories.carer_authority(db, customer, helper,
                                          scopes=(Scope.account, Scope.contact, Scope.messages, Scope.talk))
    scopes_before = authority.scopes
    wanted = carers.Terms(scopes=frozenset({Scope.account}), ends_on=None)
    told = (InboxMessage.subject.in_(["You changed what Bea Khan can do",  # type: ignore[attr-defined]
                                      f"What you can do for {customer.name} has changed"]),)

    monkeypatch.setattr("portal.notify.service.tell", fail)
    with pytest.raises(NotificationFailed):
        carers.change(db, me, authority, wanted, dt.date(2026, 12, 7))
    db.rollback()
    assert db.get(CarerAuthority, authority.id).scopes == scopes_before  # type: ignore[union-attr]
    assert activity(db, "carer_changed") == 0 and count(db, InboxMessage, *told) == 0

    monkeypatch.undo()
    carers.change(db, me, db.get(CarerAuthority, authority.id), wanted, dt.date(2026, 12, 7))
    assert db.get(CarerAuthority, authority.id).scopes == "account"  # type: ignore[union-attr]
    assert activity(db, "carer_changed") == 1
    assert count(db, InboxMessage, *told) == 2  # One to the customer, one to the carer.


def test_a_change_of_email_address_and_the_word_to_the_old_one(db: Session, settings: Settings,
                                                               customer: Person, me: Actor,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    old_email = customer.email
    account = accounts_for(db, me)[0]
    pending = details.send_code(db, settings, "session-1", me, account, details.Kind.email,
                                "new@example.org")
    sent = db.exec(select(OutboxMessage).where(OutboxMessage.to == "new@example.org")).one()
    code = re.search(r"\b(\d{6})\b", sent.body)
    assert code is not None
    to_old = (OutboxMessage.to == old_email,
              col(OutboxMessage.subject) == "Your email address was changed")
    old_before = count(db, OutboxMessage, *to_old)

    monkeypatch.setattr("portal.details.service._tell_old_address", fail)
    with pytest.raises(NotificationFailed):
        details.confirm(db, settings, "session-1", me, pending, code.group(1))
    db.rollback()
    db.refresh(account)
    assert account.email == old_email and activity(db, "email_changed") == 0

    monkeypatch.undo()
    for _pressed in range(2):  # The same code, sent again and then twice.
        details.confirm(db, settings, "session-1", me, pending, code.group(1))
    db.refresh(account)
    assert account.email == "new@example.org"
    assert activity(db, "email_changed") == 1 and count(db, OutboxMessage, *to_old) == old_before + 1
