"""/help: every way to talk to a person, in one order, with whether we are open now, and what goes with
the customer when they ask."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from portal.access import Actor
from portal.help import service
from portal.help.models import RequestKind
from portal.help.requests import open_request
from portal.identity.models import Person
from tests import factories
from tests.conftest import PageCheckingClient, make_app, make_settings
from tests.page_checks import parse, text_of

CHANNELS = ["phone", "relay-uk", "bsl", "callback", "messages", "chat", "share-screen", "in-person"]
HEADINGS = ["Phone", "Relay UK", "British Sign Language (BSL)", "Ask us to call you back",
            "Send us a message", "Chat with a person", "Share your screen with an adviser", "Visit us"]
LONDON = ZoneInfo("Europe/London")
WEDNESDAY_10AM = dt.datetime(2026, 11, 25, 10, 0, tzinfo=LONDON)
SATURDAY_2PM = dt.datetime(2026, 11, 28, 14, 0, tzinfo=LONDON)
BILL = "B100001"  # The bill of the customer signed_in_client signs in.


@pytest.fixture
def customer(db: Session) -> Person:
    """The customer signed_in_client signs in, with a bill to ask about."""
    made = factories.customer(db)
    factories.bill(db, factories.account_of(db, made), reference=BILL)
    return made


def freeze(app: FastAPI, moment: dt.datetime) -> None:
    app.dependency_overrides[service.get_now] = lambda: moment


def section(root: ET.Element, channel: str) -> ET.Element:
    found = root.find(f".//main//section[@id='{channel}']")
    assert found is not None, f"no {channel} section"
    return found


def help_page(client: PageCheckingClient, path: str = "/help", **kwargs) -> ET.Element:
    response = client.get(path, **kwargs)
    assert response.status_code == 200
    return parse(response.text)


def main_text(root: ET.Element) -> str:
    return text_of(root.find(".//main"))


def hrefs(element: ET.Element) -> list[str]:
    return [a.get("href") for a in element.iter("a")]


@pytest.fixture
def open_now(app: FastAPI) -> FastAPI:
    freeze(app, WEDNESDAY_10AM)
    return app


def test_channels_come_in_the_same_order_each_with_a_heading(client: PageCheckingClient,
                                                            open_now: FastAPI) -> None:
    root = help_page(client)
    sections = root.findall(".//main//section")
    assert [s.get("id") for s in sections] == CHANNELS
    assert [text_of(s.find("h2")) for s in sections] == HEADINGS
    assert [text_of(h) for h in root.findall(".//main//h2")] == HEADINGS


def test_each_channel_says_how_to_use_it(client: PageCheckingClient, open_now: FastAPI) -> None:
    root = help_page(client)
    assert "tel:+443001234567" in hrefs(section(root, "phone"))
    relay = section(root, "relay-uk")
    assert "tel:1800103001234567" in hrefs(relay)
    assert "Dial 18001 then our number: 18001 0300 123 4567" in text_of(relay)
    assert hrefs(section(root, "bsl")) == ["https://bsl.example.org/northfield"]
    assert hrefs(section(root, "callback")) == ["/help/callback"]
    assert hrefs(section(root, "messages")) == ["/help/messages"]
    assert "/help/chat" in hrefs(section(root, "chat"))
    assert "not a computer" in text_of(section(root, "chat"))
    visit = text_of(section(root, "in-person"))
    assert "1 Market Square" in visit and "Monday to Friday: 09:00 to 17:00" in visit


def test_open_now_with_the_time_we_close(client: PageCheckingClient, open_now: FastAPI) -> None:
    phone = section(help_page(client), "phone")
    assert text_of(phone.find(".//p[@class='status-message']")) == "Open now, until 20:00"
    assert "All times are UK time." in text_of(phone)


def test_closed_says_when_we_open_again_and_chat_is_closed_too(client: PageCheckingClient,
                                                              app: FastAPI) -> None:
    freeze(app, SATURDAY_2PM)
    root = help_page(client)
    closed = "Closed now. We open again on Monday at 08:00"
    assert text_of(section(root, "phone").find(".//p[@class='status-message']")) == closed
    chat = section(root, "chat")
    assert closed in text_of(chat)
    assert "/help/chat" not in hrefs(chat)  # No way into a chat nobody will answer,
    assert "/help/messages" in hrefs(chat)  # but a message can be sent at any time.


def test_times_in_the_customers_own_time_zone(client: PageCheckingClient, open_now: FastAPI) -> None:
    client.cookies.set("portal_tz", "America/New_York")
    phone = section(help_page(client), "phone")
    assert text_of(phone.find(".//p[@class='status-message']")) == (
        "Open now, until 15:00 your time (20:00 UK time)")


def test_a_made_up_time_zone_is_ignored(client: PageCheckingClient, open_now: FastAPI) -> None:
    client.cookies.set("portal_tz", "Mars/Olympus_Mons")
    phone = section(help_page(client), "phone")
    assert text_of(phone.find(".//p[@class='status-message']")) == "Open now, until 20:00"


def test_welsh_page_gives_days_in_welsh(client: PageCheckingClient, app: FastAPI) -> None:
    freeze(app, SATURDAY_2PM)
    client.cookies.set("portal_lang", "cy")
    phone = section(help_page(client), "phone")
    assert "Dydd Llun" in text_of(phone.find(".//p[@class='status-message']"))


def test_bank_holidays_in_the_next_few_weeks_are_listed(client: PageCheckingClient, app: FastAPI) -> None:
    freeze(app, dt.datetime(2026, 12, 10, 9, 0, tzinfo=LONDON))
    phone = section(help_page(client), "phone")
    assert [text_of(li) for li in phone.findall(".//ul/li")] == [
        "Friday, 25 December 2026", "Monday, 28 December 2026", "Friday, 1 January 2027"]


def test_no_bank_holiday_list_when_none_is_near(client: PageCheckingClient, app: FastAPI) -> None:
    freeze(app, dt.datetime(2026, 6, 1, 9, 0, tzinfo=LONDON))
    assert "Days we are closed" not in text_of(section(help_page(client), "phone"))


def test_on_a_bank_holiday_we_are_closed(client: PageCheckingClient, app: FastAPI) -> None:
    freeze(app, dt.datetime(2026, 12, 25, 10, 0, tzinfo=LONDON))
    phone = section(help_page(client), "phone")
    assert text_of(phone.find(".//p[@class='status-message']")) == (
        "Closed now. We open again tomorrow at 09:00")


def test_call_cost_says_the_rule_for_0300_numbers(client: PageCheckingClient, open_now: FastAPI) -> None:
    phone = text_of(section(help_page(client), "phone"))
    assert "Calls to 0300 numbers cost the same as calls to numbers that start with 01 or 02." in phone
    assert "free minutes" in phone
    assert "The wait is" not in phone  # We do not know the wait, so we do not guess.


def settings_app(tmp_path: Path, **overrides: object) -> FastAPI:
    app = make_app(make_settings(tmp_path, **overrides))
    freeze(app, WEDNESDAY_10AM)
    return app


def test_settings_choose_the_words_the_wait_and_the_channels(tmp_path: Path) -> None:
    app = settings_app(tmp_path, help={"call_cost": "Calls cost up to 9p a minute.",
                                       "phone_wait_minutes": 12, "relay_uk": False, "bsl_url": ""})
    with PageCheckingClient(app) as client:
        root = help_page(client)
    phone = text_of(section(root, "phone"))
    assert "Calls cost up to 9p a minute." in phone and "0300 numbers" not in phone
    assert "The wait is about 12 minutes." in phone
    assert [s.get("id") for s in root.findall(".//main//section")] == [
        "phone", "callback", "messages", "chat", "share-screen", "in-person"]
    app.state.engine.dispose()


def test_chat_says_when_nobody_is_free_and_offers_a_callback(client: PageCheckingClient,
                                                            open_now: FastAPI) -> None:
    chat = section(help_page(client), "chat")
    assert "Everyone is busy right now." in text_of(chat)
    assert "/help/callback" in hrefs(chat) and "/help/chat" in hrefs(chat)


def test_chat_says_someone_is_free_and_the_wait(client: PageCheckingClient, open_now: FastAPI,
                                                db: Session) -> None:
    factories.adviser(db, available_for_chat=True)
    chat = text_of(section(help_page(client), "chat"))
    assert "Someone is free to chat now." in chat and "The wait is" not in chat
    for person in (factories.customer(db), factories.customer(db)):  # Two of the general team's waiting.
        open_request(db, Actor(person_id=person.id, name=person.name), RequestKind.chat,
                     form_key=f"chat-{person.id}", account_id=None)
    chat = text_of(section(help_page(client), "chat"))
    assert "The wait is about 12 minutes." in chat  # 2 waiting, 6 minutes each.


# Signed out ------------------------------------------------------------------------------------------


def test_works_signed_out_and_says_sign_in_comes_first(client: PageCheckingClient, customer: Person,
                                                       open_now: FastAPI) -> None:
    root = help_page(client, f"/help?about=bill:{BILL}")
    for channel in ("callback", "messages", "chat"):
        assert "You will need to sign in first." in text_of(section(root, channel))
    assert "sign in" not in text_of(section(root, "phone"))
    assert root.find(".//main//form[@action='/help/do-not-share']") is None
    assert BILL not in main_text(root)


def test_signed_in_people_are_not_told_to_sign_in(signed_in_client: PageCheckingClient,
                                                   open_now: FastAPI) -> None:
    assert "sign in first" not in main_text(help_page(signed_in_client))


def test_what_was_asked_about_signed_out_is_there_after_signing_in(client: PageCheckingClient,
                                                                   customer: Person,
                                                                   open_now: FastAPI) -> None:
    client.get(f"/help?about=bill:{BILL}")
    factories.sign_in(client, customer)
    assert f"Bill {BILL}" in main_text(help_page(client))


# What goes with the customer -------------------------------------------------------------------------


def test_shows_what_will_be_shared(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    root = help_page(signed_in_client, f"/help?about=bill:{BILL}")
    box = root.find(".//main//div[@id='shared-context']")
    assert [text_of(li) for li in box.findall(".//li")] == [f"Bill {BILL}"]
    assert "You were looking at:" in text_of(box) and "you choose what to share" in text_of(box)
    assert text_of(box.find(".//form[@action='/help/do-not-share']//button")) == "Do not share this"


def test_the_page_they_came_from_goes_too(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    root = help_page(signed_in_client, "/help", headers={"Referer": "http://testserver/account/bills"})
    assert "The page you were on: /account/bills" in main_text(root)


def test_do_not_share_empties_it(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    help_page(signed_in_client, f"/help?about=bill:{BILL}")
    token = signed_in_client.csrf_token("/help")
    response = signed_in_client.post("/help/do-not-share", data={"csrf_token": token},
                                     follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/help"
    root = help_page(signed_in_client)
    assert "We will not share what you were looking at." in text_of(root.find(".//div[@role='alert']"))
    assert root.find(".//main//div[@id='shared-context']") is None
    assert BILL not in main_text(root)
    assert "We will not share" not in main_text(help_page(signed_in_client))  # Said once.


def test_do_not_share_with_htmx_moves_to_the_page(signed_in_client: PageCheckingClient,
                                                  open_now: FastAPI) -> None:
    help_page(signed_in_client, "/help?about=payments")
    token = signed_in_client.csrf_token("/help")
    response = signed_in_client.post("/help/do-not-share", data={"csrf_token": token},
                                     headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == "/help"
    assert "Your payments" not in main_text(help_page(signed_in_client))


def test_do_not_share_needs_the_form_token(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    help_page(signed_in_client, f"/help?about=bill:{BILL}")
    assert signed_in_client.post("/help/do-not-share", data={}).status_code == 403
    assert f"Bill {BILL}" in main_text(help_page(signed_in_client))


def test_another_customers_bill_is_not_shown(signed_in_client: PageCheckingClient, db: Session,
                                             open_now: FastAPI) -> None:
    theirs = factories.bill(db, factories.account_of(db, factories.customer(db)), reference="B200001")
    root = help_page(signed_in_client, f"/help?about=bill:{theirs.reference}")
    assert theirs.reference not in main_text(root)
    assert root.find(".//main//div[@id='shared-context']") is None


def test_junk_in_about_is_not_shown(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    root = help_page(signed_in_client, "/help?about=<script>alert(1)</script>")
    assert root.find(".//main//div[@id='shared-context']") is None


# Routing by recorded needs ---------------------------------------------------------------------------


def test_specialist_team_is_named_for_people_whose_needs_route_there(client: PageCheckingClient,
                                                                   db: Session,
                                                                   open_now: FastAPI) -> None:
    someone = factories.customer(db, preferred_language="ar")
    factories.needs(db, someone, channel="email", support=["large_print", "extra_time"])
    factories.sign_in(client, someone)
    client.cookies.set("portal_lang", "en")
    text = main_text(help_page(client))
    assert "We have a team that helps people who use BSL or Relay UK, or need more time." in text


def test_no_specialist_line_for_others(signed_in_client: PageCheckingClient, open_now: FastAPI) -> None:
    assert "We have a team" not in main_text(help_page(signed_in_client))


def test_htmx_gets_the_main_part_only(client: PageCheckingClient, open_now: FastAPI) -> None:
    response = client.get("/help", headers={"HX-Request": "true"})
    assert not response.text.lstrip().startswith("<!DOCTYPE")
    assert "<title>Talk to a person" in response.text and 'id="main-content"' in response.text


def test_the_time_zone_script_is_on_the_page(client: PageCheckingClient, open_now: FastAPI) -> None:
    root = help_page(client)
    sources = [s.get("src") for s in root.iter("script")]
    assert any(src.startswith("/static/js/timezone.js?v=") for src in sources)
    assert client.get(next(s for s in sources if "timezone.js" in s)).status_code == 200
