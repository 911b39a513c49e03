"""Locking someone's sign-in (portal/advisers/locks.py): an adviser locks a customer's or a carer's
sign-in at once, every way in is refused and every session ends, and it is lifted with a reason.

These run on the demo (`pytest.mark.demo`): they need a customer with a carer, staff in two teams and
a console with requests in it, which the demo people already are."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select, update

from portal.access import Actor
from portal.accounts.models import CustomerAccount
from portal.activity.models import ActivityEntry
from portal.clock import utcnow
from portal.help import requests
from portal.help.models import HelpRequest, RequestKind
from portal.identity.models import Person
from portal.updates.live import UpdatesStream
from tests.conftest import PageCheckingClient
from tests.conftest import demo_sign_in as sign_in
from tests.helpers import assertion, latest_code, main_text, post_json, register, submit
from tests.softauthn import SoftAuthenticator

pytestmark = pytest.mark.demo

NAMES = {"sam": "Sam Taylor", "olu": "Olu Adeyemi", "ceri": "Ceri Price", "dewi": "Dewi Morgan",
         "hana": "Hana Ali", "olwen": "Olwen Price"}


def actor(db: Session, key: str) -> Actor:
    person = db.exec(select(Person).where(Person.name == NAMES[key])).one()
    assert person.id is not None
    return Actor(person_id=person.id, name=person.name, staff_role=person.staff_role, team=person.team)


def account_of(db: Session, key: str) -> CustomerAccount:
    return db.exec(select(CustomerAccount).where(
        CustomerAccount.holder_person_id == actor(db, key).person_id).order_by(CustomerAccount.id)).first()


def ask(db: Session, key: str) -> HelpRequest:
    """A customer sends a message, as the customer's pages do."""
    account = account_of(db, key)
    request, _created = requests.open_request(
        db, actor(db, key), RequestKind.message, form_key=f"{key}-lock-message",
        account_id=account.id if account else None, subject="", context=(),
        first_message="Please help me", urgent=False, callback_at=None, callback_phone="")
    return request



def lock_page(client: PageCheckingClient, person_id: int) -> str:
    return f"/adviser/people/{person_id}/sign-in"


def send_lock(client: PageCheckingClient, person_id: int, action: str, reason: str) -> httpx.Response:
    token = client.csrf_token(lock_page(client, person_id))
    return client.post(f"/adviser/people/{person_id}/{action}", data={"reason": reason, "csrf_token": token},
                       follow_redirects=False)


def is_locked_page(response: httpx.Response) -> bool:
    return (response.url.path == "/sign-in/locked" and "You cannot sign in at the moment" in response.text
            and "Call us on 0300 123 4567" in response.text)


def test_an_adviser_locks_a_customers_sign_in_at_once_every_way_in_is_refused_then_lifts_it(
        app: FastAPI, db: Session) -> None:
    sam = actor(db, "sam")
    sams_account = account_of(db, "sam")
    authenticator = SoftAuthenticator()
    with PageCheckingClient(app) as customer, PageCheckingClient(app) as adviser:
        sign_in(customer, "sam")
        assert register(customer, authenticator).status_code == 200  # Sam has a passkey too.
        session_id = customer.cookies["portal_session"]
        updates = UpdatesStream(app.state.templates, "Europe/London", 30, sam.person_id, session_id, "en")
        with Session(app.state.engine) as fresh:
            assert updates.still_allowed(fresh)

        sign_in(adviser, "dewi")
        page = adviser.get(lock_page(adviser, sam.person_id))
        assert "They can sign in" in main_text(page.text) and sams_account.reference in page.text
        empty = send_lock(adviser, sam.person_id, "lock", "  ")
        assert empty.status_code == 422 and "Say why you are locking their sign-in" in main_text(empty.text)
        locked = send_lock(adviser, sam.person_id, "lock", "Says a stranger has his phone")
        assert locked.status_code == 303
        text = main_text(adviser.get(lock_page(adviser, sam.person_id)).text)
        assert "Their sign-in is locked" in text and "Says a stranger has his phone" in text
        assert "Locked by Dewi Morgan" in text

        # Sam's open page and live stream end on their very next step.
        assert customer.get("/account").url.path == "/sign-in"
        with Session(app.state.engine) as fresh:
            assert not updates.still_allowed(fresh)
        # Every way in is refused, with a kind page that says to call.
        assert is_locked_page(sign_in(customer, "sam"))
        submit(customer, "/sign-in", identifier="sam@example.org")
        assert is_locked_page(customer.post("/sign-in/code", data={
            "code": latest_code(db, "sam@example.org"), "csrf_token": customer.csrf_token("/sign-in/code")}))
        submit(customer, "/set-up", reference=sams_account.reference, postcode=sams_account.postcode)
        assert is_locked_page(customer.post("/set-up/code", data={
            "code": latest_code(db, "sam@example.org"), "csrf_token": customer.csrf_token("/set-up/code")}))
        _options, response = assertion(customer, authenticator)
        assert post_json(customer, "/webauthn/authenticate/verify", response).json() == {
            "redirect": "/sign-in/locked"}
        assert customer.get("/account").url.path == "/sign-in"  # Still nobody.

        # Lifting it needs a reason too; then Sam signs in again.
        assert send_lock(adviser, sam.person_id, "unlock", "").status_code == 422
        unlocked = send_lock(adviser, sam.person_id, "unlock", "Checked it is him, on the phone")
        assert unlocked.status_code == 303
        assert "They can sign in" in main_text(adviser.get(lock_page(adviser, sam.person_id)).text)
        assert sign_in(customer, "sam").url.path == "/account"
        his_data = main_text(customer.get("/account/privacy/data").text)
        assert "We locked sign-in, to keep the account safe" in his_data and "We unlocked sign-in" in his_data

    db.expire_all()
    log = {e.action: e for e in db.exec(select(ActivityEntry).where(
        col(ActivityEntry.action).in_(["sign_in_locked", "sign_in_unlocked"])))}
    assert log["sign_in_locked"].detail == "Says a stranger has his phone"
    assert log["sign_in_unlocked"].detail == "Checked it is him, on the phone"
    assert {(e.actor_person_id, e.on_behalf_of_person_id, e.subject_account_id) for e in log.values()} == {
        (actor(db, "dewi").person_id, sam.person_id, sams_account.id)}
    refused = db.exec(select(ActivityEntry).where(ActivityEntry.action == "sign_in_refused",
                                                  ActivityEntry.actor_person_id == sam.person_id)).all()
    assert len(refused) == 4 and all(e.detail.startswith("sign-in is locked") for e in refused)


def test_a_session_made_while_the_lock_was_set_ends_on_its_next_request(app: FastAPI, db: Session) -> None:
    with PageCheckingClient(app) as adviser, PageCheckingClient(app) as customer:
        sign_in(customer, "sam")  # Signed in a moment before the lock: as if the two raced.
        sign_in(adviser, "dewi")
        sam = actor(db, "sam")
        db.exec(update(Person).where(col(Person.id) == sam.person_id).values(
            sign_in_locked_at=utcnow(), sign_in_locked_reason="Raced"))
        db.commit()
        assert is_locked_page(customer.get("/account"))
        assert customer.get("/account").url.path == "/sign-in"  # The session went.


def test_locking_a_carers_sign_in_stops_their_acting_at_once(app: FastAPI, db: Session) -> None:
    ceri = actor(db, "ceri")
    with PageCheckingClient(app) as carer, PageCheckingClient(app) as adviser:
        sign_in(carer, "ceri")
        carer.post("/carers/act", data={"authority": "1", "csrf_token": carer.csrf_token("/carers")})
        assert "You are acting for Margaret Price" in carer.get("/account/bills").text
        sign_in(adviser, "dewi")
        authority = adviser.get("/adviser/carers/1").text
        assert f'href="/adviser/people/{ceri.person_id}/sign-in"' in authority
        text = main_text(adviser.get(lock_page(adviser, ceri.person_id)).text)
        assert "Margaret Price" in text  # Whom she helps.
        assert send_lock(adviser, ceri.person_id, "lock", "Margaret's son called, worried").status_code == 303
        bills = carer.get("/account/bills")
        assert bills.url.path == "/sign-in" and "Margaret" not in main_text(bills.text)
        assert is_locked_page(sign_in(carer, "ceri"))


@pytest.mark.parametrize("who", ["hana", "dewi", "nobody", "too big"])
def test_staff_and_people_with_no_account_cannot_be_locked(app: FastAPI, db: Session, who: str) -> None:
    nobody = Person(name="Nobody Here", email="nobody@example.org")  # No account, helps nobody.
    db.add(nobody)
    db.commit()
    staff = {key: actor(db, key).person_id for key in ("hana", "dewi")}
    person_id = {"too big": 2**63, "nobody": nobody.id, **staff}[who]
    with PageCheckingClient(app) as adviser:
        sign_in(adviser, "dewi")
        assert adviser.get(f"/adviser/people/{person_id}/sign-in").status_code == 404
        token = adviser.csrf_token("/adviser")
        assert adviser.post(f"/adviser/people/{person_id}/lock",
                            data={"reason": "Test", "csrf_token": token}).status_code == 404


@pytest.mark.parametrize("who", ["sam", "ceri", "olwen"])
def test_only_advisers_find_the_lock(client: PageCheckingClient, db: Session, who: str) -> None:
    sign_in(client, who)
    sam = actor(db, "sam")
    assert client.get(f"/adviser/people/{sam.person_id}/sign-in").status_code == 404
    token = client.csrf_token()
    assert client.post(f"/adviser/people/{sam.person_id}/lock",
                       data={"reason": "Test", "csrf_token": token}).status_code == 404
    assert not actor_is_locked(db, "sam")


def actor_is_locked(db: Session, key: str) -> bool:
    db.expire_all()
    return db.get(Person, actor(db, key).person_id).sign_in_locked  # type: ignore[union-attr]


def test_the_console_links_to_the_lock_from_the_customer_in_front_of_the_adviser(app: FastAPI,
                                                                                 db: Session) -> None:
    help_request = ask(db, "olu")
    with PageCheckingClient(app) as adviser:
        sign_in(adviser, "dewi")
        page = adviser.get(f"/adviser/requests/{help_request.reference}").text
        assert f'href="/adviser/people/{actor(db, "olu").person_id}/sign-in"' in page
        found = adviser.get(f"/adviser/carers?account={account_of(db, 'olu').reference}").text
        assert f'href="/adviser/people/{actor(db, "olu").person_id}/sign-in"' in found
