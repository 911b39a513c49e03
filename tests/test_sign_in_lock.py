"""Locking someone's sign-in (portal/advisers/locks.py): an adviser locks a customer's or a carer's
sign-in at once, every way in is refused and every session ends, and it is lifted with a reason."""

from __future__ import annotations

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select, update

from portal.access import Actor, Scope
from portal.activity.models import ActivityEntry
from portal.clock import utcnow
from portal.help import requests
from portal.help.models import HelpRequest, RequestKind, Team
from portal.identity.models import Person
from portal.updates.live import UpdatesStream
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import assertion, latest_code, main_text, post_json, register, submit
from tests.softauthn import SoftAuthenticator


def actor(person: Person) -> Actor:
    assert person.id is not None
    return Actor(person_id=person.id, name=person.name, staff_role=person.staff_role, team=person.team)


@pytest.fixture
def customer(db: Session) -> Person:
    return factories.customer(db, "Alex Green", email="alex@example.org")


@pytest.fixture
def adviser(db: Session) -> Person:
    return factories.adviser(db, "Rowan Ellis")


def code_sign_in(client: PageCheckingClient, db: Session, email: str) -> httpx.Response:
    """Sign in with a code sent by email, as a browser would."""
    submit(client, "/sign-in", identifier=email)
    return client.post("/sign-in/code", data={"code": latest_code(db, email),
                                              "csrf_token": client.csrf_token("/sign-in/code")})


def ask(db: Session, customer: Person) -> HelpRequest:
    """A customer sends a message, as the customer's pages do."""
    account = factories.account_of(db, customer)
    request, _created = requests.open_request(
        db, actor(customer), RequestKind.message, form_key=f"{customer.id}-lock-message",
        account_id=account.id, subject="", context=(), first_message="Please help me", urgent=False,
        callback_at=None, callback_phone="")
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
        app: FastAPI, db: Session, customer: Person, adviser: Person) -> None:
    me = actor(customer)
    their_account = factories.account_of(db, customer)
    authenticator = SoftAuthenticator()
    with PageCheckingClient(app) as browser, PageCheckingClient(app) as console:
        factories.sign_in(browser, customer)
        assert register(browser, authenticator).status_code == 200  # They have a passkey too.
        session_id = browser.cookies["portal_session"]
        updates = UpdatesStream(app.state.templates, "Europe/London", 30, me.person_id, session_id, "en")
        with Session(app.state.engine) as fresh:
            assert updates.still_allowed(fresh)

        factories.sign_in(console, adviser)
        page = console.get(lock_page(console, me.person_id))
        assert "They can sign in" in main_text(page.text) and their_account.reference in page.text
        empty = send_lock(console, me.person_id, "lock", "  ")
        assert empty.status_code == 422 and "Say why you are locking their sign-in" in main_text(empty.text)
        locked = send_lock(console, me.person_id, "lock", "Says a stranger has his phone")
        assert locked.status_code == 303
        text = main_text(console.get(lock_page(console, me.person_id)).text)
        assert "Their sign-in is locked" in text and "Says a stranger has his phone" in text
        assert "Locked by Rowan Ellis" in text

        # Their open page and live stream end on their very next step.
        assert browser.get("/account").url.path == "/sign-in"
        with Session(app.state.engine) as fresh:
            assert not updates.still_allowed(fresh)
        # Every way in is refused, with a kind page that says to call.
        assert is_locked_page(code_sign_in(browser, db, "alex@example.org"))
        submit(browser, "/set-up", reference=their_account.reference, postcode=their_account.postcode)
        assert is_locked_page(browser.post("/set-up/code", data={
            "code": latest_code(db, "alex@example.org"), "csrf_token": browser.csrf_token("/set-up/code")}))
        _options, response = assertion(browser, authenticator)
        assert post_json(browser, "/webauthn/authenticate/verify", response).json() == {
            "redirect": "/sign-in/locked"}
        assert browser.get("/account").url.path == "/sign-in"  # Still nobody.

        # Lifting it needs a reason too; then they sign in again.
        assert send_lock(console, me.person_id, "unlock", "").status_code == 422
        unlocked = send_lock(console, me.person_id, "unlock", "Checked it is him, on the phone")
        assert unlocked.status_code == 303
        assert "They can sign in" in main_text(console.get(lock_page(console, me.person_id)).text)
        assert code_sign_in(browser, db, "alex@example.org").url.path == "/account"
        his_data = main_text(browser.get("/account/privacy/data").text)
        assert "We locked sign-in, to keep the account safe" in his_data and "We unlocked sign-in" in his_data

    db.expire_all()
    log = {e.action: e for e in db.exec(select(ActivityEntry).where(
        col(ActivityEntry.action).in_(["sign_in_locked", "sign_in_unlocked"])))}
    assert log["sign_in_locked"].detail == "Says a stranger has his phone"
    assert log["sign_in_unlocked"].detail == "Checked it is him, on the phone"
    assert {(e.actor_person_id, e.on_behalf_of_person_id, e.subject_account_id) for e in log.values()} == {
        (adviser.id, me.person_id, their_account.id)}
    refused = db.exec(select(ActivityEntry).where(ActivityEntry.action == "sign_in_refused",
                                                  ActivityEntry.actor_person_id == me.person_id)).all()
    assert len(refused) == 3 and all(e.detail.startswith("sign-in is locked") for e in refused)


def test_a_session_made_while_the_lock_was_set_ends_on_its_next_request(app: FastAPI, db: Session,
                                                                         customer: Person) -> None:
    with PageCheckingClient(app) as browser:
        factories.sign_in(browser, customer)  # Signed in a moment before the lock: as if the two raced.
        db.exec(update(Person).where(col(Person.id) == customer.id).values(
            sign_in_locked_at=utcnow(), sign_in_locked_reason="Raced"))
        db.commit()
        assert is_locked_page(browser.get("/account"))
        assert browser.get("/account").url.path == "/sign-in"  # The session went.


def test_locking_a_carers_sign_in_stops_their_acting_at_once(app: FastAPI, db: Session,
                                                              adviser: Person) -> None:
    helped = factories.customer(db, "Iris Obi")
    helper = factories.person(db, "Jude Marsh", email="jude@example.org")
    made = factories.carer_authority(db, helped, helper, scopes=(Scope.account, Scope.talk))
    with PageCheckingClient(app) as carer, PageCheckingClient(app) as console:
        factories.sign_in(carer, helper)
        carer.post("/carers/act", data={"authority": str(made.id), "csrf_token": carer.csrf_token("/carers")})
        assert "You are acting for Iris Obi" in carer.get("/account/bills").text
        factories.sign_in(console, adviser)
        authority = console.get(f"/adviser/carers/{made.id}").text
        assert f'href="/adviser/people/{helper.id}/sign-in"' in authority
        text = main_text(console.get(lock_page(console, helper.id)).text)
        assert "Iris Obi" in text  # Whom they help.
        assert send_lock(console, helper.id, "lock", "Iris's son called, worried").status_code == 303
        bills = carer.get("/account/bills")
        assert bills.url.path == "/sign-in" and "Iris" not in main_text(bills.text)
        assert is_locked_page(code_sign_in(carer, db, "jude@example.org"))


@pytest.mark.parametrize("who", ["another adviser", "themself", "nobody", "too big"])
def test_staff_and_people_with_no_account_cannot_be_locked(app: FastAPI, db: Session, adviser: Person,
                                                           who: str) -> None:
    nobody = factories.person(db, "Nobody Here")  # No account, helps nobody.
    other = factories.adviser(db, team=Team.specialist)
    person_id = {"too big": 2**63, "nobody": nobody.id, "another adviser": other.id,
                 "themself": adviser.id}[who]
    with PageCheckingClient(app) as console:
        factories.sign_in(console, adviser)
        assert console.get(f"/adviser/people/{person_id}/sign-in").status_code == 404
        token = console.csrf_token("/adviser")
        assert console.post(f"/adviser/people/{person_id}/lock",
                            data={"reason": "Test", "csrf_token": token}).status_code == 404


@pytest.mark.parametrize("who", ["the customer", "a carer", "operations"])
def test_only_advisers_find_the_lock(client: PageCheckingClient, db: Session, customer: Person,
                                     who: str) -> None:
    if who == "a carer":
        someone = factories.person(db)
        factories.carer_authority(db, customer, someone)
    else:
        someone = customer if who == "the customer" else factories.operations(db)
    factories.sign_in(client, someone)
    assert client.get(f"/adviser/people/{customer.id}/sign-in").status_code == 404
    token = client.csrf_token()
    assert client.post(f"/adviser/people/{customer.id}/lock",
                       data={"reason": "Test", "csrf_token": token}).status_code == 404
    db.expire_all()
    assert not db.get(Person, customer.id).sign_in_locked  # type: ignore[union-attr]


def test_the_console_links_to_the_lock_from_the_customer_in_front_of_the_adviser(
        app: FastAPI, db: Session, customer: Person, adviser: Person) -> None:
    help_request = ask(db, customer)
    with PageCheckingClient(app) as console:
        factories.sign_in(console, adviser)
        page = console.get(f"/adviser/requests/{help_request.reference}").text
        assert f'href="/adviser/people/{customer.id}/sign-in"' in page
        found = console.get(f"/adviser/carers?account={factories.account_of(db, customer).reference}").text
        assert f'href="/adviser/people/{customer.id}/sign-in"' in found
