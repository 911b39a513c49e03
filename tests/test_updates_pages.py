"""The notification centre (/updates), one update, its settings, the header count and the live
banner: what a customer sees and can do, with and without JavaScript."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from portal.accounts.models import Payment, PaymentMethod, PaymentStatus, Service, ServiceKind
from portal.activity.models import ActivityEntry
from portal.i18n import format_date
from portal.identity.models import Person
from portal.updates import live, service
from portal.updates.models import (
    Delivery,
    DeliveryStatus,
    Update,
    UpdateKind,
    UpdatePreferences,
    UsageAlert,
)
from portal.web.sessions import WebSession
from tests import factories
from tests.conftest import PageCheckingClient, stream_calls
from tests.helpers import checked, main_text, settings_form, token
from tests.page_checks import parse, text_of

MONDAY = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def customer(db: Session) -> Person:
    """Electricity and gas; a £45 payment five days ago did not go through."""
    made = factories.customer(db, "Pat Lee", email="pat@example.org", phone="07700 900654",
                              services=(ServiceKind.electricity, ServiceKind.gas))
    factories.payment(db, factories.account_of(db, made), 4500,
                      made_on=factories.today() - dt.timedelta(days=5), method=PaymentMethod.direct_debit,
                      status=PaymentStatus.failed)
    return made


@pytest.fixture
def me(client: PageCheckingClient, customer: Person) -> PageCheckingClient:
    """The customer, signed in."""
    factories.sign_in(client, customer)
    return client


def failed_payment_of(db: Session, person: Person) -> Payment:
    return db.exec(select(Payment).where(Payment.account_id == factories.account_of(db, person).id,
                                         Payment.status == PaymentStatus.failed)).one()


def make_update(db: Session, person: Person, source: str, *, message: str = "payment_failed",
                params: dict | None = None, needs_action: bool = False, safety_critical: bool = False,
                now: dt.datetime = MONDAY, kind: UpdateKind = UpdateKind.payments) -> Update:
    """An update about the person's failed payment, unless `params` say otherwise."""
    made = service.create_update(
        db, person_id=person.id, kind=kind, message=message, source_key=source,
        params={"payment_id": failed_payment_of(db, person).id} if params is None else params,
        link="/account/payments", needs_action=needs_action, safety_critical=safety_critical, now=now)
    assert made is not None
    db.commit()
    return made


def header_link(html: str) -> str | None:
    link = parse(html).find(".//header//a[@href='/updates']")
    return None if link is None else text_of(link)


def errors(html: str) -> list[str]:
    summary = parse(html).find(".//div[@class='error-summary']")
    return [] if summary is None else [text_of(a) for a in summary.iter("a")]


def error_links(html: str) -> list[str]:
    summary = parse(html).find(".//div[@class='error-summary']")
    return [] if summary is None else [a.get("href") or "" for a in summary.iter("a")]


def field_value(html: str, name: str) -> str | None:
    found = parse(html).find(f".//input[@name='{name}']")
    return None if found is None else found.get("value")


# The list


def test_no_updates_says_so_in_plain_words(client: PageCheckingClient, db: Session) -> None:
    factories.sign_in(client, factories.person(db))
    response = client.get("/updates")
    assert response.status_code == 200
    text = main_text(response.text)
    assert "You have no updates yet." in text and "Mark all as seen" not in text
    assert header_link(response.text) == "Updates"


def test_updates_are_listed_newest_first_with_what_they_are_in_words(me: PageCheckingClient,
                                                                     db: Session, customer: Person) -> None:
    older = make_update(db, customer, "older", now=MONDAY - dt.timedelta(days=2))
    urgent = make_update(db, customer, "urgent", message="no_such_message", params={},
                         safety_critical=True, kind=UpdateKind.incidents)
    to_do = make_update(db, customer, "to-do", needs_action=True, now=MONDAY - dt.timedelta(days=1))
    response = me.get("/updates")
    items = parse(response.text).findall(".//li[@class='update-centre__item']")
    links = [item.find(".//h2/a").get("href") for item in items]  # type: ignore[union-attr]
    assert links == [f"/updates/{u.id}" for u in (urgent, to_do, older)]
    titles = [text_of(item.find(".//h2")) for item in items]  # type: ignore[arg-type]
    assert titles[0] == "New Urgent We have an update for you"
    assert titles[1] == "New Needs doing A payment did not go through"
    assert titles[2] == "New A payment did not go through"
    failed = failed_payment_of(db, customer)
    assert (f"Your payment of £45.00 on {format_date(failed.made_on)} did not go through."
            in text_of(items[1]))
    assert items[1].find(".//time") is not None
    assert "You have 3 new updates." in main_text(response.text)
    assert header_link(response.text) == "Updates, 3 new"


def test_updates_come_20_to_a_page_with_links_that_work_without_javascript(me: PageCheckingClient,
                                                                           db: Session,
                                                                           customer: Person) -> None:
    made = [make_update(db, customer, f"many-{n}", now=MONDAY + dt.timedelta(minutes=n)) for n in range(23)]
    first = parse(me.get("/updates").text)
    assert len(first.findall(".//li[@class='update-centre__item']")) == 20
    next_link = first.find(".//nav[@class='pagination']//a[@rel='next']")
    assert next_link is not None and next_link.get("href") == "/updates?page=2"
    assert "Page 2 of 2" in text_of(next_link)
    second = parse(me.get("/updates?page=2").text)
    shown = [a.get("href") for a in second.findall(".//li[@class='update-centre__item']/h2/a")]
    assert shown == [f"/updates/{u.id}" for u in reversed(made[:3])]
    assert second.find(".//nav[@class='pagination']//a[@rel='prev']") is not None
    assert me.get("/updates?page=99").status_code == 200  # Past the end: the last page.
    assert me.get("/updates?page=nonsense").status_code in (400, 404, 422)


def test_mark_all_as_seen_is_a_plain_form(me: PageCheckingClient, db: Session, customer: Person) -> None:
    make_update(db, customer, "one")
    make_update(db, customer, "two")
    response = me.post("/updates/seen", data={"csrf_token": token(me, "/updates")},
                        follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/updates"
    page = me.get("/updates")
    assert "We marked all your updates as seen." in main_text(page.text)
    assert "New" not in main_text(page.text).split("Your updates", 1)[1]
    assert header_link(page.text) == "Updates"
    assert service.unseen_count(db, customer.id) == 0


# One update


def test_opening_an_update_marks_it_seen_and_the_count_drops(me: PageCheckingClient, db: Session,
                                                             customer: Person) -> None:
    first = make_update(db, customer, "first")
    make_update(db, customer, "second")
    assert header_link(me.get("/updates").text) == "Updates, 2 new"
    response = me.get(f"/updates/{first.id}")
    assert response.status_code == 200
    text = main_text(response.text)
    assert parse(response.text).find(".//h1").text == "A payment did not go through"  # type: ignore[union-attr]
    assert "Check there is money in your bank account, then pay another way." in text
    assert "New" not in text
    assert header_link(response.text) == "Updates, 1 new"
    db.refresh(first)
    assert first.seen_at is not None
    root = parse(response.text)
    assert root.find(".//main//a[@href='/account/payments']") is not None
    talk = [a for a in root.findall(".//main//a") if text_of(a) == "Talk to a person about this"]
    assert talk and talk[0].get("href", "").startswith("/help")


def test_another_persons_update_is_not_found(client: PageCheckingClient, customer: Person,
                                             db: Session) -> None:
    theirs_made = make_update(db, factories.customer(db), "theirs", params={})
    factories.sign_in(client, customer)
    missing = client.get("/updates/999999")
    theirs = client.get(f"/updates/{theirs_made.id}")
    assert theirs.status_code == missing.status_code == 404
    assert main_text(theirs.text) == main_text(missing.text)  # Nothing tells them apart.
    for odd in ("abc", "1e3", "99999999999999999999", "-1"):
        assert client.get(f"/updates/{odd}").status_code == 404, odd
    stop = client.post(f"/updates/{theirs_made.id}/stop-reminders",
                       data={"csrf_token": token(client, "/updates")})
    assert stop.status_code == 404
    db.refresh(theirs_made)
    assert theirs_made.seen_at is None and theirs_made.reminders_stopped_at is None


def test_the_ladder_is_said_in_words_and_can_be_stopped(me: PageCheckingClient, db: Session,
                                                        customer: Person) -> None:
    update = make_update(db, customer, "ladder", needs_action=True)
    page = me.get(f"/updates/{update.id}")
    text = main_text(page.text)
    assert "Needs doing" in text
    assert "We will remind you in your account and by email on Tuesday 24 November." in text
    assert "On Thursday 26 November, we will offer to call you." in text

    response = me.post(f"/updates/{update.id}/stop-reminders",
                        data={"csrf_token": token(me, f"/updates/{update.id}")}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/updates/{update.id}"
    after = me.get(f"/updates/{update.id}")
    assert "We will not remind you about this again" in main_text(after.text)
    assert "Stop reminders about this" not in main_text(after.text)
    assert "You asked us to stop reminders about this on" in main_text(after.text)
    assert "We will not remind you about this again" not in main_text(me.get(f"/updates/{update.id}").text)

    deliveries = db.exec(select(Delivery).where(Delivery.update_id == update.id)).all()
    assert {(d.step, d.status) for d in deliveries} == {
        (0, DeliveryStatus.waiting), (1, DeliveryStatus.skipped), (2, DeliveryStatus.skipped)}
    # Pressed again (a double click, or the back button): still stopped, logged once.
    me.post(f"/updates/{update.id}/stop-reminders", data={"csrf_token": token(me, "/updates")})
    logged = db.exec(select(ActivityEntry).where(ActivityEntry.action == "update_reminders_stopped")).all()
    assert len(logged) == 1 and logged[0].actor_person_id == customer.id


def test_a_done_update_says_so_and_offers_no_reminders(me: PageCheckingClient, db: Session,
                                                       customer: Person) -> None:
    update = make_update(db, customer, "done", needs_action=True)
    update.done_at = MONDAY + dt.timedelta(hours=2)
    db.add(update)
    db.commit()
    text = main_text(me.get(f"/updates/{update.id}").text)
    assert "This is done" in text and "It was done on 23 November 2026." in text
    assert "Needs doing" not in text and "Stop reminders" not in text and "We will remind you" not in text


# Settings


def meters(db: Session, person: Person) -> list[int]:
    """The ids of the services on the person's account (electricity first), as the usage limit
    fields name them."""
    account = factories.account_of(db, person)
    return [service.id for service in db.exec(select(Service).where(Service.account_id == account.id)
                                              .order_by(col(Service.id)))]


def test_settings_show_the_defaults_and_where_we_send(me: PageCheckingClient, customer: Person,
                                                      db: Session) -> None:
    page = me.get("/updates/settings").text
    assert checked(page, "channels_bills") == ["email"] and checked(page, "channels_offers") == []
    assert checked(page, "quiet") == ["on"] and checked(page, "cap") == ["on"]
    assert (field_value(page, "quiet_from"), field_value(page, "quiet_until")) == ("21:00", "08:00")
    assert field_value(page, "daily_cap") == "3"
    text = main_text(page)
    assert "p…@example.org" in text and "ending 654" in text
    assert "We always show these in your account." in text
    assert parse(page).find(".//main//a[@href='/account/details']") is not None
    electricity, gas = meters(db, customer)
    assert field_value(page, f"usage_{electricity}") == "" and field_value(page, f"usage_{gas}") == ""
    someone_elses = meters(db, factories.customer(db))[0]
    assert field_value(me.get("/updates/settings").text, f"usage_{someone_elses}") is None  # Only theirs.


def test_settings_are_saved_logged_and_shown_back(me: PageCheckingClient, customer: Person,
                                                  db: Session) -> None:
    electricity, _ = meters(db, customer)
    someone_elses = meters(db, factories.customer(db))[0]
    form = settings_form(channels_bills=["email", "text"], channels_offers=["text"], channels_cases=[],
                         quiet="off", quiet_from="", quiet_until="", cap="on", daily_cap="5",
                         **{f"usage_{electricity}": "1,200", f"usage_{someone_elses}": "5"})
    response = me.post("/updates/settings", data={**form, "csrf_token": token(me)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/updates/settings"

    page = me.get("/updates/settings").text
    assert "We saved your choices" in main_text(page)
    assert checked(page, "channels_bills") == ["email", "text"]
    assert checked(page, "channels_offers") == ["text"] and checked(page, "channels_cases") == []
    assert checked(page, "quiet") == ["off"] and field_value(page, "daily_cap") == "5"
    assert field_value(page, f"usage_{electricity}") == "1200"
    assert "We saved your choices" not in main_text(me.get("/updates/settings").text)  # Said once.

    my_id = customer.id
    row = db.exec(select(UpdatePreferences).where(UpdatePreferences.person_id == my_id)).one()
    assert json.loads(row.channels)["bills"] == ["email", "text"]
    assert json.loads(row.channels)["cases"] == []
    assert (row.quiet_from, row.quiet_until, row.daily_cap) == (None, None, 5)
    alerts = db.exec(select(UsageAlert)).all()
    assert [(a.person_id, a.service_id, a.monthly_units) for a in alerts] == [(my_id, electricity, 1200)]
    logged = db.exec(select(ActivityEntry).where(ActivityEntry.action == "update_preferences_changed")).all()
    assert len(logged) == 1 and logged[0].actor_person_id == my_id

    # Sent again (a double click): the same choices, one row each.
    me.post("/updates/settings", data={**form, "csrf_token": token(me)})
    assert len(db.exec(select(UpdatePreferences)).all()) == 1 and len(db.exec(select(UsageAlert)).all()) == 1

    # An empty box removes the limit; no limit a day is stored as 0.
    me.post("/updates/settings", data={**settings_form(cap="off", daily_cap=""), "csrf_token": token(me)})
    db.expire_all()
    assert db.exec(select(UsageAlert)).all() == []
    row = db.exec(select(UpdatePreferences).where(UpdatePreferences.person_id == my_id)).one()
    assert (row.quiet_from, row.quiet_until, row.daily_cap) == (dt.time(21), dt.time(8), 0)
    page = me.get("/updates/settings").text
    assert checked(page, "cap") == ["off"] and field_value(page, "daily_cap") == ""


@pytest.mark.parametrize(("changes", "expected", "field"), [
    ({"quiet_from": "25:00"}, "Enter the time quiet hours start as hours and minutes, like 21:00",
     "quiet_from"),
    ({"quiet_until": ""}, "Enter the time quiet hours end, like 08:00", "quiet_until"),
    ({"quiet_until": "21:00"}, "Quiet hours must end at a different time from when they start",
     "quiet_until"),
    ({"daily_cap": "0"}, "Enter a number from 1 to 20", "daily_cap"),
    ({"daily_cap": "99"}, "Enter a number from 1 to 20", "daily_cap"),
    ({"daily_cap": "lots"}, "Enter a number from 1 to 20", "daily_cap"),
    ({"daily_cap": ""}, "Enter how many messages we can send in a day, from 1 to 20", "daily_cap"),
    ({"usage_{gas}": "-5"}, "Enter the limit for Gas as a whole number, like 300", "usage_{gas}"),
    ({"usage_{gas}": "0"}, "Enter a limit for Gas from 1 to 100,000", "usage_{gas}"),
    ({"usage_{gas}": "2.5"}, "Enter the limit for Gas as a whole number, like 300", "usage_{gas}"),
    ({"channels_bills": ["email", "pigeon"]}, "Choose email, text message, or neither", "channels_bills"),
    ({"quiet": "maybe"}, "Choose if you want quiet hours", "quiet"),
    ({"cap": ""}, "Choose if you want a limit each day", "cap"),
])
def test_settings_errors_are_explained_and_what_was_typed_is_kept(
        me: PageCheckingClient, customer: Person, db: Session, changes: dict, expected: str,
        field: str) -> None:
    gas = meters(db, customer)[1]  # "usage_{gas}" is the gas meter's limit field.
    changes = {name.format(gas=gas): value for name, value in changes.items()}
    field = field.format(gas=gas)
    form = settings_form(**changes)
    response = me.post("/updates/settings", data={**form, "csrf_token": token(me)})
    assert response.status_code == 422
    assert errors(response.text) == [expected] and error_links(response.text) == [f"#{field}"]
    root = parse(response.text)
    assert root.find(f".//*[@id='{field}']") is not None
    assert text_of(root.find(".//title")).startswith("Error: Choose how we tell you")  # type: ignore[arg-type]
    for name, value in form.items():
        if isinstance(value, str) and name not in ("quiet", "cap"):
            assert field_value(response.text, name) == value, name
    assert db.exec(select(UpdatePreferences)).all() == []


def test_settings_errors_name_the_account_when_there_are_several(client: PageCheckingClient,
                                                                  db: Session, customer: Person) -> None:
    two_accounts = factories.customer(db)
    home = factories.account_of(db, two_accounts)
    factories.account(db, two_accounts)
    factories.sign_in(client, two_accounts)
    electricity = factories.service_of(db, home, ServiceKind.electricity)
    form = {**settings_form(), f"usage_{electricity.id}": "none", "csrf_token": token(client)}
    response = client.post("/updates/settings", data=form)
    assert response.status_code == 422
    assert errors(response.text) == [
        f"Enter the limit for Electricity ({home.reference}) as a whole number, like 300"]


def test_a_missing_contact_detail_is_said_next_to_its_channel(client: PageCheckingClient,
                                                              db: Session, customer: Person) -> None:
    factories.sign_in(client, factories.customer(db, phone=""))
    page = parse(client.get("/updates/settings").text)
    text_box = page.find(".//input[@name='channels_bills'][@value='text']")
    assert text_box is not None
    hint = page.find(f".//*[@id='{text_box.get('aria-describedby')}']")
    assert hint is not None and text_of(hint) == "We do not have your phone number."


def test_pages_need_signing_in(client: PageCheckingClient) -> None:
    for path in ("/updates", "/updates/settings", "/updates/1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in"), path


# The header and the live banner


def test_staff_and_signed_out_people_get_no_updates_link(client: PageCheckingClient, db: Session) -> None:
    assert header_link(client.get("/").text) is None
    factories.sign_in(client, factories.adviser(db))
    page = client.get("/help").text
    assert header_link(page) is None and "/updates/events" not in page
    assert 'role="status" aria-live="polite" sse-swap="update"' not in page


def test_a_customers_pages_have_an_empty_polite_live_region_and_the_stream(me: PageCheckingClient) -> None:
    html = me.get("/account").text
    root = parse(html)
    body = root.find(".//body")
    assert body is not None and body.get("sse-connect") == "/updates/events" and body.get("hx-ext") == "sse"
    region = root.find(".//*[@id='updates-live']")
    assert region is not None and region.get("role") == "status" and region.get("aria-live") == "polite"
    assert text_of(region) == "" and len(region) == 0
    assert any("htmx-ext-sse" in (s.get("src") or "") for s in root.iter("script"))
    link = root.find(".//header//a[@href='/updates']")
    assert link is not None and link.get("sse-swap") == "count"


def test_the_live_stream_sends_a_banner_and_the_new_count(me: PageCheckingClient, app: FastAPI,
                                                          db: Session, customer: Person) -> None:
    on_event, first = stream_calls(app, live.UpdatesStream(app.state.templates, "Europe/London", 30,
                                                           customer.id, "a-session-id", "en"))
    assert first() == [("count", "Updates")]
    update = make_update(db, customer, "live", safety_critical=True)
    fragments = dict(on_event({"type": "update", "id": update.id}))
    banner = parse(f"<!DOCTYPE html><title>x</title>{fragments['update']}").find(".//div")
    assert banner is not None
    assert text_of(banner) == "New update: Urgent A payment did not go through See update"
    assert banner.find(".//a").get("href") == f"/updates/{update.id}"  # type: ignore[union-attr]
    assert "autofocus" not in fragments["update"] and "tabindex" not in fragments["update"]
    assert text_of(parse(f"<!DOCTYPE html><title>x</title><a>{fragments['count']}</a>").find(".//a")
                   ) == "Updates, 1 new"  # type: ignore[arg-type]
    theirs = make_update(db, factories.customer(db), "not-mine", params={})
    assert on_event({"type": "update", "id": theirs.id}) == []  # Never someone else's.
    assert on_event({"type": "update", "id": "1"}) == [] and on_event({"type": "other"}) == []


def read_frames(lines, count: int) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """The next `count` events (name, data) from a stream of lines."""
    found: list[tuple[str, str]] = []
    name, data = "", []
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "" and name:
            found.append((name, "\n".join(data)))
            name, data = "", []
            if len(found) == count:
                return found
    raise AssertionError(f"the stream ended after {found}")


@pytest.mark.timeout(30)
def test_an_update_published_reaches_the_open_stream(me: PageCheckingClient, app: FastAPI,
                                                     db: Session, customer: Person) -> None:
    my_id = customer.id
    with me.stream("GET", "/updates/events") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert read_frames(lines, 1) == [("count", "Updates")]  # Subscribed by now.
        update = make_update(db, customer, "published")
        app.state.broker.publish_sync(service.person_channel(my_id), {"type": "update", "id": update.id})
        (banner_name, banner), (count_name, count) = read_frames(lines, 2)
    assert banner_name == "update" and "A payment did not go through" in banner
    assert f'href="/updates/{update.id}"' in banner
    assert count_name == "count" and re.sub(r"<[^>]+>", "", count).replace(" ", "") == "Updates,1new"


def test_the_stream_tells_the_browser_to_stop_when_nobody_is_signed_in(client: PageCheckingClient,
                                                                       db: Session) -> None:
    response = client.get("/updates/events")
    assert response.status_code == 200 and response.text == "event: ended\ndata: \n\n"
    factories.sign_in(client, factories.adviser(db))  # Staff get no updates.
    assert client.get("/updates/events").text == "event: ended\ndata: \n\n"


@pytest.mark.timeout(30)
def test_the_stream_ends_when_the_session_does(me: PageCheckingClient, app: FastAPI, db: Session,
                                               customer: Person) -> None:
    my_id = customer.id
    with me.stream("GET", "/updates/events") as response:
        lines = response.iter_lines()
        assert read_frames(lines, 1) == [("count", "Updates")]
        for record in db.exec(select(WebSession).where(WebSession.person_id == my_id)).all():
            db.delete(record)  # Signed out everywhere (or timed out).
        db.commit()
        update = make_update(db, customer, "after-sign-out")
        app.state.broker.publish_sync(service.person_channel(my_id), {"type": "update", "id": update.id})
        assert read_frames(lines, 1) == [("ended", "")]  # Not the banner; and the browser stops asking.
        assert list(lines) == []
