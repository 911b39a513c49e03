"""The adviser console (/adviser): only advisers find it; a queue ordered by urgency and age, by team;
claiming, with a clear word when someone else got there first; the customer in front of the adviser
(needs, what they were doing, cases, things to do, activity), each view written down; replying,
recording a call and closing with a note; live updates over server-sent events."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable, Iterator

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlmodel import Session, col, select

from portal.access import Actor
from portal.accounts.models import CaseCategory, CaseKind, CustomerAccount
from portal.activity.models import ActivityEntry
from portal.advisers import service
from portal.clock import utcnow
from portal.help import requests
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Person
from portal.needs.service import make_needs
from portal.needs.service import save as save_needs
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of
from tests.route_table import api_routes


def actor(person: Person) -> Actor:
    assert person.id is not None
    return Actor(person_id=person.id, name=person.name, staff_role=person.staff_role, team=person.team)


def ask(db: Session, customer: Person, kind: RequestKind = RequestKind.message, *, minutes_ago: int = 0,
        urgent: bool = False, context: tuple[str, ...] = (), first_message: str = "Please help me",
        subject: str = "") -> HelpRequest:
    """A customer asks for help, as the customer's pages do; `minutes_ago` dates it back."""
    account = db.exec(select(CustomerAccount).where(CustomerAccount.holder_person_id == customer.id)
                      .order_by(CustomerAccount.id)).first()
    request, _created = requests.open_request(
        db, actor(customer), kind,
        form_key=f"{customer.id}-{kind.value}-{minutes_ago}-{urgent}-{len(context)}",
        account_id=account.id if account else None, subject=subject, context=context,
        first_message=first_message, urgent=urgent,
        callback_at=utcnow() + dt.timedelta(hours=2) if kind is RequestKind.callback else None,
        callback_phone="07700 900789" if kind is RequestKind.callback else "")
    if minutes_ago:
        request.created_at = utcnow() - dt.timedelta(minutes=minutes_ago)
        db.add(request)
        db.commit()
    return request


def main_text(html: str) -> str:
    return text_of(parse(html).find(".//main"))


def queue_references(html: str, section: str = "waiting-heading") -> list[str]:
    root = parse(html)
    listing = root.find(f".//ul[@aria-labelledby='{section}']")
    if listing is None:
        return []
    return [re.search(r"HR-\w+", text_of(h3)).group(0) for h3 in listing.findall(".//h3")]


def post(client: PageCheckingClient, path: str, page: str, **fields: str) -> httpx.Response:
    return client.post(path, data={"csrf_token": client.csrf_token(page), **fields})


def adviser_client(app: FastAPI, adviser: Person) -> PageCheckingClient:
    client = PageCheckingClient(app)
    client.__enter__()
    factories.sign_in(client, adviser)
    return client


@pytest.fixture
def adviser(db: Session) -> Person:
    """An adviser in the general team."""
    return factories.adviser(db, "Rowan Ellis")


@pytest.fixture
def specialist(db: Session) -> Person:
    """An adviser in the team for people who need more time, BSL, Relay UK or easy read."""
    return factories.adviser(db, "Sky Turner", team=Team.specialist)


@pytest.fixture
def needs_time(db: Session) -> Person:
    """A customer who needs large print and more time, so the specialist team answers them."""
    made = factories.customer(db, "Bea Khan", email="bea@example.org", phone="07700 900123")
    factories.needs(db, made, channel="email", support=["large_print", "extra_time"])
    return made


@pytest.fixture
def specialist_client(app: FastAPI, specialist: Person) -> Iterator[PageCheckingClient]:
    client = adviser_client(app, specialist)
    yield client
    client.__exit__(None, None, None)


# Only advisers


@pytest.mark.parametrize("who", ["the customer", "someone with no account"])
def test_everyone_else_gets_page_not_found_on_every_adviser_address(client, db, customer, who) -> None:
    own = ask(db, customer)  # Even the customer's own request is not to be seen through the console.
    factories.sign_in(client, customer if who == "the customer" else factories.person(db))
    token = client.csrf_token("/account")
    ref = own.reference
    for path in ("/adviser", "/adviser/events", f"/adviser/requests/{ref}",
                 f"/adviser/requests/{ref}/events"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Page not found" in response.text
    for path, form in ((f"/adviser/requests/{ref}/claim", {}),
                       ("/adviser/availability", {"available": "yes"}),
                       (f"/adviser/requests/{ref}/reply", {"body": "Hi", "form_key": "x"}),
                       (f"/adviser/requests/{ref}/close", {"note": "Done", "outcome": "answered"}),
                       (f"/adviser/requests/{ref}/typing", {})):
        response = client.post(path, data={"csrf_token": token, **form}, follow_redirects=False)
        assert response.status_code == 404, path
    db.expire_all()
    assert db.get(HelpRequest, own.id).status is RequestStatus.waiting
    assert not db.exec(select(HelpMessage).where(HelpMessage.request_id == own.id,
                                                 col(HelpMessage.from_adviser))).all()


def test_signed_out_visitors_are_asked_to_sign_in(client) -> None:
    response = client.get("/adviser", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/adviser"


# The queue


def test_an_empty_queue_says_nobody_is_waiting(client, adviser) -> None:
    factories.sign_in(client, adviser)
    page = client.get("/adviser")
    text = main_text(page.text)
    assert text_of(parse(page.text).find(".//h1")) == "Your queue"
    assert "0 waiting" in text
    assert "Nobody is waiting right now." in text
    assert "You have not claimed anything." in text
    # Live updates: the queue listens for changes, and a short polite announcement says what changed.
    root = parse(page.text)
    assert root.find(".//*[@sse-connect='/adviser/events']") is not None
    status = root.find(".//*[@id='queue-status']")
    assert status.get("aria-live") == "polite" and status.get("sse-swap") == "queue-status"


def test_the_queue_puts_urgent_first_then_the_oldest(client, db, customer, adviser) -> None:
    newest = ask(db, factories.customer(db, "Chris Lloyd"), RequestKind.chat, minutes_ago=5)
    oldest = ask(db, customer, RequestKind.message, minutes_ago=45, subject="My late bill")
    urgent = ask(db, factories.customer(db, "Dana Okafor"), RequestKind.callback, minutes_ago=1, urgent=True)
    factories.sign_in(client, adviser)
    page = client.get("/adviser").text
    assert queue_references(page) == [urgent.reference, oldest.reference, newest.reference]
    text = main_text(page)
    assert "3 waiting" in text
    assert f"Urgent Callback {urgent.reference}" in text
    assert f"Message {oldest.reference} From Alex. Waiting 45 minutes. General team." in text
    assert "About: My late bill" in text
    assert f"Chat {newest.reference} From Chris." in text
    assert "Call them at" in text  # The time the callback was booked for.
    # Each Claim button says which request it takes, for people who hear the page.
    buttons = [text_of(b) for b in parse(page).findall(".//form[@class='claim-form']//button")]
    assert buttons[0] == f"Claim Callback {urgent.reference} from Dana"


def test_each_adviser_sees_only_the_queues_of_their_team(client, db, specialist_client, customer, adviser,
                                                          needs_time) -> None:
    general = ask(db, customer)
    for_specialists = ask(db, needs_time, RequestKind.callback)  # Large print and extra time.
    assert for_specialists.team is Team.specialist
    factories.sign_in(client, adviser)
    assert queue_references(client.get("/adviser").text) == [general.reference]
    assert client.get(f"/adviser/requests/{for_specialists.reference}").status_code == 404
    token = client.csrf_token("/adviser")
    assert client.post(f"/adviser/requests/{for_specialists.reference}/claim",
                       data={"csrf_token": token}).status_code == 404
    assert set(queue_references(specialist_client.get("/adviser").text)) == {general.reference,
                                                                for_specialists.reference}
    assert "Specialist team" in main_text(specialist_client.get("/adviser").text)


def test_claiming_moves_a_request_to_yours_and_opens_it(client, db, customer, adviser) -> None:
    request = ask(db, customer)
    factories.sign_in(client, adviser)
    response = post(client, f"/adviser/requests/{request.reference}/claim", "/adviser")
    assert response.url.path == f"/adviser/requests/{request.reference}"
    assert "You have taken this." in main_text(response.text)
    page = client.get("/adviser").text
    assert queue_references(page) == []
    assert queue_references(page, "yours-heading") == [request.reference]
    db.expire_all()
    assert db.get(HelpRequest, request.id).claimed_by_person_id == actor(adviser).person_id


def test_when_someone_else_took_it_first_the_adviser_is_told(client, db, specialist_client, customer, adviser,
                                                              specialist) -> None:
    request = ask(db, customer)
    factories.sign_in(client, adviser)
    token = client.csrf_token("/adviser")  # The queue is open with it; a specialist is quicker:
    post(specialist_client, f"/adviser/requests/{request.reference}/claim", "/adviser")
    response = client.post(f"/adviser/requests/{request.reference}/claim", data={"csrf_token": token})
    assert response.url.path == "/adviser"
    text = main_text(response.text)
    assert "Someone else took this" in text
    assert request.reference in text
    db.expire_all()
    assert db.get(HelpRequest, request.id).claimed_by_person_id == actor(specialist).person_id
    # It is the specialist's now: the adviser cannot open it, and the message does not come back.
    assert client.get(f"/adviser/requests/{request.reference}").status_code == 404
    assert "Someone else took this" not in main_text(client.get("/adviser").text)


def test_two_advisers_claiming_at_the_same_moment_one_wins(db, customer, adviser, specialist) -> None:
    request = ask(db, customer)
    first, second = actor(adviser), actor(specialist)

    class Quiet:  # The broker is not what this test is about.
        def publish_sync(self, channel: str, data: dict) -> None:
            pass

    stale = db.get(HelpRequest, request.id)  # Both loaded it while it was waiting.
    with Session(db.get_bind()) as other:
        assert service.claim(other, second, Quiet(), request.reference) is service.Claimed.yours
    assert stale.status is RequestStatus.waiting
    with pytest.raises(requests.AlreadyTaken):
        requests.claim(db, first, stale)
    assert service.claim(db, first, Quiet(), request.reference) is service.Claimed.taken


def test_taking_and_stopping_chats(client, db, adviser) -> None:
    factories.sign_in(client, adviser)
    response = post(client, "/adviser/availability", "/adviser", available="yes")
    assert "You are taking chats now." in main_text(response.text)
    db.expire_all()
    assert db.get(Person, actor(adviser).person_id).available_for_chat
    assert requests.advisers_free_for_chat(db, Team.general) == 1
    response = post(client, "/adviser/availability", "/adviser", available="no")
    assert "You are not taking chats now." in main_text(response.text)
    db.expire_all()
    assert not db.get(Person, actor(adviser).person_id).available_for_chat


# The customer in front of the adviser


def views(db: Session, adviser: Person, request: HelpRequest) -> list[ActivityEntry]:
    db.expire_all()
    return list(db.exec(select(ActivityEntry).where(
        ActivityEntry.action == "adviser_viewed",
        ActivityEntry.actor_person_id == adviser.id,
        ActivityEntry.detail == request.reference)))


def test_the_customer_panel_shows_needs_context_cases_and_is_logged(db, specialist_client, customer,
                                                                   specialist, needs_time) -> None:
    account = factories.account_of(db, needs_time)
    order = factories.case(db, account, category=CaseCategory.order, kind=CaseKind.smart_meter)
    factories.appointment(db, account, for_case=order)
    # Not theirs: they could not see it, so neither may the adviser.
    someone_elses_bill = factories.bill(db, factories.account_of(db, customer)).reference
    request = ask(db, needs_time, RequestKind.callback, subject="My new meter",
                  context=(f"case:{order.reference}", f"bill:{someone_elses_bill}",
                           f"page:/account/cases/{order.reference}"))
    page = specialist_client.get(f"/adviser/requests/{request.reference}")
    root = parse(page.text)
    assert text_of(root.find(".//h1")) == f"Callback {request.reference}"
    needs = text_of(root.find(".//*[@aria-labelledby='needs-title']"))
    assert needs.startswith("What helps Bea")
    assert "Large print: Send any letters in large print." in needs
    assert "Extra time: Give them more time. Do not rush them." in needs
    assert "How they like us to contact them: Email" in needs
    text = main_text(page.text)
    assert "What they were doing before asking" in text
    assert "About: My new meter" in text
    assert order.reference in text and f"A page they were on: /account/cases/{order.reference}" in text
    assert someone_elses_bill not in text
    assert f"Customer reference {account.reference}" in text
    assert "bea@example.org" in text and "07700 900123" in text
    assert "Open cases and orders" in text and "Things they need to do" in text
    assert "Asked for a callback" in text  # Recent activity, in words.
    assert "Claim it to answer the customer." in text
    # Each view of the record is written down, with the adviser and the account.
    specialist_client.get(f"/adviser/requests/{request.reference}")
    entries = views(db, specialist, request)
    assert len(entries) == 2
    assert {e.subject_account_id for e in entries} == {account.id}


def test_relay_uk_users_are_shown_how_to_call_them(client, db, customer, specialist) -> None:
    me = actor(customer)
    save_needs(db, me, me.person_id, make_needs("phone", ["relay_uk"], ""), consent=True)
    request = ask(db, customer, RequestKind.callback)
    assert request.team is Team.specialist
    specialist_client = adviser_client(client.app, specialist)
    try:
        needs = text_of(parse(specialist_client.get(f"/adviser/requests/{request.reference}").text)
                        .find(".//*[@aria-labelledby='needs-title']"))
    finally:
        specialist_client.__exit__(None, None, None)
    assert "Relay UK: Call through Relay UK (18001): dial 18001, then their number." in needs


def test_an_adviser_cannot_open_a_request_another_adviser_holds(client, db, specialist_client, customer,
                                                                adviser, specialist) -> None:
    request = ask(db, customer)
    requests.claim(db, actor(specialist), request)
    factories.sign_in(client, adviser)
    assert client.get(f"/adviser/requests/{request.reference}").status_code == 404
    token = client.csrf_token("/adviser")
    for path, form in ((f"/adviser/requests/{request.reference}/reply", {"body": "Hi", "form_key": "k"}),
                       (f"/adviser/requests/{request.reference}/close", {"note": "Done"}),
                       (f"/adviser/requests/{request.reference}/typing", {})):
        assert client.post(path, data={"csrf_token": token, **form},
                           follow_redirects=False).status_code == 404, path
    assert client.get(f"/adviser/requests/{request.reference}/events").status_code == 404
    assert views(db, adviser, request) == []
    assert specialist_client.get(f"/adviser/requests/{request.reference}").status_code == 200


# Answering


def claim(client: PageCheckingClient, request: HelpRequest) -> httpx.Response:
    return post(client, f"/adviser/requests/{request.reference}/claim", "/adviser")


def test_a_reply_is_stored_once_and_reaches_the_customer(client, db, customer, adviser) -> None:
    request = ask(db, customer, first_message="My meter is broken")
    factories.sign_in(client, adviser)
    page = claim(client, request).text
    key = parse(page).find(".//input[@name='form_key']").get("value")
    token = client.csrf_token(f"/adviser/requests/{request.reference}")
    path = f"/adviser/requests/{request.reference}/reply"
    empty = client.post(path, data={"csrf_token": token, "body": "  ", "form_key": key})
    assert empty.status_code == 422
    assert "Write your reply" in main_text(empty.text)
    assert parse(empty.text).find(".//input[@name='form_key']").get("value") == key  # Kept for the retry.
    for _twice in range(2):
        response = client.post(path, data={"csrf_token": token, "body": "We will send an engineer.",
                                           "form_key": key})
    assert response.url.path == f"/adviser/requests/{request.reference}"
    text = main_text(response.text)
    assert "Your reply is sent" in text
    assert text.index("My meter is broken") < text.index("We will send an engineer.")
    db.expire_all()
    replies = db.exec(select(HelpMessage).where(HelpMessage.request_id == request.id,
                                                col(HelpMessage.from_adviser))).all()
    assert [m.body for m in replies] == ["We will send an engineer."]
    # The customer sees it on their own page for the conversation, once that page exists.
    if any(r.path == "/help/messages/{reference}" for r in api_routes(client.app)):
        factories.sign_in(client, customer)
        assert "We will send an engineer." in client.get(f"/help/messages/{request.reference}").text


def test_with_htmx_a_reply_is_sent_in_place_so_the_adviser_can_go_on(client, db, customer, adviser) -> None:
    request = ask(db, customer, RequestKind.chat, first_message="Hi")
    factories.sign_in(client, adviser)
    claim(client, request)
    token = client.csrf_token(f"/adviser/requests/{request.reference}")
    path = f"/adviser/requests/{request.reference}/reply"
    htmx = {"HX-Request": "true"}
    empty = client.post(path, data={"csrf_token": token, "body": "", "form_key": "k1"}, headers=htmx)
    assert empty.status_code == 422
    assert empty.headers["HX-Retarget"] == "#main-content"  # Errors go at the top of the page.
    assert "Write your reply" in empty.text
    sent = client.post(path, data={"csrf_token": token, "body": "Let me check.", "form_key": "k1"},
                       headers=htmx)
    assert sent.status_code == 200
    fragment = parse(f"<!DOCTYPE html><html><body>{sent.text}</body></html>")
    box = fragment.find(".//textarea[@id='body']")
    assert box is not None and (box.text or "").strip() == ""  # A fresh box, with the same id.
    assert fragment.find(".//input[@name='form_key']").get("value") != "k1"
    assert "Let me check." in text_of(fragment.find(".//*[@id='conversation']"))
    assert text_of(fragment.find(".//*[@id='announce']")) == "Your reply is sent"


def test_a_waiting_request_must_be_claimed_before_replying(client, db, customer, adviser) -> None:
    request = ask(db, customer)
    factories.sign_in(client, adviser)
    page = client.get(f"/adviser/requests/{request.reference}").text
    assert parse(page).find(".//form[@id='reply']") is None
    token = client.csrf_token("/adviser")
    client.post(f"/adviser/requests/{request.reference}/reply",
                data={"csrf_token": token, "body": "Hello", "form_key": "abc"})
    db.expire_all()
    assert len(requests.messages(db, db.get(HelpRequest, request.id))) == 1  # Only the customer's.


def test_recording_the_call_closes_the_callback(client, db, customer, adviser) -> None:
    request = ask(db, customer, RequestKind.callback)
    factories.sign_in(client, adviser)
    claim(client, request)
    path = f"/adviser/requests/{request.reference}/close"
    token = client.csrf_token(f"/adviser/requests/{request.reference}")
    empty = client.post(path, data={"csrf_token": token})
    assert empty.status_code == 422
    summary = [text_of(a) for a in parse(empty.text).findall(".//*[@class='error-summary']//a")]
    assert summary == ["Choose what happened on the call", "Write a note about the call"]
    too_long = client.post(path, data={"csrf_token": token, "outcome": "answered", "note": "x" * 1001})
    assert too_long.status_code == 422
    assert "The note must be 1000 characters or fewer" in main_text(too_long.text)
    assert parse(too_long.text).find(".//input[@value='answered']").get("checked") is not None
    done = client.post(path, data={"csrf_token": token, "outcome": "no_answer",
                                   "note": "No answer. Will try again tomorrow."})
    assert done.url.path == "/adviser"
    assert f"You closed {request.reference}" in main_text(done.text)
    db.expire_all()
    closed = db.get(HelpRequest, request.id)
    assert (closed.status, closed.outcome, closed.close_note) == (
        RequestStatus.closed, "no_answer", "No answer. Will try again tomorrow.")
    assert queue_references(done.text, "yours-heading") == []
    # Looking back at it shows how it ended, but no longer the customer's record.
    later = main_text(client.get(f"/adviser/requests/{request.reference}").text)
    assert "How it ended" in later and "No answer" in later
    assert factories.account_of(db, customer).reference not in later


def test_a_message_is_closed_with_a_note(client, db, customer, adviser) -> None:
    request = ask(db, customer, RequestKind.message)
    factories.sign_in(client, adviser)
    page = claim(client, request)
    assert "Close with a note" in main_text(page.text)
    assert parse(page.text).find(".//input[@name='outcome']") is None
    path = f"/adviser/requests/{request.reference}/close"
    token = client.csrf_token(f"/adviser/requests/{request.reference}")
    empty = client.post(path, data={"csrf_token": token, "note": ""})
    assert empty.status_code == 422 and "Write a note to say how you helped" in main_text(empty.text)
    client.post(path, data={"csrf_token": token, "note": "Explained the bill."})
    db.expire_all()
    assert db.get(HelpRequest, request.id).status is RequestStatus.closed


def test_typing_signals_are_throttled(db, customer, adviser) -> None:
    request = ask(db, customer)
    sent: list[tuple[str, dict]] = []

    class Recording:
        def publish_sync(self, channel: str, data: dict) -> None:
            sent.append((channel, data))

    now = [100.0]
    typist = actor(adviser)
    assert service.typing(Recording(), typist, request, clock=lambda: now[0])
    now[0] += 1
    assert not service.typing(Recording(), typist, request, clock=lambda: now[0])
    now[0] += service.TYPING_EVERY_SECONDS
    assert service.typing(Recording(), typist, request, clock=lambda: now[0])
    assert sent == [(requests.request_channel(request),
                     {"event": "typing", "by": "adviser", "reference": request.reference})] * 2


def test_live_streams_stop_when_the_adviser_signs_out_or_stops_being_one(client, db, adviser) -> None:
    factories.sign_in(client, adviser)
    session_id = client.cookies.get("portal_session")
    adviser_id = adviser.id
    idle = dt.timedelta(minutes=30)
    assert service.still_adviser_here(db, adviser_id, session_id, idle)
    assert not service.still_adviser_here(db, adviser_id, session_id, dt.timedelta(seconds=-1))  # Gone idle.
    person = db.get(Person, adviser_id)
    person.staff_role = ""
    db.add(person)
    db.commit()
    assert not service.still_adviser_here(db, adviser_id, session_id, idle)
    person.staff_role = "adviser"
    db.add(person)
    db.commit()
    client.post("/sign-out", data={"csrf_token": client.csrf_token("/adviser")})
    db.expire_all()
    assert not service.still_adviser_here(db, adviser_id, session_id, idle)


# Live updates, through a real server: events published after a change reach the open pages.


@pytest.fixture
def live(app: FastAPI) -> Iterator[str]:
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def live_sign_in(app: FastAPI, base: str, someone: Person) -> httpx.Client:
    # The app's own address is http://testserver (see conftest): that is the origin its forms come from.
    browser = httpx.Client(base_url=base, headers={"Origin": "http://testserver"}, follow_redirects=True,
                           timeout=5)
    factories.sign_in(browser, someone, engine=app.state.engine, secure=False)
    return browser


def read_events(stream: httpx.Response, wanted: str, then: Callable[[], None],
                ready: str = "retry") -> dict[str, str]:
    """Read the stream; once it is listening (and has sent `ready`) call `then`; return the events
    up to `wanted`."""
    events: dict[str, str] = {}
    name, data = "", []
    for line in stream.iter_lines():
        if ready == "retry" and line.startswith("retry:"):
            then()
        elif line.startswith("event: "):
            name, data = line[7:], []
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            if name == ready and name not in events:
                then()
            elif name == wanted:
                events[name] = "\n".join(data)
                return events
            events[name] = "\n".join(data)
            name = ""
    raise AssertionError(f"the stream ended before {wanted!r}")


def test_a_customer_message_appears_live_and_is_announced(app, db, live, customer, adviser) -> None:
    request = ask(db, customer, first_message="Hello")
    requests.claim(db, actor(adviser), request)
    browser = live_sign_in(app, live, adviser)

    def customer_writes() -> None:
        with Session(app.state.engine) as other:
            fresh = other.get(HelpRequest, request.id)
            requests.add_message(other, actor(customer), fresh, "Are you there?", form_key="live-1")
            requests.announce(app.state.broker, fresh, "message")

    with browser.stream("GET", f"/adviser/requests/{request.reference}/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        events = read_events(stream, "announce", customer_writes)
    assert "Are you there?" in events["conversation"]
    assert events["typing"] == ""
    assert events["announce"] == "New message from Alex"
    browser.close()


def test_the_queue_updates_live_with_a_short_announcement(app, db, live, adviser) -> None:
    chatting = factories.customer(db)
    browser = live_sign_in(app, live, adviser)
    opened: list[HelpRequest] = []

    def customer_asks() -> None:
        with Session(app.state.engine) as other:
            opened.append(ask(other, chatting, RequestKind.chat))
            requests.announce(app.state.broker, opened[0], "opened")

    with browser.stream("GET", "/adviser/events") as stream:
        events = read_events(stream, "queue-status", customer_asks, ready="queue")
    assert opened[0].reference in events["queue"]
    assert "Claim" in events["queue"]
    assert events["queue-status"].strip() == "Queue updated: 1 waiting"
    browser.close()


def test_an_adviser_looking_at_a_request_hears_when_someone_else_takes_it(app, db, live, customer, adviser,
                                                                           specialist) -> None:
    request = ask(db, customer)
    browser = live_sign_in(app, live, adviser)

    def specialist_takes_it() -> None:
        with Session(app.state.engine) as other:
            fresh = other.get(HelpRequest, request.id)
            requests.claim(other, actor(specialist), fresh)
            requests.announce(app.state.broker, fresh, "claimed")

    with browser.stream("GET", f"/adviser/requests/{request.reference}/events") as stream:
        events = read_events(stream, "request-status", specialist_takes_it)
    assert events["request-status"] == "Someone else took this."
    assert browser.get(f"/adviser/requests/{request.reference}/events").status_code == 404
    browser.close()
