"""Secure messages (/help/messages) and live chat with a person (/help/chat), the customer's side:
threads, replies that are stored before we say so, drafts, the chat queue, alternatives when nobody is
free, transcripts, and the live streams. The clock is frozen through `service.get_now`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from portal.access import Actor
from portal.advisers import service as advisers
from portal.help import live, requests, service
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from tests import factories
from tests.conftest import PageCheckingClient, stream_calls
from tests.page_checks import parse, text_of

WEDNESDAY_MORNING = dt.datetime(2026, 6, 3, 9, 0, tzinfo=dt.UTC)  # 10:00 in London: open.
SUNDAY = dt.datetime(2026, 6, 7, 12, 0, tzinfo=dt.UTC)  # Closed all day.


@pytest.fixture
def clock(app: FastAPI) -> Iterator[dict[str, dt.datetime]]:
    now = {"at": WEDNESDAY_MORNING}
    app.dependency_overrides[service.get_now] = lambda: now["at"]
    yield now
    app.dependency_overrides.clear()


@pytest.fixture
def me(client: PageCheckingClient, customer: Person, clock: dict) -> PageCheckingClient:
    """The customer, signed in."""
    factories.sign_in(client, customer)
    return client


@pytest.fixture
def adviser(db: Session) -> Person:
    """An adviser in the general team, not taking chats until a test says so."""
    return factories.adviser(db, "Rowan Ellis")


def actor(found: Person) -> Actor:
    assert found.id is not None
    return Actor(person_id=found.id, name=found.name, staff_role=found.staff_role, team=found.team)


def free_for_chat(db: Session, adviser: Person, free: bool = True) -> None:
    adviser.available_for_chat = free
    factories.save(db, adviser)


def main_text(html: str) -> str:
    return text_of(parse(html).find(".//main"))


def filled(html: str, action: str) -> dict[str, object]:
    """What the form posting to `action` sends as it is."""
    form = next(f for f in parse(html).iter("form") if f.get("action") == action)
    data: dict[str, object] = {}
    for field in form.iter("input"):
        if field.get("type") == "checkbox":
            if field.get("checked") is not None:
                data.setdefault(field.get("name"), []).append(field.get("value"))  # type: ignore[union-attr]
        else:
            data[field.get("name")] = field.get("value") or ""
    for area in form.iter("textarea"):
        data[area.get("name")] = "".join(area.itertext()).strip("\n")
    return data


def textarea(html: str, name: str = "message") -> str:
    area = parse(html).find(f".//textarea[@name='{name}']")
    assert area is not None
    return "".join(area.itertext()).strip("\n")


def errors(html: str) -> list[str]:
    summary = parse(html).find(".//div[@class='error-summary']")
    return [text_of(a) for a in summary.iter("a")] if summary is not None else []


def send_new(client: PageCheckingClient, subject: str = "My bill looks wrong",
             message: str = "The bill for May is twice what I expected.") -> str:
    form = filled(client.get("/help/messages/new").text, "/help/messages/new")
    response = client.post("/help/messages/new", data={**form, "subject": subject, "message": message})
    assert response.status_code == 200
    match = re.fullmatch(r"/help/messages/(HR-\w+)", response.url.path)
    assert match, response.url.path
    return match.group(1)


def start_chat(client: PageCheckingClient, message: str = "Why is my bill late?") -> str:
    form = filled(client.get("/help/chat").text, "/help/chat")
    response = client.post("/help/chat", data={**form, "message": message})
    match = re.fullmatch(r"/help/chat/(HR-\w+)", response.url.path)
    assert match, (response.url.path, main_text(response.text))
    return match.group(1)


def by_ref(db: Session, reference: str) -> HelpRequest:
    db.expire_all()
    return db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).one()


def messages_of(db: Session, reference: str) -> list[HelpMessage]:
    return requests.messages(db, by_ref(db, reference))


# Secure messages


def test_a_new_thread_is_stored_and_listed(me: PageCheckingClient, db: Session) -> None:
    assert "You have no messages yet." in main_text(me.get("/help/messages").text)
    reference = send_new(me)
    page = me.get(f"/help/messages/{reference}")
    text = main_text(page.text)
    assert "My bill looks wrong" in text and "The bill for May is twice what I expected." in text
    thread = by_ref(db, reference)
    assert thread.kind is RequestKind.message and thread.status is RequestStatus.waiting
    listed = main_text(me.get("/help/messages").text)
    assert "My bill looks wrong" in listed and "Waiting for us" in listed and reference in listed


def test_the_page_says_sent_once_the_message_is_stored(me: PageCheckingClient, db: Session) -> None:
    form = filled(me.get("/help/messages/new").text, "/help/messages/new")
    response = me.post("/help/messages/new", data={**form, "subject": "Meter", "message": "Hello"})
    assert "Your message was sent." in main_text(response.text)
    assert [m.body for m in messages_of(db, response.url.path.rsplit("/", 1)[1])] == ["Hello"]
    assert "Your message was sent." not in main_text(me.get(response.url.path).text)  # Said once.


def test_sending_twice_makes_one_thread_and_one_message(me: PageCheckingClient, db: Session,
                                                        customer: Person) -> None:
    form = filled(me.get("/help/messages/new").text, "/help/messages/new")
    data = {**form, "subject": "Twice", "message": "Sent on a slow connection"}
    first, second = me.post("/help/messages/new", data=data), me.post("/help/messages/new", data=data)
    assert first.url.path == second.url.path
    my_id = customer.id
    threads = db.exec(select(HelpRequest).where(HelpRequest.customer_person_id == my_id,
                                                HelpRequest.subject == "Twice")).all()
    assert len(threads) == 1
    reference = threads[0].reference

    reply = filled(me.get(f"/help/messages/{reference}").text, f"/help/messages/{reference}")
    for _ in range(2):
        me.post(f"/help/messages/{reference}", data={**reply, "message": "One more thing"})
    assert [m.body for m in messages_of(db, reference)] == ["Sent on a slow connection", "One more thing"]


def test_a_new_message_sent_empty_says_what_to_do_and_keeps_what_was_typed(me: PageCheckingClient) -> None:
    form = filled(me.get("/help/messages/new").text, "/help/messages/new")
    response = me.post("/help/messages/new", data={**form, "subject": "Only a subject", "message": ""})
    assert response.status_code == 422
    assert errors(response.text) == ["Enter your message"]
    assert parse(response.text).find(".//input[@name='subject']").get("value") == "Only a subject"
    empty = me.post("/help/messages/new", data={**form, "subject": "", "message": ""})
    assert errors(empty.text) == ["Enter a subject, in a few words", "Enter your message"]


def test_a_reply_with_an_error_comes_back_with_every_word(me: PageCheckingClient, db: Session,
                                                          customer: Person) -> None:
    reference = send_new(me)
    path = f"/help/messages/{reference}"
    reply = filled(me.get(path).text, path)
    too_long = "word " * 1200
    response = me.post(path, data={**reply, "message": too_long})
    assert response.status_code == 422
    assert errors(response.text) == ["Your message is too long. Use 5000 characters or fewer."]
    assert textarea(response.text) == too_long.strip()
    assert len(messages_of(db, reference)) == 1

    thread = by_ref(db, reference)  # Closed by us while the customer was writing.
    thread.status = RequestStatus.closed
    db.add(thread)
    db.commit()
    response = me.post(path, data={**reply, "message": "Are you still there?"})
    assert response.status_code == 422
    assert "This conversation is closed" in errors(response.text)[0]
    assert textarea(response.text) == "Are you still there?"
    assert len(messages_of(db, reference)) == 1
    assert textarea(me.get("/help/messages/new").text) == "Are you still there?"  # Ready to send anew.


def test_a_draft_is_kept_while_typing_and_cleared_once_sent(me: PageCheckingClient, db: Session) -> None:
    reference = send_new(me)
    path = f"/help/messages/{reference}"
    reply = filled(me.get(path).text, path)
    saved = me.post(f"{path}/draft", data={"csrf_token": reply["csrf_token"],
                                            "form_key": reply["form_key"], "message": "Half a thought"})
    assert saved.status_code == 204
    assert textarea(me.get(path).text) == "Half a thought"  # The connection dropped; they came back.

    me.post(path, data={**reply, "message": "Half a thought, finished"})
    assert textarea(me.get(path).text) == ""
    # A draft save that arrives after the message was sent does not bring the words back.
    me.post(f"{path}/draft", data={"csrf_token": reply["csrf_token"], "form_key": reply["form_key"],
                                    "message": "Half a thought, finished"})
    assert textarea(me.get(path).text) == ""

    new = filled(me.get("/help/messages/new").text, "/help/messages/new")
    me.post("/help/messages/new/draft", data={"csrf_token": new["csrf_token"], "form_key": new["form_key"],
                                               "subject": "Moving", "message": "I move on"})
    page = me.get("/help/messages/new").text
    assert parse(page).find(".//input[@name='subject']").get("value") == "Moving"
    assert textarea(page) == "I move on"


def test_an_adviser_reply_tells_the_customer_without_the_words(me: PageCheckingClient, app: FastAPI,
                                                                db: Session, customer: Person,
                                                                adviser: Person) -> None:
    reference = send_new(me)
    staff = actor(adviser)
    thread = requests.claim(db, staff, by_ref(db, reference))
    advisers.reply(db, staff, app.state.broker, thread, "Your bill includes a late reading. Secret 42.",
                   "adviser-reply-key-0001")

    my_id = customer.id
    inbox = db.exec(select(InboxMessage).where(InboxMessage.person_id == my_id)
                    .order_by(InboxMessage.id.desc())).first()  # type: ignore[union-attr]
    assert inbox is not None and inbox.subject == "You have a reply from us"
    assert reference in inbox.body and "Secret 42" not in inbox.body
    emails = db.exec(select(OutboxMessage).where(OutboxMessage.to == customer.email)).all()
    assert emails and all("Secret 42" not in e.body for e in emails)

    advisers.reply(db, staff, app.state.broker, thread, "And one more thing.", "adviser-reply-key-0002")
    notes = db.exec(select(InboxMessage).where(InboxMessage.person_id == my_id,
                                               InboxMessage.subject == "You have a reply from us")).all()
    assert len(notes) == 1  # Not a note for each reply while the first is unread.

    text = main_text(me.get(f"/help/messages/{reference}").text)
    assert "Rowan (Adviser)" in text and "Secret 42" in text and "Ellis" not in text
    assert "We replied" in main_text(me.get("/help/messages").text)


def test_nobody_else_can_see_or_touch_a_thread_or_chat(me: PageCheckingClient, db: Session, customer: Person,
                                                       adviser: Person) -> None:
    free_for_chat(db, adviser)
    thread = send_new(me)
    chat = start_chat(me)
    factories.sign_in(me, factories.customer(db))
    token = me.csrf_token("/help/messages/new")
    for path in (f"/help/messages/{thread}", f"/help/messages/{thread}/events", f"/help/chat/{chat}",
                 f"/help/chat/{chat}/events", f"/help/chat/{chat}/queue", f"/help/messages/{chat}"):
        assert me.get(path).status_code == 404, path
    for path in (f"/help/messages/{thread}", f"/help/messages/{thread}/draft", f"/help/chat/{chat}",
                 f"/help/chat/{chat}/typing", f"/help/chat/{chat}/leave"):
        assert me.post(path, data={"csrf_token": token, "message": "Hi", "form_key": "x" * 20}
                        ).status_code == 404, path
    assert by_ref(db, chat).status is RequestStatus.waiting
    assert len(messages_of(db, thread)) == 1 and len(messages_of(db, chat)) == 1
    assert me.get("/help/messages/HR-NOSUCH").status_code == 404


def test_a_callback_is_not_a_thread(me: PageCheckingClient, db: Session, customer: Person) -> None:
    callback, _ = requests.open_request(db, actor(customer), RequestKind.callback,
                                        form_key="callback-key-0001", account_id=None)
    assert me.get(f"/help/messages/{callback.reference}").status_code == 404
    assert me.get(f"/help/chat/{callback.reference}").status_code == 404


# Live chat


def test_chat_offers_a_callback_or_a_message_when_nobody_is_free(me: PageCheckingClient, db: Session,
                                                                 clock: dict, adviser: Person) -> None:
    free_for_chat(db, adviser, False)
    page = me.get("/help/chat")
    root = parse(page.text)
    assert "Nobody is free to chat right now." in main_text(page.text)
    links = {a.get("href") for a in root.findall(".//main//a")}
    assert {"/help/callback", "/help/messages/new"} <= links
    assert root.find(".//textarea") is None

    free_for_chat(db, adviser, True)
    page = me.get("/help/chat")
    assert parse(page.text).find(".//main//textarea[@name='message']") is not None
    assert "Nobody is free" not in main_text(page.text)

    clock["at"] = SUNDAY
    closed = me.get("/help/chat")
    assert "Live chat is closed now." in main_text(closed.text)
    assert {"/help/callback", "/help/messages/new"} <= {a.get("href") for a in parse(closed.text).findall(
        ".//main//a")}


def test_a_chat_started_as_the_chat_closes_keeps_the_words_for_a_message(me: PageCheckingClient,
                                                                         db: Session,
                                                                         adviser: Person) -> None:
    free_for_chat(db, adviser)
    form = filled(me.get("/help/chat").text, "/help/chat")
    free_for_chat(db, adviser, False)
    response = me.post("/help/chat", data={**form, "message": "Can you help?"})
    assert "We kept what you wrote for a message." in main_text(response.text)
    assert textarea(me.get("/help/messages/new").text) == "Can you help?"


def test_the_queue_counts_only_earlier_waiting_chats_of_the_same_team(client: PageCheckingClient, db: Session,
                                                                      customer: Person, adviser: Person,
                                                                      clock: dict) -> None:
    free_for_chat(db, adviser)
    free_for_chat(db, factories.adviser(db, team=Team.specialist))
    second = factories.customer(db)
    needs_time = factories.customer(db)
    factories.needs(db, needs_time, channel="email", support=["large_print", "extra_time"])
    factories.sign_in(client, customer)
    first_chat = start_chat(client)
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{first_chat}").text)
    assert "The wait is about 6 minutes." in main_text(client.get(f"/help/chat/{first_chat}").text)
    factories.sign_in(client, second)
    second_chat = start_chat(client)
    assert "You are number 2 in the queue." in main_text(client.get(f"/help/chat/{second_chat}").text)
    assert "The wait is about 12 minutes." in main_text(client.get(f"/help/chat/{second_chat}").text)
    factories.sign_in(client, needs_time)  # Their needs send them to the specialist team: its own queue.
    specialist_chat = start_chat(client)
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{specialist_chat}").text)

    requests.claim(db, actor(adviser), by_ref(db, first_chat))
    factories.sign_in(client, second)
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{second_chat}").text)
    factories.sign_in(client, customer)
    text = main_text(client.get(f"/help/chat/{first_chat}").text)
    assert "Rowan from our team has joined." in text and "Ellis" not in text


def test_chat_messages_are_sent_with_and_without_javascript(me: PageCheckingClient, db: Session,
                                                            adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me)
    path = f"/help/chat/{reference}"
    page = me.get(path)
    root = parse(page.text)
    live = root.find(".//main//*[@aria-live='polite']")
    assert live is not None and live.get("aria-relevant") == "additions"
    typing = root.find(".//*[@id='chat-typing']")
    assert typing is not None and typing.get("aria-live") is None and typing.get("role") is None
    assert "Refresh to see new messages" in page.text  # Shown without JavaScript.

    form = filled(page.text, path)
    plain = me.post(path, data={**form, "message": "Are you there?"})
    assert plain.url.path == path and "Are you there?" in main_text(plain.text)

    empty = me.post(path, data={**filled(plain.text, path), "message": ""})
    assert empty.status_code == 422 and errors(empty.text) == ["Enter your message"]

    form = filled(plain.text, path)
    htmx = me.post(path, data={**form, "message": "Sent in place"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and not htmx.text.lstrip().startswith("<!DOCTYPE")
    fragment = parse(f"<!DOCTYPE html><title>x</title>{htmx.text}")
    assert fragment.find(".//form[@id='chat-form']//textarea").text in (None, "\n")
    assert "Sent in place" in text_of(fragment.find(".//ol[@hx-swap-oob]"))
    assert [m.body for m in messages_of(db, reference)] == ["Why is my bill late?", "Are you there?",
                                                          "Sent in place"]


def test_typing_is_passed_on_for_an_open_chat(me: PageCheckingClient, db: Session, adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me)
    token = me.csrf_token(f"/help/chat/{reference}")
    assert me.post(f"/help/chat/{reference}/typing", data={"csrf_token": token}).status_code == 204


def test_leaving_a_chat_keeps_its_transcript_in_messages(me: PageCheckingClient, db: Session,
                                                         adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me, "I need help with a payment")
    token = me.csrf_token(f"/help/chat/{reference}")
    left = me.post(f"/help/chat/{reference}/leave", data={"csrf_token": token})
    assert left.url.path == f"/help/chat/{reference}"
    assert "You left the chat." in main_text(left.text)
    assert by_ref(db, reference).status is RequestStatus.cancelled
    assert f"/help/messages/{reference}" in {a.get("href") for a in parse(left.text).findall(".//main//a")}
    listed = main_text(me.get("/help/messages").text)
    assert "Live chat" in listed and "Closed" in listed


def test_a_chat_closed_by_the_adviser_ends_and_its_transcript_is_in_messages(me: PageCheckingClient,
                                                                             db: Session,
                                                                             adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me, "My meter is broken")
    assert reference not in main_text(me.get("/help/messages").text)  # Not while it is going on.
    assert me.get(f"/help/messages/{reference}").url.path == f"/help/chat/{reference}"
    staff = actor(adviser)
    chat = requests.claim(db, staff, by_ref(db, reference))
    requests.add_message(db, staff, chat, "I will book an engineer.", form_key="staff-chat-reply-0001")
    requests.close(db, staff, chat, note="Engineer booked")

    page = me.get(f"/help/chat/{reference}")
    assert "The chat has ended." in main_text(page.text)
    assert parse(page.text).find(".//main//textarea") is None
    transcript = me.get(f"/help/messages/{reference}")
    assert transcript.url.path == f"/help/messages/{reference}"
    text = main_text(transcript.text)
    assert "My meter is broken" in text and "I will book an engineer." in text and "Rowan (Adviser)" in text
    assert "This chat has ended." in text
    listed = main_text(me.get("/help/messages").text)
    assert "Live chat" in listed and reference in listed


# Live streams


def stream_args(app: FastAPI, viewer: Actor, request: HelpRequest) -> tuple:
    return app.state.templates, app.state.settings, viewer, request, "a-session-id"


def test_thread_stream_sends_only_new_messages(me: PageCheckingClient, app: FastAPI, db: Session,
                                               customer: Person, adviser: Person) -> None:
    reference = send_new(me)
    thread = by_ref(db, reference)
    my_actor = actor(customer)
    shown = messages_of(db, reference)[-1].id
    on_event, first = stream_calls(app, live.ThreadStream(*stream_args(app, my_actor, thread), after=shown))
    assert first() == []
    assert on_event({"event": "message", "reference": reference}) == []

    staff = actor(adviser)
    requests.claim(db, staff, thread)
    requests.add_message(db, staff, thread, "We are on it", form_key="staff-thread-reply-0001")
    [(name, html)] = on_event({"event": "message", "reference": reference})
    item = parse(f"<!DOCTYPE html><title>x</title><ol>{html}</ol>").find(".//li")
    assert name == "message" and "We are on it" in text_of(item) and "Rowan (Adviser)" in text_of(item)
    assert "The bill for May" not in html  # Only what is new.
    assert on_event({"event": "message", "reference": reference}) == []  # Sent once.

    requests.close(db, staff, by_ref(db, reference), note="Done")
    fragments = dict(on_event({"event": "closed", "reference": reference}))
    assert "We have closed this conversation." in fragments["status"] and "ended" in fragments


def test_chat_stream_sends_messages_typing_and_where_the_chat_is(me: PageCheckingClient, app: FastAPI,
                                                                 db: Session, customer: Person,
                                                                 adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me)
    chat = by_ref(db, reference)
    on_event, first = stream_calls(app, live.ChatStream(*stream_args(app, actor(customer), chat),
                                                        after=messages_of(db, reference)[-1].id,
                                                        shown_state="waiting"))
    assert first() == []
    assert on_event({"event": "typing", "by": "customer", "reference": reference}) == []

    staff = actor(adviser)
    requests.claim(db, staff, chat)
    [(name, html)] = on_event({"event": "claimed", "reference": reference})
    assert name == "status" and "Rowan from our team has joined." in html
    assert on_event({"event": "claimed", "reference": reference}) == []  # Not said twice.
    assert on_event({"event": "typing", "by": "adviser", "reference": reference}) == [
        ("typing", "Rowan is typing…")]

    requests.add_message(db, staff, by_ref(db, reference), "Hello, I am Rowan",
                         form_key="staff-chat-hello-0001")
    fragments = on_event({"event": "message", "reference": reference})
    assert [name for name, _ in fragments] == ["message", "typing"] and "Hello, I am Rowan" in fragments[0][1]
    assert fragments[1][1] == ""  # They sent it: no longer typing.

    requests.close(db, staff, by_ref(db, reference), note="Answered")
    ended = dict(on_event({"event": "closed", "reference": reference}))
    assert "The chat has ended." in ended["status"] and f"/help/messages/{reference}" in ended["status"]
    assert 'hx-swap-oob="true"' in ended["status"] and "ended" in ended


def test_queue_stream_sends_the_place_only_when_it_changes(client: PageCheckingClient, app: FastAPI,
                                                           db: Session, customer: Person, adviser: Person,
                                                           clock: dict) -> None:
    free_for_chat(db, adviser)
    second = factories.customer(db)
    factories.sign_in(client, customer)
    first_chat = start_chat(client)
    factories.sign_in(client, second)
    second_chat = by_ref(db, start_chat(client))
    on_event, first = stream_calls(app, live.QueueStream(*stream_args(app, actor(second), second_chat),
                                                         shown_position=2))
    assert first() == []
    assert on_event({"event": "opened"}) == []
    requests.claim(db, actor(adviser), by_ref(db, first_chat))
    [(name, html)] = on_event({"event": "claimed"})
    assert name == "position" and "You are number 1 in the queue." in html
    requests.claim(db, actor(adviser), by_ref(db, second_chat.reference))
    assert on_event({"event": "claimed"}) == [("done", "")]


def first_bytes(client: PageCheckingClient, path: str) -> tuple[int, str, str]:
    """Status, content type and the first line of a stream; then hang up (the stream never ends)."""
    with client.stream("GET", path) as response:
        if response.status_code != 200:
            return response.status_code, response.headers.get("content-type", ""), ""
        for line in response.iter_lines():
            return response.status_code, response.headers["content-type"], line
    raise AssertionError("the stream sent nothing")


@pytest.mark.timeout(30)  # The streams never end by themselves; this test hangs up after one line.
def test_streams_answer_the_owner_and_nobody_else(me: PageCheckingClient, db: Session, customer: Person,
                                                  adviser: Person) -> None:
    free_for_chat(db, adviser)
    thread, chat = send_new(me), start_chat(me)
    paths = [f"/help/messages/{thread}/events?after=0", f"/help/chat/{chat}/events?after=0&shown=waiting",
             f"/help/chat/{chat}/queue?shown=1"]
    for path in paths:
        status, content_type, line = first_bytes(me, path)
        assert (status, content_type.split(";")[0], line) == (200, "text/event-stream", "retry: 3000"), path
    factories.sign_in(me, factories.customer(db))
    for path in paths:
        assert first_bytes(me, path)[0] == 404, path


def test_pages_in_welsh_and_arabic(me: PageCheckingClient, db: Session, adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = send_new(me)
    chat = start_chat(me)
    for locale in ("cy", "ar"):
        me.cookies.set("portal_lang", locale)
        for path in ("/help/messages", "/help/messages/new", f"/help/messages/{reference}", "/help/chat",
                     f"/help/chat/{chat}"):
            assert me.get(path).status_code == 200, (locale, path)


def test_words_sent_just_after_the_chat_ended_wait_in_a_new_message(me: PageCheckingClient,
                                                                    db: Session, customer: Person,
                                                                    adviser: Person) -> None:
    free_for_chat(db, adviser)
    reference = start_chat(me)
    form = filled(me.get(f"/help/chat/{reference}").text, f"/help/chat/{reference}")
    requests.cancel(db, actor(customer), by_ref(db, reference))  # Ended in another tab.
    response = me.post(f"/help/chat/{reference}", data={**form, "message": "One more thing"})
    assert "You left the chat." in main_text(response.text)
    assert textarea(me.get("/help/messages/new").text) == "One more thing"
