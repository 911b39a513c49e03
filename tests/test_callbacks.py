"""Ask us to call you (/help/callback): times within opening hours, the confirmation with a reference,
changing and cancelling, and the callback reaching the right advisers with what the customer shared.

The clock is frozen through the `portal.help.service.get_now` dependency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from portal.access import Actor
from portal.activity.models import ActivityEntry
from portal.help import callbacks, requests, service
from portal.help.models import HelpRequest, RequestKind, RequestStatus, Team
from portal.identity.models import Person
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

# A Friday in winter: London is on UTC. The first time offered is at least an hour away: 11:30.
FRIDAY = dt.datetime(2026, 12, 18, 10, 10, tzinfo=dt.UTC)
CASE_REFERENCE = "CS-123456-1"
CASE = f"case:{CASE_REFERENCE}"


@pytest.fixture
def frozen(app: FastAPI) -> Iterator[FastAPI]:
    app.dependency_overrides[service.get_now] = lambda: FRIDAY
    yield app
    app.dependency_overrides.clear()


@pytest.fixture
def customer(db: Session) -> Person:
    """A customer with a meter that is not working."""
    made = factories.customer(db, phone="07700 900789")
    factories.case(db, factories.account_of(db, made), reference=CASE_REFERENCE)
    return made


@pytest.fixture
def caller(client: PageCheckingClient, customer: Person, frozen: FastAPI) -> PageCheckingClient:
    factories.sign_in(client, customer)
    return client


def actor(found: Person) -> Actor:
    assert found.id is not None
    return Actor(person_id=found.id, name=found.name, staff_role=found.staff_role, team=found.team)


def filled(html: str) -> dict[str, object]:
    """What the form in main sends as it is: hidden and filled-in fields, ticked boxes."""
    form = parse(html).find(".//main//form")
    data: dict[str, object] = {}
    for field in form.iter("input"):
        if field.get("type") in ("checkbox", "radio"):
            if field.get("checked") is not None:
                data.setdefault(field.get("name"), []).append(field.get("value"))  # type: ignore[union-attr]
        else:
            data[field.get("name")] = field.get("value") or ""
    for area in form.iter("textarea"):
        data[area.get("name")] = text_of(area)
    return data


def offered(html: str) -> list[tuple[str, str]]:
    """The times on the page: (value sent, label read)."""
    root = parse(html)
    return [(radio.get("value"), text_of(root.find(f".//label[@for='{radio.get('id')}']")))
            for radio in root.findall(".//input[@name='slot']")]


def day_list(html: str) -> list[str]:
    root = parse(html)
    return [text_of(li) for li in root.findall(".//main//ul[@aria-labelledby='callback-days']/li")]


def error_summary(html: str) -> list[tuple[str, str]]:
    root = parse(html)
    return [(a.get("href"), text_of(a)) for a in root.findall(".//*[@class='error-summary']//a")]


def send(client: PageCheckingClient, path: str = "/help/callback", page: str | None = None,
         **fields: object):
    """Fill in the form on `page` (or `path`) and send it, keeping its hidden fields."""
    data = filled(client.get(page or path).text)
    data.update(fields)
    return client.post(path, data=data, follow_redirects=False)


def callbacks_of(db: Session, someone: Person) -> list[HelpRequest]:
    db.expire_all()
    return requests.requests_of(db, someone.id, RequestKind.callback)


def book(client: PageCheckingClient, slot: str = "2026-12-18T14:00Z", **fields: object) -> str:
    response = send(client, slot=slot, **fields)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# Offered times.

def test_times_follow_the_opening_hours_from_an_hour_ahead(caller) -> None:
    html = caller.get("/help/callback").text
    assert text_of(parse(html).find(".//h1")) == "Ask us to call you"
    assert day_list(html) == [
        "Friday, 18 December 2026 (times shown below)", "Saturday, 19 December 2026",
        "Monday, 21 December 2026", "Tuesday, 22 December 2026", "Wednesday, 23 December 2026"]
    times = offered(html)
    assert times[0] == ("2026-12-18T11:30Z", "11:30 to 12:00")  # Not 10:30 or 11:00: too soon.
    assert times[-1] == ("2026-12-18T19:30Z", "19:30 to 20:00")  # Ends when the lines close.
    assert len(times) == 17
    saturday = offered(caller.get("/help/callback?day=2026-12-19").text)
    assert (saturday[0][1], saturday[-1][1]) == ("09:00 to 09:30", "12:30 to 13:00")
    assert "Saturday, 19 December 2026 (times shown below)" in day_list(
        caller.get("/help/callback?day=2026-12-19").text)
    # A day we do not offer shows the first day instead.
    assert offered(caller.get("/help/callback?day=2026-12-20").text) == times


def test_closed_days_and_sundays_are_skipped(settings, db: Session) -> None:
    christmas_eve = dt.datetime(2026, 12, 24, 9, 0, tzinfo=dt.UTC)
    days = callbacks.offer(db, settings, christmas_eve).days
    # 25 and 28 December are bank holidays in the settings; the 27th is a Sunday.
    assert [day.key for day in days] == ["2026-12-24", "2026-12-26", "2026-12-29", "2026-12-30", "2026-12-31"]
    assert days[0].slots[0].starts_at == dt.datetime(2026, 12, 24, 10, 0, tzinfo=dt.UTC)
    assert days[0].slots[0].ends_at == dt.datetime(2026, 12, 24, 10, 30, tzinfo=dt.UTC)


def test_times_are_in_the_organisations_time_zone(settings, db: Session) -> None:
    summer_morning = dt.datetime(2027, 6, 1, 7, 0, tzinfo=dt.UTC)  # 08:00 in London.
    days = callbacks.offer(db, settings, summer_morning).days
    assert days[0].slots[0].key == "2027-06-01T08:00Z"  # 09:00 in London, an hour from now.
    assert days[0].slots[-1].key == "2027-06-01T18:30Z"  # 19:30 to 20:00 in London.
    # 23:30 in London on the 1st is already the 2nd in UTC: the day is the one the customer means.
    late = dt.datetime(2027, 6, 1, 22, 30, tzinfo=dt.UTC)
    assert callbacks.offer(db, settings, late).days[0].key == "2027-06-02"


def test_a_full_time_is_not_offered_and_cannot_be_taken(caller, customer: Person, db: Session) -> None:
    slot = dt.datetime(2026, 12, 18, 14, 0, tzinfo=dt.UTC)
    others = [factories.customer(db) for _ in range(3)]
    for number, other in enumerate(others):
        requests.open_request(db, actor(other), RequestKind.callback, form_key=f"full-{number}",
                              account_id=None, callback_at=slot, callback_phone="07700 900000")
    html = caller.get("/help/callback").text
    assert "2026-12-18T14:00Z" not in [value for value, _label in offered(html)]
    assert "2026-12-18T14:30Z" in [value for value, _label in offered(html)]
    response = send(caller, slot="2026-12-18T14:00Z", topic="My bill")
    assert response.status_code == 422
    assert error_summary(response.text) == [("#slot", "That time is now full. Choose another time.")]
    assert callbacks_of(db, customer) == []
    # A cancelled callback gives its place back.
    first = db.exec(select(HelpRequest).where(HelpRequest.form_key == "full-0")).one()
    requests.cancel(db, actor(others[0]), first)
    assert "2026-12-18T14:00Z" in [value for value, _label in offered(caller.get("/help/callback").text)]


def test_a_time_too_soon_or_made_up_is_refused(caller, customer: Person, db: Session) -> None:
    for slot in ("2026-12-18T10:30Z", "2026-12-18T21:00Z", "tomorrow"):
        response = send(caller, slot=slot)
        assert response.status_code == 422
        assert error_summary(response.text) == [
            ("#slot", "That time is no longer free. Choose one of the times shown.")]
    assert callbacks_of(db, customer) == []


# Sending the form.

def test_sent_empty_it_says_what_to_do_and_keeps_what_was_typed(caller, customer: Person,
                                                                db: Session) -> None:
    caller.get("/help/callback?about=" + CASE, headers={"referer": "http://testserver/account/bills"})
    response = send(caller, phone="12345", topic="About my late bill", share=[CASE])
    assert response.status_code == 422
    assert error_summary(response.text) == [
        ("#slot", "Choose a time for us to call you"),
        ("#phone", "Enter a UK phone number, like 07700 900123")]
    root = parse(response.text)
    assert text_of(root.find(".//title")).startswith("Error: Ask us to call you")
    assert root.find(".//input[@name='phone']").get("value") == "12345"
    assert text_of(root.find(".//textarea[@name='topic']")) == "About my late bill"
    ticked = [box.get("value") for box in root.findall(".//input[@name='share']")
              if box.get("checked") is not None]
    assert ticked == [CASE]  # The page they were on stays unticked, as they left it.
    assert len(root.findall(".//input[@name='share']")) == 2
    assert callbacks_of(db, customer) == []

    response = send(caller, phone="", topic="x" * 1001)
    assert error_summary(response.text) == [
        ("#slot", "Choose a time for us to call you"),
        ("#phone", "Enter the phone number we should call"),
        ("#topic", "What the call is about must be 1000 characters or fewer")]


def test_the_phone_number_is_filled_in_and_needs_are_shown(client, frozen, db: Session) -> None:
    someone = factories.customer(db, phone="01632 960111")
    factories.needs(db, someone, channel="phone", support=["large_print", "extra_time", "no_automated_chat"],
                    other="My daughter helps me with my account.")
    factories.sign_in(client, someone)
    root = parse(client.get("/help/callback").text)
    assert root.find(".//input[@name='phone']").get("value") == "01632 960111"
    note = root.find(".//main//*[@class='inset-text']")
    assert text_of(note.find("p")) == "We will tell the adviser what helps you:"
    assert [text_of(li) for li in note.findall(".//li")] == [
        "Large print", "Extra time", "A real person, not a computer",
        "My daughter helps me with my account."]
    assert text_of(note.find(".//a[@href='/account/needs']")) == "Change what helps you"


def test_someone_with_no_account_may_ask_too(client, frozen, db: Session) -> None:
    no_account = factories.person(db, phone="07700 900888")
    factories.sign_in(client, no_account)
    html = client.get("/help/callback").text
    assert parse(html).find(".//input[@name='phone']").get("value") == "07700 900888"
    book(client)
    [callback] = callbacks_of(db, no_account)
    assert callback.account_id is None
    assert callback.callback_phone == "07700 900888"


def test_sending_twice_makes_one_callback(caller, customer: Person, db: Session) -> None:
    # Two places in the slot are taken: the customer's first send takes the last one; the second send must
    # still lead to that callback, not say the time is full.
    for number in range(2):
        requests.open_request(db, actor(factories.customer(db)), RequestKind.callback,
                              form_key=f"twice-{number}",
                              account_id=None, callback_at=dt.datetime(2026, 12, 18, 15, 0, tzinfo=dt.UTC))
    form = {**filled(caller.get("/help/callback").text), "slot": "2026-12-18T15:00Z"}
    first = caller.post("/help/callback", data=form, follow_redirects=False)
    second = caller.post("/help/callback", data=form, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(callbacks_of(db, customer)) == 1


def test_the_confirmation_shows_the_reference_time_and_what_was_shared(caller, customer: Person,
                                                                       db: Session) -> None:
    caller.get("/help/callback?about=" + CASE, headers={"referer": "http://testserver/account/bills"})
    location = book(caller, slot="2026-12-21T09:00Z", phone="+44 7700 900111",
                    topic="When is my meter fixed?", share=[CASE])
    [callback] = callbacks_of(db, customer)
    assert location == f"/help/callback/{callback.reference}"
    assert callback.context == CASE
    assert callback.callback_at == dt.datetime(2026, 12, 21, 9, 0, tzinfo=dt.UTC)

    root = parse(caller.get(location).text)
    main = text_of(root.find(".//main"))
    assert text_of(root.find(".//h1")) == "We will call you"
    assert "We have your request" in main
    assert f"Your reference {callback.reference}" in main
    assert "We will call you on Monday, 21 December 2026, between 09:00 and 09:30." in main
    rows = {text_of(row.find("dt")): text_of(row.find("dd")) for row in root.findall(".//main//dl/div")}
    assert rows["Number we will call"] == "+44 7700 900111"
    assert rows["What the call is about"] == "When is my meter fixed?"
    assert rows["What you shared with the adviser"] == f"Meter not working, {CASE_REFERENCE}"
    # The banner is shown once; the context was shared, so the next request starts afresh.
    assert "We have your request" not in text_of(parse(caller.get(location).text).find(".//main"))
    assert [box.get("value") for box in parse(caller.get("/help/callback").text).findall(
        ".//input[@name='share']")] == []


def test_the_confirmation_is_in_the_customers_language(caller, db: Session) -> None:
    location = book(caller, slot="2026-12-21T13:00Z")
    caller.cookies.set("portal_lang", "cy")
    main = text_of(parse(caller.get(location).text).find(".//main"))
    assert "Dydd Llun, 21 Rhagfyr 2026" in main


# Changing and cancelling.

def test_change_the_time(caller, customer: Person, db: Session) -> None:
    location = book(caller, slot="2026-12-18T14:00Z")
    page = caller.get(location + "/change")
    assert text_of(parse(page.text).find(".//h1")) == "Change the time of your call"
    assert ("2026-12-18T14:00Z", "14:00 to 14:30 (the time you have now)") in offered(page.text)

    response = send(caller, location + "/change", slot="")
    assert response.status_code == 422
    assert error_summary(response.text) == [("#slot", "Choose a time for us to call you")]

    response = send(caller, location + "/change", page=location + "/change?day=2026-12-22",
                    slot="2026-12-22T16:30Z")
    assert response.headers["location"] == location
    [callback] = callbacks_of(db, customer)
    assert callback.callback_at == dt.datetime(2026, 12, 22, 16, 30, tzinfo=dt.UTC)
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "help_callback_moved")).one()
    main = text_of(parse(caller.get(location).text).find(".//main"))
    assert "We changed the time of your call" in main
    assert "We will call you on Tuesday, 22 December 2026, between 16:30 and 17:00." in main


def test_cancel_and_then_nothing_can_be_changed(caller, customer: Person, db: Session) -> None:
    location = book(caller)
    page = parse(caller.get(location + "/cancel").text)
    assert text_of(page.find(".//h1")) == "Are you sure you want to cancel your call?"
    assert page.find(f".//main//a[@href='{location}']") is not None  # No, keep it.
    response = send(caller, location + "/cancel")
    assert response.headers["location"] == location
    [callback] = callbacks_of(db, customer)
    assert callback.status is RequestStatus.cancelled

    root = parse(caller.get(location).text)
    assert text_of(root.find(".//h1")) == "You cancelled this call"
    assert root.find(f".//main//a[@href='{location}/change']") is None
    assert caller.get(location + "/change", follow_redirects=False).headers["location"] == location
    token = caller.csrf_token(location)
    caller.post(location + "/change", data={"csrf_token": token, "slot": "2026-12-18T15:00Z"})
    [callback] = callbacks_of(db, customer)
    assert callback.callback_at == dt.datetime(2026, 12, 18, 14, 0, tzinfo=dt.UTC)


def test_after_the_call_the_outcome_is_shown_but_not_the_advisers_note(caller, customer: Person,
                                                                       db: Session) -> None:
    location = book(caller)
    [callback] = callbacks_of(db, customer)
    adviser = actor(factories.adviser(db))
    requests.claim(db, adviser, callback)
    claimed = text_of(parse(caller.get(location).text).find(".//main"))
    assert "An adviser is getting ready for your call." in claimed
    requests.close(db, adviser, callback, note="Sounded worried about the cost", outcome="no_answer")
    root = parse(caller.get(location).text)
    main = text_of(root.find(".//main"))
    assert text_of(root.find(".//h1")) == "We called you"
    assert "We called you, but nobody answered." in main
    assert "worried" not in caller.get(location).text
    assert root.find(f".//main//a[@href='{location}/cancel']") is None


def test_only_the_customer_who_asked_can_see_or_change_it(caller, customer: Person, db: Session) -> None:
    location = book(caller)
    factories.sign_in(caller, factories.customer(db))
    assert caller.get(location).status_code == 404
    assert caller.get(location + "/change").status_code == 404
    assert caller.get(location + "/cancel").status_code == 404
    token = caller.csrf_token("/help/callback")
    assert caller.post(location + "/cancel", data={"csrf_token": token}).status_code == 404
    assert caller.post(location + "/change", data={"csrf_token": token,
                                                "slot": "2026-12-18T15:00Z"}).status_code == 404
    assert caller.get("/help/callback/HR-NOPE00").status_code == 404
    [callback] = callbacks_of(db, customer)
    assert callback.status is RequestStatus.waiting
    assert callback.callback_at == dt.datetime(2026, 12, 18, 14, 0, tzinfo=dt.UTC)


def test_signing_in_is_needed(client, frozen) -> None:
    response = client.get("/help/callback", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/sign-in?next=/help/callback")


# What advisers get.

def test_the_callback_lands_in_the_right_queue_with_the_context(client, frozen, customer: Person,
                                                                db: Session) -> None:
    needs_time = factories.customer(db)
    factories.needs(db, needs_time, channel="email", support=["large_print", "extra_time"])
    factories.sign_in(client, customer)
    client.get("/help/callback?about=" + CASE, headers={"referer": "http://testserver/account/bills"})
    book(client, topic="My meter", share=[CASE, "page:/account/bills"])
    factories.sign_in(client, needs_time)
    book(client, slot="2026-12-18T15:00Z")

    adviser, specialist = actor(factories.adviser(db)), actor(factories.adviser(db, team=Team.specialist))
    first, second = customer.id, needs_time.id
    db.expire_all()
    general = [r for r in requests.queue(db, adviser) if r.kind is RequestKind.callback]
    assert [(r.customer_person_id, r.team) for r in general] == [(first, Team.general)]
    assert general[0].context.splitlines() == ["page:/account/bills", CASE]
    assert general[0].callback_phone == "07700 900789"
    assert requests.messages(db, general[0])[0].body == "My meter"
    theirs = [r for r in requests.queue(db, specialist) if r.kind is RequestKind.callback]
    assert {(r.customer_person_id, r.team) for r in theirs} == {
        (first, Team.general), (second, Team.specialist)}


def test_moving_to_a_time_others_filled_at_that_moment_keeps_the_old_time(caller, customer: Person,
                                                                          db: Session) -> None:
    """The time was free when the page showed it; by the time the change arrives it is full."""
    reference = book(caller, slot="2026-12-18T15:00Z").rsplit("/", 1)[-1]
    mine = db.exec(select(HelpRequest).where(HelpRequest.reference == reference)).one()
    slot = dt.datetime(2026, 12, 18, 14, 0, tzinfo=dt.UTC)
    for number in range(3):
        requests.open_request(db, actor(factories.customer(db)), RequestKind.callback,
                              form_key=f"race-{number}",
                              account_id=None, callback_at=slot, callback_phone="07700 900000")
    with pytest.raises(callbacks.SlotFull):
        callbacks.move(db, actor(customer), mine,
                       callbacks.Slot(slot, slot + dt.timedelta(minutes=30)), per_slot=3)
    db.expire_all()
    assert db.get(HelpRequest, mine.id).callback_at == dt.datetime(2026, 12, 18, 15, 0, tzinfo=dt.UTC)
