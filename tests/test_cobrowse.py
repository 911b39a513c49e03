"""Sharing a screen with an adviser (/help/share-screen, /adviser/share-screen): codes that work once and
run out, the customer's yes, sending the recorded page, stopping from either side, signing out and going
quiet, carers within their scopes, and the summary left in the customer's messages.

The browser side (recording, masking, the live view, pointing) is in e2e/test_cobrowse_journeys.py."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select, update

from portal.access import Scope
from portal.activity.models import ActivityEntry
from portal.carers.models import CarerAuthority
from portal.clock import utcnow
from portal.cobrowse import service
from portal.cobrowse.models import EndReason, ScreenFrame, ScreenShare, ShareStatus
from portal.help.models import HelpMessage, HelpRequest
from portal.housekeeping import end_quiet_screen_shares
from portal.identity.models import Person
from portal.notify.models import InboxMessage
from portal.web.sessions import WebSession
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of


def main_text(html: str) -> str:
    return " ".join(text_of(parse(html).find(".//main")).split())


def newest_share(db: Session) -> ScreenShare:
    db.expire_all()
    return db.exec(select(ScreenShare).order_by(col(ScreenShare.id).desc())).first()


@pytest.fixture
def adviser(app: FastAPI, db: Session) -> Iterator[PageCheckingClient]:
    """An adviser in the general team, in a browser of their own, reading English."""
    with PageCheckingClient(app) as client:
        client.cookies.set("portal_lang", "en")
        factories.sign_in(client, factories.adviser(db, "Rowan Ellis"))
        yield client


@pytest.fixture
def carer(db: Session) -> CarerAuthority:
    """Jude Marsh helps Iris Obi: may see the account, contact details and messages, and talk to us."""
    helped = factories.customer(db, "Iris Obi")
    return factories.carer_authority(db, helped, factories.person(db, "Jude Marsh"),
                                     scopes=(Scope.account, Scope.contact, Scope.messages, Scope.talk))


def act_for(client: PageCheckingClient, db: Session, authority: CarerAuthority) -> None:
    """Sign the carer in and act for the customer, as a carer chooses at /carers."""
    carer = db.get(Person, authority.carer_person_id)
    assert carer is not None
    factories.sign_in(client, carer)
    client.post("/carers/act", data={"authority": str(authority.id),
                                     "csrf_token": client.csrf_token("/carers")})


def get_code(client: PageCheckingClient, form_key: str = "key-1") -> str:
    response = client.post("/help/share-screen", data={
        "form_key": form_key, "request": "", "csrf_token": client.csrf_token("/help/share-screen")})
    assert response.status_code == 200 and response.url.path == "/help/share-screen"
    found = re.search(r'class="share-code"><span aria-hidden="true">(\d{3} \d{3})</span>', response.text)
    assert found, "no code on the page"
    return found.group(1)


def enter_code(adviser: PageCheckingClient, code: str):
    return adviser.post("/adviser/share-screen", data={
        "code": code, "csrf_token": adviser.csrf_token("/adviser/share-screen")})


def say(client: PageCheckingClient, answer: str):
    token = client.csrf_token("/help/share-screen")
    return client.post(f"/help/share-screen/{answer}", data={"csrf_token": token})


def send_frames(client: PageCheckingClient, events: list[dict]):
    token = client.csrf_token("/help/share-screen")
    return client.post("/help/share-screen/frames", json={"view": "1a2b", "events": events},
                       headers={"X-CSRF-Token": token})


PAGE = [
    {"type": 4, "data": {"href": "http://testserver/account", "width": 320, "height": 800}, "timestamp": 1},
    {"type": 2, "data": {"node": {"type": 0, "childNodes": []}, "initialOffset": {"left": 0, "top": 0}},
     "timestamp": 2},
    {"type": 5, "data": {"tag": "page", "payload": {"title": "Your account"}}, "timestamp": 3},
]
TYPING = [{"type": 3, "data": {"source": 5, "id": 9, "text": "hello"}, "timestamp": 4}]


# Codes


def test_a_customer_gets_a_code_that_only_we_keep_hashed(signed_in_client: PageCheckingClient,
                                                         db: Session) -> None:
    page = signed_in_client.get("/help/share-screen")
    text = main_text(page.text)
    assert "What the adviser will not see" in text and "Passwords and codes" in text
    assert "Grey blocks show where something is hidden from the adviser." in text
    code = get_code(signed_in_client)
    share = newest_share(db)
    assert share.status is ShareStatus.waiting
    assert code.replace(" ", "") not in (share.code_hash or "")
    assert share.code_hash == service.code_hash(signed_in_client.app.state.settings.secret_key,
                                                code.replace(" ", ""))
    assert share.code_expires_at - utcnow() > dt.timedelta(minutes=19)
    page = signed_in_client.get("/help/share-screen")
    assert "It works once, in the next 20 minutes." in main_text(page.text)
    # Sending the same form twice makes one share, and the page still shows the code.
    again = signed_in_client.post("/help/share-screen", data={
        "form_key": "key-1", "request": "", "csrf_token": signed_in_client.csrf_token("/help/share-screen")})
    assert code in again.text
    assert len(db.exec(select(ScreenShare)).all()) == 1


def test_the_adviser_enters_the_code_and_the_customer_is_asked_by_name_and_team(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session,
        customer: Person) -> None:
    code = get_code(signed_in_client)
    response = enter_code(adviser, code)
    assert re.fullmatch(r"/adviser/share-screen/\d+", response.url.path)
    assert "Waiting for the customer to say yes." in main_text(response.text)
    asked = main_text(signed_in_client.get("/help/share-screen").text)
    assert "Rowan from our General team wants to see your screen" in asked
    # Every other page says so too, with a way to answer.
    account = signed_in_client.get("/account").text
    assert "Rowan from our General team wants to see your screen" in account
    assert newest_share(db).code_hash is None  # Spent.


def test_a_code_works_once(signed_in_client: PageCheckingClient, adviser: PageCheckingClient) -> None:
    code = get_code(signed_in_client)
    assert enter_code(adviser, code).status_code == 200
    again = enter_code(adviser, code)
    assert again.status_code == 422
    text = main_text(again.text)
    assert "There is a problem" in text and "That code is not right, or it has run out or been used." in text
    assert 'href="#code"' in again.text
    assert f'value="{code.replace(" ", "")}"' in again.text  # What they typed is kept.


def test_an_expired_code_is_refused_and_the_customer_can_get_another(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session) -> None:
    code = get_code(signed_in_client)
    db.exec(update(ScreenShare).where(ScreenShare.status == ShareStatus.waiting).values(
        code_expires_at=utcnow() - dt.timedelta(seconds=1)))
    db.commit()
    assert enter_code(adviser, code).status_code == 422
    page = signed_in_client.get("/help/share-screen")
    assert "Get a code" in main_text(page.text)
    assert newest_share(db).end_reason is EndReason.expired


def test_codes_are_checked_for_shape_and_guessing_is_limited(adviser: PageCheckingClient,
                                                             customer: Person) -> None:
    empty = enter_code(adviser, "")
    assert empty.status_code == 422
    assert "Enter the code the customer reads out to you" in main_text(empty.text)
    letters = enter_code(adviser, "12a 456")
    assert "Enter the code as 6 numbers, like 123 456" in main_text(letters.text)
    answers = [enter_code(adviser, f"{n:06d}").status_code for n in range(11)]
    assert answers[:10] == [422] * 10
    assert answers[10] == 429
    assert "You have entered too many codes" in main_text(enter_code(adviser, "000011").text)


def test_the_customer_can_cancel_a_code(signed_in_client: PageCheckingClient, adviser: PageCheckingClient,
                                        db: Session) -> None:
    code = get_code(signed_in_client)
    page = say(signed_in_client, "cancel")
    assert "We cancelled your code. Nobody can use it now." in main_text(page.text)
    assert enter_code(adviser, code).status_code == 422


# Saying yes or no


def test_saying_no_ends_it_and_the_adviser_is_told(signed_in_client: PageCheckingClient,
                                                   adviser: PageCheckingClient, db: Session,
                                                   customer: Person) -> None:
    view = enter_code(adviser, get_code(signed_in_client)).url.path
    page = say(signed_in_client, "decline")
    assert "You said no. The adviser cannot see your screen." in main_text(page.text)
    assert "The customer said no." in main_text(adviser.get(view).text)
    assert send_frames(signed_in_client, PAGE).status_code == 409
    assert db.exec(select(HelpRequest).where(HelpRequest.customer_person_id == customer.id,
                                             HelpRequest.subject == "You shared your screen")).all() == []


def test_after_yes_every_page_says_an_adviser_can_see_it_first_with_stop_sharing(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient) -> None:
    enter_code(adviser, get_code(signed_in_client))
    page = say(signed_in_client, "allow")
    assert "You are sharing your screen. The adviser can see the pages you go to here." in page.text
    account = signed_in_client.get("/account/bills").text
    body = parse(account).find(".//body")
    first = [element for element in body if element.tag in ("a", "div", "header")][:2]
    assert first[0].get("class") == "skip-link"
    assert first[1].get("class") == "share-banner"
    banner = text_of(first[1])
    assert "An adviser can see this page" in banner and "Stop sharing" in banner
    assert 'value="/account/bills"' in account  # Stopping stays on the page.
    assert "js/share-screen.js" in account and "vendor/rrweb.min.js" in account
    # Pages of a browser that is not sharing carry neither the banner nor the recorder.
    assert "share-screen.js" not in adviser.get("/adviser").text


def test_the_recorded_page_is_kept_from_the_newest_whole_page(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    share = newest_share(db)
    assert send_frames(signed_in_client, PAGE).status_code == 204
    assert send_frames(signed_in_client, TYPING).status_code == 204
    second = [{**event, "timestamp": event["timestamp"] + 10} for event in PAGE]
    second[2] = {"type": 5, "data": {"tag": "page", "payload": {"title": "Your bills"}}, "timestamp": 13}
    assert send_frames(signed_in_client, second).status_code == 204
    db.expire_all()
    frames = service.frames_after(db, share, 0)
    assert len(frames) == 1 and frames[0].whole_page and "Your bills" in frames[0].events
    assert newest_share(db).pages == "Your account\nYour bills"
    assert "They are on: Your bills." in main_text(adviser.get(f"/adviser/share-screen/{share.id}").text)


@pytest.mark.parametrize("body", [b"not json", b'{"view": "1a", "events": "no"}', b"[]",
                                  b'{"view": "1a", "events": [{"type": "x"}]}', b'{"events": []}',
                                  b'{"view": "<script>", "events": []}'])
def test_malformed_frames_are_refused_with_a_4xx(signed_in_client: PageCheckingClient,
                                                 adviser: PageCheckingClient, body: bytes) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    token = signed_in_client.csrf_token("/help/share-screen")
    response = signed_in_client.post("/help/share-screen/frames", content=body,
                                     headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert 400 <= response.status_code < 500


def test_frames_without_a_share_or_the_token_are_refused(signed_in_client: PageCheckingClient) -> None:
    assert send_frames(signed_in_client, PAGE).status_code == 409
    response = signed_in_client.post("/help/share-screen/frames", json={"view": "1a2b", "events": PAGE})
    assert response.status_code == 403


# Ending


def test_stopping_ends_it_at_once_and_leaves_a_summary_in_the_customers_messages(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session,
        customer: Person) -> None:
    view = enter_code(adviser, get_code(signed_in_client)).url.path
    say(signed_in_client, "allow")
    send_frames(signed_in_client, PAGE)
    token = signed_in_client.csrf_token("/account")
    stopped = signed_in_client.post("/help/share-screen/stop", data={"next": "/account", "csrf_token": token})
    assert stopped.url.path == "/account"
    assert "An adviser can see this page" not in stopped.text and "share-screen.js" not in stopped.text
    assert send_frames(signed_in_client, TYPING).status_code == 409
    assert "The customer stopped sharing." in main_text(adviser.get(view).text)
    share = newest_share(db)
    assert share.end_reason is EndReason.stopped
    assert db.exec(select(ScreenFrame).where(ScreenFrame.share_id == share.id)).all() == []
    summary = db.exec(select(HelpRequest).where(HelpRequest.customer_person_id == customer.id,
                                                HelpRequest.subject == "You shared your screen")).one()
    body = db.exec(select(HelpMessage).where(HelpMessage.request_id == summary.id)).one().body
    assert "Rowan from our General team looked at your screen" in body
    assert "for less than a minute" in body and "- Your account" in body and "You stopped sharing." in body
    thread = signed_in_client.get(f"/help/messages/{summary.reference}")
    assert "Rowan from our General team looked at your screen" in thread.text
    entries = db.exec(select(ActivityEntry).where(ActivityEntry.actor_person_id == customer.id))
    actions = [entry.action for entry in entries]
    assert "screen_share_started" in actions and "screen_share_ended" in actions


def test_the_adviser_can_stop_looking(signed_in_client: PageCheckingClient, adviser: PageCheckingClient,
                                      db: Session) -> None:
    view = enter_code(adviser, get_code(signed_in_client)).url.path
    say(signed_in_client, "allow")
    response = adviser.post(f"{view}/stop", data={"csrf_token": adviser.csrf_token(view)})
    assert "You stopped looking." in main_text(response.text)
    assert newest_share(db).end_reason is EndReason.adviser
    assert "An adviser can see this page" not in signed_in_client.get("/account").text


def test_signing_out_ends_sharing(signed_in_client: PageCheckingClient, adviser: PageCheckingClient,
                                  db: Session) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    signed_in_client.post("/sign-out", data={"csrf_token": signed_in_client.csrf_token("/account")})
    assert newest_share(db).end_reason is EndReason.signed_out


def test_an_adviser_who_signs_out_stops_looking(signed_in_client: PageCheckingClient,
                                                adviser: PageCheckingClient, db: Session) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    adviser.post("/sign-out", data={"csrf_token": adviser.csrf_token("/adviser")})
    assert newest_share(db).end_reason is EndReason.adviser
    assert "An adviser can see this page" not in signed_in_client.get("/account").text


def test_sharing_ends_when_nothing_happens_for_a_while(signed_in_client: PageCheckingClient,
                                                       adviser: PageCheckingClient, db: Session,
                                                       customer: Person) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    send_frames(signed_in_client, PAGE)
    share = newest_share(db)
    # A page that says only "still here" is not the customer doing something.
    quiet = utcnow() - service.IDLE_AFTER - dt.timedelta(seconds=1)
    db.exec(update(ScreenShare).where(col(ScreenShare.id) == share.id).values(last_activity_at=quiet))
    db.commit()
    assert send_frames(signed_in_client, []).status_code == 409
    assert newest_share(db).end_reason is EndReason.inactive


def test_a_closed_page_ends_sharing_in_the_background(signed_in_client: PageCheckingClient,
                                                      adviser: PageCheckingClient, app: FastAPI,
                                                      db: Session) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    gone = utcnow() - service.GONE_AFTER - dt.timedelta(seconds=1)
    db.exec(update(ScreenShare).where(ScreenShare.status == ShareStatus.sharing).values(last_seen_at=gone))
    db.commit()
    assert end_quiet_screen_shares(app.state.engine, app.state.settings) == 1
    assert newest_share(db).end_reason is EndReason.inactive
    assert end_quiet_screen_shares(app.state.engine, app.state.settings) == 0  # Once.


def test_typing_and_moving_keep_sharing_alive_but_a_heartbeat_does_not(db: Session) -> None:
    assert service._is_activity(TYPING[0])
    # Typing in a private field: the page says only that something happened.
    assert service._is_activity({"type": 5, "data": {"tag": "active", "payload": {}}, "timestamp": 1})
    assert not service._is_activity({"type": 3, "data": {"source": 0}, "timestamp": 1})  # A page change.
    assert not any(service._is_activity(event) for event in PAGE[:1])


# Who may look, and point


def test_only_the_adviser_who_entered_the_code_sees_the_share(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, app: FastAPI, db: Session) -> None:
    view = enter_code(adviser, get_code(signed_in_client)).url.path
    with PageCheckingClient(app) as other:
        factories.sign_in(other, factories.adviser(db))
        assert other.get(view).status_code == 404
        assert other.get(f"{view}/events").status_code == 404
    assert signed_in_client.get(view).status_code == 404


def test_pointing_works_only_while_sharing(signed_in_client: PageCheckingClient,
                                           adviser: PageCheckingClient) -> None:
    view = enter_code(adviser, get_code(signed_in_client)).url.path
    token = adviser.csrf_token(view)
    at = {"node": "12", "view": "1a2b", "csrf_token": token}
    assert adviser.post(f"{view}/point", data=at).status_code == 409
    say(signed_in_client, "allow")
    assert adviser.post(f"{view}/point", data=at).status_code == 204
    assert adviser.post(f"{view}/point", data={**at, "node": "x"}).status_code == 400
    assert adviser.post(f"{view}/point", data={**at, "view": ""}).status_code == 400


# Carers


def test_a_carer_shares_within_their_scopes_and_the_customer_is_told(
        client: PageCheckingClient, adviser: PageCheckingClient, carer: CarerAuthority, db: Session,
        customer: Person) -> None:
    act_for(client, db, carer)
    view = enter_code(adviser, get_code(client)).url.path
    assert "Jude Marsh, acting for Iris Obi" in main_text(adviser.get(view).text)
    say(client, "allow")
    send_frames(client, PAGE)
    share = newest_share(db)
    assert share.customer_person_id == carer.customer_person_id
    assert share.sharer_person_id == carer.carer_person_id
    # The customer takes "talk" away: the adviser's view ends on its next check.
    db.exec(update(CarerAuthority).where(col(CarerAuthority.id) == carer.id).values(
        scopes="account,messages"))
    db.commit()
    assert not service.still_on(db, None, share, "Europe/London")
    assert newest_share(db).end_reason is EndReason.access_ended
    told = db.exec(select(InboxMessage).where(InboxMessage.person_id == carer.customer_person_id,
                                              InboxMessage.subject == "You shared your screen")).one()
    assert "Jude Marsh shared their screen while acting for you." in told.body
    # Without "talk", sharing is refused while acting.
    assert client.get("/help/share-screen").status_code == 403


def test_a_carer_who_stops_acting_stops_sharing(client: PageCheckingClient, adviser: PageCheckingClient,
                                                carer: CarerAuthority, db: Session) -> None:
    act_for(client, db, carer)
    enter_code(adviser, get_code(client))
    say(client, "allow")
    client.post("/carers/stop-acting", data={"csrf_token": client.csrf_token("/carers")})
    assert newest_share(db).status is ShareStatus.ended


def test_the_code_is_forgotten_once_used(signed_in_client: PageCheckingClient, adviser: PageCheckingClient,
                                         db: Session) -> None:
    code = get_code(signed_in_client).replace(" ", "")
    enter_code(adviser, code)
    signed_in_client.get("/account")
    db.expire_all()
    assert all(code not in row.data for row in db.exec(select(WebSession)))


def test_sending_changes_does_not_write_back_the_session(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session) -> None:
    """Changes arrive twice a second; if each wrote back the session it read, it would undo what a
    request running at the same time saved there (a carer stopping acting, a code to confirm)."""
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    token = signed_in_client.csrf_token("/help/share-screen")
    db.expire_all()
    before = {row.id_hash: (row.data, row.last_seen_at) for row in db.exec(select(WebSession))}
    response = signed_in_client.post("/help/share-screen/frames", json={"view": "1a2b", "events": PAGE},
                                     headers={"X-CSRF-Token": token})
    assert response.status_code == 204
    db.expire_all()
    after = {row.id_hash: (row.data, row.last_seen_at) for row in db.exec(select(WebSession))}
    assert after == before


def test_too_much_for_one_page_is_refused_until_a_whole_page_comes(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, monkeypatch) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    assert send_frames(signed_in_client, PAGE).status_code == 204
    monkeypatch.setattr(service, "MAX_KEPT_BYTES", 1000)
    busy = [{"type": 3, "data": {"source": 0, "texts": [], "attributes": [], "removes": [],
                                 "adds": [], "note": "x" * 400}, "timestamp": n} for n in range(3)]
    assert send_frames(signed_in_client, busy).status_code == 413
    assert send_frames(signed_in_client, PAGE).status_code == 204  # A whole page starts afresh.


def test_a_line_separator_typed_by_the_customer_cannot_split_the_adviser_s_stream(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, db: Session) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    send_frames(signed_in_client, [{**TYPING[0], "data": {"source": 5, "id": 9, "text": "a\u2028b"}}])
    db.expire_all()
    stored = db.exec(select(ScreenFrame)).all()[-1].events
    assert "\u2028" not in stored and "\\u2028" in stored and len(stored.splitlines()) == 1


def test_signing_out_everywhere_else_stops_sharing_there(
        signed_in_client: PageCheckingClient, adviser: PageCheckingClient, app: FastAPI, db: Session,
        customer: Person) -> None:
    enter_code(adviser, get_code(signed_in_client))
    say(signed_in_client, "allow")
    with PageCheckingClient(app) as phone:
        factories.sign_in(phone, customer)
        phone.post("/account/security/sessions/end-others",
                   data={"csrf_token": phone.csrf_token("/account/security")})
    assert newest_share(db).end_reason is EndReason.signed_out
