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
from portal.help.models import HelpMessage, HelpRequest, RequestKind, RequestStatus
from portal.identity.models import Person
from portal.notify.models import InboxMessage, OutboxMessage
from tests.conftest import PageCheckingClient, sign_in, stream_calls
from tests.page_checks import parse, text_of

pytestmark = [pytest.mark.demo, pytest.mark.usefixtures("no_help_requests")]

WEDNESDAY_MORNING = dt.datetime(2026, 6, 3, 9, 0, tzinfo=dt.UTC)  # 10:00 in London: open.
SUNDAY = dt.datetime(2026, 6, 7, 12, 0, tzinfo=dt.UTC)  # Closed all day.


@pytest.fixture
def clock(app: FastAPI) -> Iterator[dict[str, dt.datetime]]:
    now = {"at": WEDNESDAY_MORNING}
    app.dependency_overrides[service.get_now] = lambda: now["at"]
    yield now
    app.dependency_overrides.clear()


@pytest.fixture
def sam(client: PageCheckingClient, clock: dict) -> PageCheckingClient:
    sign_in(client, "sam")
    return client


def person(db: Session, key: str) -> Person:
    return db.exec(select(Person).where(Person.email.startswith(f"{key}@"))).one()  # type: ignore[attr-defined]


def actor(db: Session, key: str) -> Actor:
    found = person(db, key)
    assert found.id is not None
    return Actor(person_id=found.id, name=found.name, staff_role=found.staff_role, team=found.team)


def free_for_chat(db: Session, key: str, free: bool = True) -> None:
    adviser = person(db, key)
    adviser.available_for_chat = free
    db.add(adviser)
    db.commit()


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


def test_a_new_thread_is_stored_and_listed(sam: PageCheckingClient, db: Session) -> None:
    assert "You have no messages yet." in main_text(sam.get("/help/messages").text)
    reference = send_new(sam)
    page = sam.get(f"/help/messages/{reference}")
    text = main_text(page.text)
    assert "My bill looks wrong" in text and "The bill for May is twice what I expected." in text
    thread = by_ref(db, reference)
    assert thread.kind is RequestKind.message and thread.status is RequestStatus.waiting
    listed = main_text(sam.get("/help/messages").text)
    assert "My bill looks wrong" in listed and "Waiting for us" in listed and reference in listed


def test_the_page_says_sent_once_the_message_is_stored(sam: PageCheckingClient, db: Session) -> None:
    form = filled(sam.get("/help/messages/new").text, "/help/messages/new")
    response = sam.post("/help/messages/new", data={**form, "subject": "Meter", "message": "Hello"})
    assert "Your message was sent." in main_text(response.text)
    assert [m.body for m in messages_of(db, response.url.path.rsplit("/", 1)[1])] == ["Hello"]
    assert "Your message was sent." not in main_text(sam.get(response.url.path).text)  # Said once.


def test_sending_twice_makes_one_thread_and_one_message(sam: PageCheckingClient, db: Session) -> None:
    form = filled(sam.get("/help/messages/new").text, "/help/messages/new")
    data = {**form, "subject": "Twice", "message": "Sent on a slow connection"}
    first, second = sam.post("/help/messages/new", data=data), sam.post("/help/messages/new", data=data)
    assert first.url.path == second.url.path
    sam_id = person(db, "sam").id
    threads = db.exec(select(HelpRequest).where(HelpRequest.customer_person_id == sam_id,
                                                HelpRequest.subject == "Twice")).all()
    assert len(threads) == 1
    reference = threads[0].reference

    reply = filled(sam.get(f"/help/messages/{reference}").text, f"/help/messages/{reference}")
    for _ in range(2):
        sam.post(f"/help/messages/{reference}", data={**reply, "message": "One more thing"})
    assert [m.body for m in messages_of(db, reference)] == ["Sent on a slow connection", "One more thing"]


def test_a_new_message_sent_empty_says_what_to_do_and_keeps_what_was_typed(sam: PageCheckingClient) -> None:
    form = filled(sam.get("/help/messages/new").text, "/help/messages/new")
    response = sam.post("/help/messages/new", data={**form, "subject": "Only a subject", "message": ""})
    assert response.status_code == 422
    assert errors(response.text) == ["Enter your message"]
    assert parse(response.text).find(".//input[@name='subject']").get("value") == "Only a subject"
    empty = sam.post("/help/messages/new", data={**form, "subject": "", "message": ""})
    assert errors(empty.text) == ["Enter a subject, in a few words", "Enter your message"]


def test_a_reply_with_an_error_comes_back_with_every_word(sam: PageCheckingClient, db: Session) -> None:
    reference = send_new(sam)
    path = f"/help/messages/{reference}"
    reply = filled(sam.get(path).text, path)
    too_long = "word " * 1200
    response = sam.post(path, data={**reply, "message": too_long})
    assert response.status_code == 422
    assert errors(response.text) == ["Your message is too long. Use 5000 characters or fewer."]
    assert textarea(response.text) == too_long.strip()
    assert len(messages_of(db, reference)) == 1

    thread = by_ref(db, reference)  # Closed by us while the customer was writing.
    thread.status = RequestStatus.closed
    db.add(thread)
    db.commit()
    response = sam.post(path, data={**reply, "message": "Are you still there?"})
    assert response.status_code == 422
    assert "This conversation is closed" in errors(response.text)[0]
    assert textarea(response.text) == "Are you still there?"
    assert len(messages_of(db, reference)) == 1
    assert textarea(sam.get("/help/messages/new").text) == "Are you still there?"  # Ready to send anew.


def test_a_draft_is_kept_while_typing_and_cleared_once_sent(sam: PageCheckingClient, db: Session) -> None:
    reference = send_new(sam)
    path = f"/help/messages/{reference}"
    reply = filled(sam.get(path).text, path)
    saved = sam.post(f"{path}/draft", data={"csrf_token": reply["csrf_token"],
                                            "form_key": reply["form_key"], "message": "Half a thought"})
    assert saved.status_code == 204
    assert textarea(sam.get(path).text) == "Half a thought"  # The connection dropped; they came back.

    sam.post(path, data={**reply, "message": "Half a thought, finished"})
    assert textarea(sam.get(path).text) == ""
    # A draft save that arrives after the message was sent does not bring the words back.
    sam.post(f"{path}/draft", data={"csrf_token": reply["csrf_token"], "form_key": reply["form_key"],
                                    "message": "Half a thought, finished"})
    assert textarea(sam.get(path).text) == ""

    new = filled(sam.get("/help/messages/new").text, "/help/messages/new")
    sam.post("/help/messages/new/draft", data={"csrf_token": new["csrf_token"], "form_key": new["form_key"],
                                               "subject": "Moving", "message": "I move on"})
    page = sam.get("/help/messages/new").text
    assert parse(page).find(".//input[@name='subject']").get("value") == "Moving"
    assert textarea(page) == "I move on"


def test_an_adviser_reply_tells_the_customer_without_the_words(sam: PageCheckingClient, app: FastAPI,
                                                                db: Session) -> None:
    reference = send_new(sam)
    dewi = actor(db, "dewi")
    thread = requests.claim(db, dewi, by_ref(db, reference))
    advisers.reply(db, dewi, app.state.broker, thread, "Your bill includes a late reading. Secret 42.",
                   "adviser-reply-key-0001")

    sam_id = person(db, "sam").id
    inbox = db.exec(select(InboxMessage).where(InboxMessage.person_id == sam_id)
                    .order_by(InboxMessage.id.desc())).first()  # type: ignore[union-attr]
    assert inbox is not None and inbox.subject == "You have a reply from us"
    assert reference in inbox.body and "Secret 42" not in inbox.body
    emails = db.exec(select(OutboxMessage).where(OutboxMessage.to == "sam@example.org")).all()
    assert emails and all("Secret 42" not in e.body for e in emails)

    advisers.reply(db, dewi, app.state.broker, thread, "And one more thing.", "adviser-reply-key-0002")
    notes = db.exec(select(InboxMessage).where(InboxMessage.person_id == sam_id,
                                               InboxMessage.subject == "You have a reply from us")).all()
    assert len(notes) == 1  # Not a note for each reply while the first is unread.

    text = main_text(sam.get(f"/help/messages/{reference}").text)
    assert "Dewi (Adviser)" in text and "Secret 42" in text and "Morgan" not in text
    assert "We replied" in main_text(sam.get("/help/messages").text)


def test_nobody_else_can_see_or_touch_a_thread_or_chat(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    thread = send_new(sam)
    chat = start_chat(sam)
    sign_in(sam, "gareth")
    token = sam.csrf_token("/help/messages/new")
    for path in (f"/help/messages/{thread}", f"/help/messages/{thread}/events", f"/help/chat/{chat}",
                 f"/help/chat/{chat}/events", f"/help/chat/{chat}/queue", f"/help/messages/{chat}"):
        assert sam.get(path).status_code == 404, path
    for path in (f"/help/messages/{thread}", f"/help/messages/{thread}/draft", f"/help/chat/{chat}",
                 f"/help/chat/{chat}/typing", f"/help/chat/{chat}/leave"):
        assert sam.post(path, data={"csrf_token": token, "message": "Hi", "form_key": "x" * 20}
                        ).status_code == 404, path
    assert by_ref(db, chat).status is RequestStatus.waiting
    assert len(messages_of(db, thread)) == 1 and len(messages_of(db, chat)) == 1
    assert sam.get("/help/messages/HR-NOSUCH").status_code == 404


def test_a_callback_is_not_a_thread(sam: PageCheckingClient, db: Session) -> None:
    callback, _ = requests.open_request(db, actor(db, "sam"), RequestKind.callback,
                                        form_key="callback-key-0001", account_id=None)
    assert sam.get(f"/help/messages/{callback.reference}").status_code == 404
    assert sam.get(f"/help/chat/{callback.reference}").status_code == 404


# Live chat


def test_chat_offers_a_callback_or_a_message_when_nobody_is_free(sam: PageCheckingClient, db: Session,
                                                                 clock: dict) -> None:
    free_for_chat(db, "dewi", False)
    page = sam.get("/help/chat")
    root = parse(page.text)
    assert "Nobody is free to chat right now." in main_text(page.text)
    links = {a.get("href") for a in root.findall(".//main//a")}
    assert {"/help/callback", "/help/messages/new"} <= links
    assert root.find(".//textarea") is None

    free_for_chat(db, "dewi", True)
    page = sam.get("/help/chat")
    assert parse(page.text).find(".//main//textarea[@name='message']") is not None
    assert "Nobody is free" not in main_text(page.text)

    clock["at"] = SUNDAY
    closed = sam.get("/help/chat")
    assert "Live chat is closed now." in main_text(closed.text)
    assert {"/help/callback", "/help/messages/new"} <= {a.get("href") for a in parse(closed.text).findall(
        ".//main//a")}


def test_a_chat_started_as_the_chat_closes_keeps_the_words_for_a_message(sam: PageCheckingClient,
                                                                         db: Session) -> None:
    free_for_chat(db, "dewi")
    form = filled(sam.get("/help/chat").text, "/help/chat")
    free_for_chat(db, "dewi", False)
    response = sam.post("/help/chat", data={**form, "message": "Can you help?"})
    assert "We kept what you wrote for a message." in main_text(response.text)
    assert textarea(sam.get("/help/messages/new").text) == "Can you help?"


def test_the_queue_counts_only_earlier_waiting_chats_of_the_same_team(client: PageCheckingClient, db: Session,
                                                                      clock: dict) -> None:
    free_for_chat(db, "dewi")
    free_for_chat(db, "hana")
    sign_in(client, "sam")
    sams = start_chat(client)
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{sams}").text)
    assert "The wait is about 6 minutes." in main_text(client.get(f"/help/chat/{sams}").text)
    sign_in(client, "olu")
    olus = start_chat(client)
    assert "You are number 2 in the queue." in main_text(client.get(f"/help/chat/{olus}").text)
    assert "The wait is about 12 minutes." in main_text(client.get(f"/help/chat/{olus}").text)
    sign_in(client, "amina")  # Her needs send her to the specialist team: its own queue.
    aminas = start_chat(client)
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{aminas}").text)

    requests.claim(db, actor(db, "dewi"), by_ref(db, sams))
    sign_in(client, "olu")
    assert "You are number 1 in the queue." in main_text(client.get(f"/help/chat/{olus}").text)
    sign_in(client, "sam")
    text = main_text(client.get(f"/help/chat/{sams}").text)
    assert "Dewi from our team has joined." in text and "Morgan" not in text


def test_chat_messages_are_sent_with_and_without_javascript(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam)
    path = f"/help/chat/{reference}"
    page = sam.get(path)
    root = parse(page.text)
    live = root.find(".//main//*[@aria-live='polite']")
    assert live is not None and live.get("aria-relevant") == "additions"
    typing = root.find(".//*[@id='chat-typing']")
    assert typing is not None and typing.get("aria-live") is None and typing.get("role") is None
    assert "Refresh to see new messages" in page.text  # Shown without JavaScript.

    form = filled(page.text, path)
    plain = sam.post(path, data={**form, "message": "Are you there?"})
    assert plain.url.path == path and "Are you there?" in main_text(plain.text)

    empty = sam.post(path, data={**filled(plain.text, path), "message": ""})
    assert empty.status_code == 422 and errors(empty.text) == ["Enter your message"]

    form = filled(plain.text, path)
    htmx = sam.post(path, data={**form, "message": "Sent in place"}, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and not htmx.text.lstrip().startswith("<!DOCTYPE")
    fragment = parse(f"<!DOCTYPE html><title>x</title>{htmx.text}")
    assert fragment.find(".//form[@id='chat-form']//textarea").text in (None, "\n")
    assert "Sent in place" in text_of(fragment.find(".//ol[@hx-swap-oob]"))
    assert [m.body for m in messages_of(db, reference)] == ["Why is my bill late?", "Are you there?",
                                                          "Sent in place"]


def test_typing_is_passed_on_for_an_open_chat(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam)
    token = sam.csrf_token(f"/help/chat/{reference}")
    assert sam.post(f"/help/chat/{reference}/typing", data={"csrf_token": token}).status_code == 204


def test_leaving_a_chat_keeps_its_transcript_in_messages(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam, "I need help with a payment")
    token = sam.csrf_token(f"/help/chat/{reference}")
    left = sam.post(f"/help/chat/{reference}/leave", data={"csrf_token": token})
    assert left.url.path == f"/help/chat/{reference}"
    assert "You left the chat." in main_text(left.text)
    assert by_ref(db, reference).status is RequestStatus.cancelled
    assert f"/help/messages/{reference}" in {a.get("href") for a in parse(left.text).findall(".//main//a")}
    listed = main_text(sam.get("/help/messages").text)
    assert "Live chat" in listed and "Closed" in listed


def test_a_chat_closed_by_the_adviser_ends_and_its_transcript_is_in_messages(sam: PageCheckingClient,
                                                                             db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam, "My meter is broken")
    assert reference not in main_text(sam.get("/help/messages").text)  # Not while it is going on.
    assert sam.get(f"/help/messages/{reference}").url.path == f"/help/chat/{reference}"
    dewi = actor(db, "dewi")
    chat = requests.claim(db, dewi, by_ref(db, reference))
    requests.add_message(db, dewi, chat, "I will book an engineer.", form_key="dewi-chat-reply-0001")
    requests.close(db, dewi, chat, note="Engineer booked")

    page = sam.get(f"/help/chat/{reference}")
    assert "The chat has ended." in main_text(page.text)
    assert parse(page.text).find(".//main//textarea") is None
    transcript = sam.get(f"/help/messages/{reference}")
    assert transcript.url.path == f"/help/messages/{reference}"
    text = main_text(transcript.text)
    assert "My meter is broken" in text and "I will book an engineer." in text and "Dewi (Adviser)" in text
    assert "This chat has ended." in text
    listed = main_text(sam.get("/help/messages").text)
    assert "Live chat" in listed and reference in listed


# Live streams


def stream_args(app: FastAPI, viewer: Actor, request: HelpRequest) -> tuple:
    return app.state.templates, app.state.settings, viewer, request, "a-session-id"


def test_thread_stream_sends_only_new_messages(sam: PageCheckingClient, app: FastAPI, db: Session) -> None:
    reference = send_new(sam)
    thread = by_ref(db, reference)
    sam_actor = actor(db, "sam")
    shown = messages_of(db, reference)[-1].id
    on_event, first = stream_calls(app, live.ThreadStream(*stream_args(app, sam_actor, thread), after=shown))
    assert first() == []
    assert on_event({"event": "message", "reference": reference}) == []

    dewi = actor(db, "dewi")
    requests.claim(db, dewi, thread)
    requests.add_message(db, dewi, thread, "We are on it", form_key="dewi-thread-reply-0001")
    [(name, html)] = on_event({"event": "message", "reference": reference})
    item = parse(f"<!DOCTYPE html><title>x</title><ol>{html}</ol>").find(".//li")
    assert name == "message" and "We are on it" in text_of(item) and "Dewi (Adviser)" in text_of(item)
    assert "The bill for May" not in html  # Only what is new.
    assert on_event({"event": "message", "reference": reference}) == []  # Sent once.

    requests.close(db, dewi, by_ref(db, reference), note="Done")
    fragments = dict(on_event({"event": "closed", "reference": reference}))
    assert "We have closed this conversation." in fragments["status"] and "ended" in fragments


def test_chat_stream_sends_messages_typing_and_where_the_chat_is(sam: PageCheckingClient, app: FastAPI,
                                                                 db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam)
    chat = by_ref(db, reference)
    on_event, first = stream_calls(app, live.ChatStream(*stream_args(app, actor(db, "sam"), chat),
                                                        after=messages_of(db, reference)[-1].id,
                                                        shown_state="waiting"))
    assert first() == []
    assert on_event({"event": "typing", "by": "customer", "reference": reference}) == []

    dewi = actor(db, "dewi")
    requests.claim(db, dewi, chat)
    [(name, html)] = on_event({"event": "claimed", "reference": reference})
    assert name == "status" and "Dewi from our team has joined." in html
    assert on_event({"event": "claimed", "reference": reference}) == []  # Not said twice.
    assert on_event({"event": "typing", "by": "adviser", "reference": reference}) == [
        ("typing", "Dewi is typing…")]

    requests.add_message(db, dewi, by_ref(db, reference), "Hello, I am Dewi", form_key="dewi-chat-hello-0001")
    fragments = on_event({"event": "message", "reference": reference})
    assert [name for name, _ in fragments] == ["message", "typing"] and "Hello, I am Dewi" in fragments[0][1]
    assert fragments[1][1] == ""  # They sent it: no longer typing.

    requests.close(db, dewi, by_ref(db, reference), note="Answered")
    ended = dict(on_event({"event": "closed", "reference": reference}))
    assert "The chat has ended." in ended["status"] and f"/help/messages/{reference}" in ended["status"]
    assert 'hx-swap-oob="true"' in ended["status"] and "ended" in ended


def test_queue_stream_sends_the_place_only_when_it_changes(client: PageCheckingClient, app: FastAPI,
                                                           db: Session, clock: dict) -> None:
    free_for_chat(db, "dewi")
    sign_in(client, "sam")
    sams = start_chat(client)
    sign_in(client, "olu")
    olus = by_ref(db, start_chat(client))
    on_event, first = stream_calls(app, live.QueueStream(*stream_args(app, actor(db, "olu"), olus),
                                                         shown_position=2))
    assert first() == []
    assert on_event({"event": "opened"}) == []
    requests.claim(db, actor(db, "dewi"), by_ref(db, sams))
    [(name, html)] = on_event({"event": "claimed"})
    assert name == "position" and "You are number 1 in the queue." in html
    requests.claim(db, actor(db, "dewi"), by_ref(db, olus.reference))
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
def test_streams_answer_the_owner_and_nobody_else(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    thread, chat = send_new(sam), start_chat(sam)
    paths = [f"/help/messages/{thread}/events?after=0", f"/help/chat/{chat}/events?after=0&shown=waiting",
             f"/help/chat/{chat}/queue?shown=1"]
    for path in paths:
        status, content_type, line = first_bytes(sam, path)
        assert (status, content_type.split(";")[0], line) == (200, "text/event-stream", "retry: 3000"), path
    sign_in(sam, "gareth")
    for path in paths:
        assert first_bytes(sam, path)[0] == 404, path


def test_pages_in_welsh_and_arabic(sam: PageCheckingClient, db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = send_new(sam)
    chat = start_chat(sam)
    for locale in ("cy", "ar"):
        sam.cookies.set("portal_lang", locale)
        for path in ("/help/messages", "/help/messages/new", f"/help/messages/{reference}", "/help/chat",
                     f"/help/chat/{chat}"):
            assert sam.get(path).status_code == 200, (locale, path)


def test_words_sent_just_after_the_chat_ended_wait_in_a_new_message(sam: PageCheckingClient,
                                                                    db: Session) -> None:
    free_for_chat(db, "dewi")
    reference = start_chat(sam)
    form = filled(sam.get(f"/help/chat/{reference}").text, f"/help/chat/{reference}")
    requests.cancel(db, actor(db, "sam"), by_ref(db, reference))  # Ended in another tab.
    response = sam.post(f"/help/chat/{reference}", data={**form, "message": "One more thing"})
    assert "You left the chat." in main_text(response.text)
    assert textarea(sam.get("/help/messages/new").text) == "One more thing"
