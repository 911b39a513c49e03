"""The account pages as customers see them, and that nobody sees or changes another's account."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from portal.accounts import billing, usage
from portal.accounts.billing import add_months
from portal.accounts.models import (
    AppointmentKind,
    Bill,
    Case,
    CaseCategory,
    CaseKind,
    CustomerAccount,
    MeterReading,
    PaymentMethod,
    PaymentStatus,
    ReadingSource,
    Service,
    ServiceKind,
    Stage,
)
from portal.i18n import format_date, format_money
from portal.identity.models import Person
from tests import factories
from tests.conftest import PageCheckingClient
from tests.factories import today
from tests.page_checks import parse, text_of
from tests.route_table import api_routes

LONDON = ZoneInfo("Europe/London")


def main_text(html: str) -> str:
    root = parse(html)
    return text_of(root.find(".//main"))


def todo_titles(html: str) -> list[str]:
    return [text_of(h) for h in parse(html).findall(".//h3[@class='todo__title']")]


def days_ago(days: int) -> dt.date:
    return today() - dt.timedelta(days=days)


# Situations a customer can be in, each made on a new customer's one account.

def late_bill(db: Session, account: CustomerAccount) -> Bill:
    """Due 24 days ago and not paid."""
    return factories.bill(db, account, ends_on=days_ago(40))


def waiting_for_a_photo(db: Session, account: CustomerAccount) -> Case:
    return factories.case(db, account, service=factories.service_of(db, account))


METER_ORDER = ((Stage.received, "received", -21, None), (Stage.in_progress, "fitting_booked", -7, None),
               (Stage.in_progress, "visit", 5, None), (Stage.done, "fitted", 5, None))


def meter_visit(db: Session, account: CustomerAccount) -> Case:
    """An order for a smart meter, fitted in five days' time between 8am and noon."""
    order = factories.case(db, account, category=CaseCategory.order, kind=CaseKind.smart_meter,
                           steps=METER_ORDER)
    starts = dt.datetime.combine(today() + dt.timedelta(days=5), dt.time(8), LONDON).astimezone(dt.UTC)
    factories.appointment(db, account, starts_at=starts, hours=4, kind=AppointmentKind.smart_meter_fit,
                          for_case=order)
    return order


def reading_due(db: Session, account: CustomerAccount) -> None:
    factories.service(db, account, ServiceKind.water, reading_due_on=today() + dt.timedelta(days=6))


def plan_with_a_failed_payment(db: Session, account: CustomerAccount) -> None:
    """£45 a month, 12 times: four paid, and the fifth, five days ago, did not go through."""
    first_due = add_months(days_ago(5), -4)
    plan = factories.payment_plan(db, account, instalment_pence=4500, instalments=12,
                                  first_due_on=first_due)
    for n in range(4):
        factories.payment(db, account, 4500, made_on=add_months(first_due, n),
                          method=PaymentMethod.direct_debit, plan=plan)
    factories.payment(db, account, 4500, made_on=add_months(first_due, 4), method=PaymentMethod.direct_debit,
                      status=PaymentStatus.failed, plan=plan)


def bill_due_soon(db: Session, account: CustomerAccount) -> None:
    factories.bill(db, account, ends_on=days_ago(10))  # Due in six days.


SITUATIONS = {
    "a late bill and a photo to send": (lambda db, account: (late_bill(db, account),
                                                             waiting_for_a_photo(db, account)),
                                        ["Urgent Pay your late bill", "We need something from you"]),
    "a visit booked": (meter_visit, ["Be at home for your visit"]),
    "a reading to give": (reading_due, ["Give us a meter reading"]),
    "a payment plan": (plan_with_a_failed_payment,
                       ["Urgent A payment did not go through", "Urgent Make your next payment plan payment"]),
    "a bill due soon": (bill_due_soon, ["Pay your bill"]),
}


@pytest.fixture
def someone(db: Session) -> Person:
    return factories.customer(db)


@pytest.fixture
def account(db: Session, someone: Person) -> CustomerAccount:
    return factories.account_of(db, someone)


@pytest.mark.parametrize("situation", [*SITUATIONS, "no account"])
def test_dashboard_puts_each_persons_things_to_do_first(client: PageCheckingClient, db: Session,
                                                      situation: str) -> None:
    if situation == "no account":
        person, expected = factories.person(db), []
    else:
        person = factories.customer(db)
        make, expected = SITUATIONS[situation]
        make(db, factories.account_of(db, person))
    factories.sign_in(client, person)
    html = client.get("/account").text
    assert todo_titles(html) == expected
    headings = [text_of(h) for h in parse(html).findall(".//main//h2")]
    if expected:
        assert headings[:2] == ["Things to do", "Recent updates"]
    else:
        assert "There are no accounts linked to you yet." in main_text(html)


def pounds(pence: int) -> str:
    return format_money(Decimal(pence) / 100)


def test_dashboard_says_how_and_by_when(client: PageCheckingClient, db: Session, someone: Person,
                                        account: CustomerAccount) -> None:
    factories.bill(db, account, ends_on=days_ago(70), paid=True)
    late = late_bill(db, account)
    waiting_for_a_photo(db, account)
    owed = pounds(billing.total(db, late))
    factories.sign_in(client, someone)
    text = main_text(client.get("/account").text)
    assert f"Your bill for {owed} was due on {format_date(late.due_on)}. Please pay it now." in text
    assert "We need a photo of your meter that shows the numbers." in text
    assert re.search(r"Please do this by \d+ \w+ 20\d\d\.", text)
    assert f"You owe {owed}" in text  # The earlier bill was paid in full.


def test_in_credit_and_two_accounts(client: PageCheckingClient, db: Session, someone: Person,
                                    account: CustomerAccount) -> None:
    factories.payment(db, account, 8400, made_on=days_ago(20))  # Paid with nothing to pay.
    workshop = factories.account(db, someone)
    factories.sign_in(client, someone)
    text = main_text(client.get("/account").text)
    assert "You are £84.00 in credit" in text
    assert f"Account {account.reference}" in text and f"Account {workshop.reference}" in text


def higher_bill(db: Session, account: CustomerAccount) -> tuple[Bill, Bill]:
    """A late bill that costs more than the one before: more used (300 kWh, up from 260) at a higher
    price (27.44p a kWh, up from 24.5p)."""
    electricity = factories.service_of(db, account, ServiceKind.electricity)
    last = factories.bill(db, account, ends_on=days_ago(70), used=260, amount_pence=6370,
                          service=electricity, standing_pence=1590, paid=True)
    now = factories.bill(db, account, ends_on=days_ago(40), used=300, amount_pence=8232,
                         service=electricity, standing_pence=1590)
    return now, last


def test_a_bill_explains_why_it_is_higher(client: PageCheckingClient, db: Session, someone: Person) -> None:
    account = factories.account_of(db, someone)
    account.address, account.postcode = "Flat 4, 88 Mill Lane, Northfield", "NF2 9EF"
    factories.save(db, account)
    bill, before = higher_bill(db, account)
    now, last = billing.total(db, bill), billing.total(db, before)
    assert now > last
    factories.sign_in(client, someone)
    text = main_text(client.get(f"/account/bills/{bill.reference}").text)
    assert "This bill is late." in text
    assert f"This bill is {pounds(now - last)} more than your last one, which was {pounds(last)}." in text
    assert "You used more electricity: 300 kWh, up from 260 kWh." in text
    assert "The price of electricity went up from 24.5 to 27.44 pence for each kWh." in text
    assert f"Use {bill.reference} as the reference." in text  # Ways to pay, with the reference to quote.
    printable = main_text(client.get(f"/account/bills/{bill.reference}/print").text)
    assert "Flat 4, 88 Mill Lane, Northfield" in printable and f"Total {pounds(now)}" in printable


def test_a_direct_debit_bill_needs_nothing_from_the_customer(client: PageCheckingClient, db: Session,
                                                            someone: Person, account: CustomerAccount
                                                            ) -> None:
    account.direct_debit = True
    factories.save(db, account)
    bill = factories.bill(db, account, ends_on=days_ago(6))
    factories.sign_in(client, someone)
    text = main_text(client.get(f"/account/bills/{bill.reference}").text)
    assert "We will take this by Direct Debit on" in text and "Ways to pay" not in text


def monthly_bills(db: Session, account: CustomerAccount, count: int = 14) -> list[Bill]:
    """A bill a month, the latest issued 20 days ago; oldest first."""
    return [factories.bill(db, account, ends_on=add_months(days_ago(22), -n), paid=True)
            for n in range(count - 1, -1, -1)]


def test_bills_page_and_filter_by_year_and_htmx_fragment(client: PageCheckingClient, db: Session,
                                                         someone: Person, account: CustomerAccount) -> None:
    monthly_bills(db, account)
    factories.sign_in(client, someone)
    root = parse(client.get("/account/bills").text)
    assert len(root.findall(".//main//tbody/tr")) == 6
    assert root.find(".//nav[@class='pagination']") is not None
    # Fourteen monthly bills always reach back into the year before the latest.
    year = min(billing.bill_years(db, account.id))
    fragment = client.get(f"/account/bills?year={year}", headers={"HX-Request": "true"})
    assert not fragment.text.lstrip().startswith("<!DOCTYPE")  # Just the title and main.
    assert fragment.text.lstrip().startswith("<title>Your bills")
    sent = [text_of(row.findall("td")[0]) for row in
            parse("<!DOCTYPE html>" + fragment.text).findall(".//tbody/tr")]
    assert sent and all(date.endswith(str(year)) for date in sent)
    assert client.get("/account/bills?year=nonsense").status_code == 200  # Shows every year.
    assert client.get("/account/bills?page=nonsense").status_code == 400


def test_payments_show_the_plan_and_the_failed_payment(client: PageCheckingClient, db: Session,
                                                       someone: Person, account: CustomerAccount) -> None:
    plan_with_a_failed_payment(db, account)
    factories.sign_in(client, someone)
    text = main_text(client.get("/account/payments").text)
    assert "You pay £45.00 each month, 12 times, to clear what you owe." in text
    assert "Payments made 4 of 12" in text and "Left to pay £360.00" in text
    assert "Your payment of £45.00 on" in text and "did not go through" in text


def test_use_has_a_chart_a_summary_and_a_table_of_the_same_numbers(client: PageCheckingClient, db: Session,
                                                                   someone: Person,
                                                                   account: CustomerAccount) -> None:
    electricity = factories.service_of(db, account, ServiceKind.electricity)
    # Thirteen months of readings; one was our guess, so two months' use are guesses.
    factories.monthly_readings(db, electricity, [300, 280, 260, 240, 210, 190, 185, 190, 210, 250, 290, 330,
                                                 320], estimated={10})
    water = factories.service(db, account, ServiceKind.water)
    factories.monthly_readings(db, water, [10] * 13)
    factories.sign_in(client, someone)
    root = parse(client.get("/account/usage").text)
    svg = root.find(".//main//{http://www.w3.org/2000/svg}svg")
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "chart-title chart-desc"
    rect = "{http://www.w3.org/2000/svg}rect"
    bars = svg.findall(f".//{rect}[@class='chart__bar']") + svg.findall(
        f".//{rect}[@class='chart__bar chart__bar--estimated']")
    rows = root.findall(".//table[@class='table']")[0].findall(".//tbody/tr")
    assert len(bars) == len(rows) == 12
    guessed = [text_of(r.findall("td")[1]) for r in rows].count("Yes")
    assert guessed == len(svg.findall(f".//{rect}[@class='chart__bar chart__bar--estimated']")) == 2
    assert "We guessed your use for 2 months because we had no readings." in main_text(
        client.get("/account/usage").text)
    water_page = parse(client.get(f"/account/usage?service={water.id}").text)
    assert text_of(water_page.find(".//main//h2")) == "Water in the last 12 months"


def test_a_reading_with_mistakes_keeps_what_was_typed_then_is_stored_once(
        signed_in_client: PageCheckingClient, customer: Person, db: Session) -> None:
    client = signed_in_client
    service = factories.service_of(db, factories.account_of(db, customer))
    factories.monthly_readings(db, service, [200, 210])
    token = client.csrf_token("/account/usage/reading")
    last = db.exec(select(MeterReading).where(MeterReading.service_id == service.id)
                   .order_by(MeterReading.read_on.desc())).first()
    form = {"csrf_token": token, "service": str(service.id)}
    empty = client.post("/account/usage/reading", data={**form, "reading": ""})
    assert empty.status_code == 422 and "Enter your meter reading" in empty.text
    letters = client.post("/account/usage/reading", data={**form, "reading": "12a45"})
    assert "Use numbers only, like 12345" in letters.text and 'value="12a45"' in letters.text
    lower = client.post("/account/usage/reading", data={**form, "reading": str(last.value - 1)})
    assert f"This is lower than your last reading, {last.value:,}." in lower.text
    good = {**form, "reading": f"{last.value + 25:,}"}  # People type commas; they are fine.
    done = client.post("/account/usage/reading", data=good)
    assert done.url.path == "/account/usage" and "Thank you. We have your meter reading." in done.text
    client.post("/account/usage/reading", data=good)
    assert "Thank you" not in client.get("/account/usage").text  # Said once.
    taken = db.exec(select(MeterReading).where(MeterReading.service_id == service.id,
                                               MeterReading.source == ReadingSource.customer)).all()
    assert [r.value for r in taken] == [last.value + 25]


REFUND_DONE = ((Stage.received, "received", -50, None), (Stage.in_progress, "checking", -45, None),
               (Stage.done, "paid", -38, None))


def test_cases_filter_and_a_timeline_with_what_happens_next(client: PageCheckingClient, db: Session,
                                                            someone: Person, account: CustomerAccount
                                                            ) -> None:
    factories.case(db, account, kind=CaseKind.refund, steps=REFUND_DONE, closed=True)
    factories.sign_in(client, someone)
    assert "You have no open cases or orders." in main_text(client.get("/account/cases").text)
    closed = main_text(client.get("/account/cases?show=closed").text)
    assert "Money back" in closed and "Closed on" in closed
    order = meter_visit(db, factories.account_of(db, other := factories.customer(db)))
    factories.sign_in(client, other)
    root = parse(client.get(f"/account/cases/{order.reference}").text)
    steps = [text_of(li) for li in root.findall(".//ol[@class='timeline']/li")]
    assert steps[0].startswith("We got your request. Done on")
    assert steps[-1].startswith("Your new meter is fitted and working. Expected by")
    text = text_of(root.find(".//main"))
    assert re.search(r"Smart meter fitting on .+, between 08:00 and 12:00\.", text)
    assert root.find(f".//main//a[@href='/help?about=case:{order.reference}']") is not None


def test_choosing_another_account_changes_what_the_pages_show(client: PageCheckingClient, db: Session,
                                                              someone: Person, account: CustomerAccount
                                                              ) -> None:
    home_bill = factories.bill(db, account)
    workshop = factories.account(db, someone)
    workshop_bill = factories.bill(db, workshop)
    strangers = factories.account_of(db, factories.customer(db))
    factories.sign_in(client, someone)
    token = client.csrf_token("/account/bills")
    shown = client.post("/account/choose", data={"csrf_token": token, "account": workshop.reference,
                                                 "next": "/account/bills"})
    assert shown.url.path == "/account/bills"
    assert f"Showing account {workshop.reference}" in main_text(shown.text)
    assert workshop_bill.reference in shown.text and home_bill.reference not in shown.text
    # Not an account of theirs: refused, and nothing changes.
    refused = client.post("/account/choose", data={"csrf_token": token, "account": strangers.reference,
                                                   "next": "/account/bills"})
    assert refused.status_code == 404
    assert f"Showing account {workshop.reference}" in client.get("/account/bills").text


def test_someone_with_no_account_is_sent_to_the_overview(client: PageCheckingClient, db: Session) -> None:
    factories.sign_in(client, factories.person(db))
    for path in ("/account/bills", "/account/usage", "/account/cases", "/account/payments"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/account"
    assert client.get("/account/bills", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/account"


def test_account_pages_need_sign_in(client: PageCheckingClient, db: Session,
                                    account: CustomerAccount) -> None:
    bill = factories.bill(db, account)
    response = client.get(f"/account/bills/{bill.reference}", follow_redirects=False)
    assert response.headers["location"] == f"/sign-in?next=/account/bills/{bill.reference}"


# Nobody sees another customer's things, through any route, id or fragment.

def things_of(db: Session, account: CustomerAccount) -> dict[str, str]:
    """A bill, a case and a service of the account's, for the ids in the paths."""
    return {
        "reference": "",  # Filled per route below: a bill's or a case's.
        "bill": factories.bill(db, account).reference,
        "case": waiting_for_a_photo(db, account).reference,
        "service_id": str(factories.service_of(db, account).id),
    }


def detail_paths(app: FastAPI, things: dict[str, str]) -> list[str]:
    """Every GET route under /account/ that takes an id, filled in with one customer's ids. A new route
    with a parameter this test does not know fails here, so it cannot escape the check."""
    paths = []
    for route in api_routes(app):
        path = route.path
        if not path.startswith("/account/") or "{" not in path or "GET" not in route.methods:
            continue
        if path.startswith("/account/security/"):
            continue  # Passkeys belong to a person, not an account: tested in test_security_page.py.
        names = re.findall(r"{(\w+)}", path)
        filled = path
        for name in names:
            if name == "reference":
                value = things["bill"] if path.startswith("/account/bills") else things["case"]
            else:
                assert name in things, f"{path}: teach this test what {name} is"
                value = things[name]
            filled = filled.replace(f"{{{name}}}", value)
        paths.append(filled)
    return paths


def test_another_customer_cannot_see_their_things(app: FastAPI, client: PageCheckingClient, db: Session,
                                                  someone: Person, account: CustomerAccount) -> None:
    paths = detail_paths(app, things_of(db, account))
    assert len(paths) >= 4
    factories.sign_in(client, someone)
    assert all(client.get(p).status_code == 200 for p in paths)
    factories.sign_in(client, factories.customer(db))
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 404, path


def test_ids_in_the_query_only_choose_among_your_own(client: PageCheckingClient, db: Session,
                                                     account: CustomerAccount) -> None:
    theirs = things_of(db, account)["service_id"]
    service = db.get(Service, int(theirs))
    service.tariff = "Green Saver 2026"
    factories.save(db, service)
    # Two meters, so the form offers a choice of meter and the forged one is refused on it.
    factories.sign_in(client, factories.customer(db, services=(ServiceKind.electricity, ServiceKind.gas)))
    use = client.get(f"/account/usage?service={theirs}").text
    assert "Green Saver 2026" not in use and f"service={theirs}" not in use
    token = client.csrf_token("/account/usage/reading")
    before = len(db.exec(select(MeterReading)).all())
    refused = client.post("/account/usage/reading",
                          data={"csrf_token": token, "service": theirs, "reading": "99999"})
    assert refused.status_code == 422
    assert len(db.exec(select(MeterReading)).all()) == before


def test_a_visit_page_says_what_we_told_the_engineer(client: PageCheckingClient, db: Session,
                                                     someone: Person, account: CustomerAccount) -> None:
    """Recorded needs travel with the visit, and the customer can see and change them."""
    factories.needs(db, someone, channel="email", support=["large_print", "extra_time"])
    order = meter_visit(db, account)
    factories.sign_in(client, someone)
    root = parse(client.get(f"/account/cases/{order.reference}").text)
    told = "We have told the engineer what helps you: Large print, Extra time."
    assert told in text_of(root.find(".//main"))
    assert root.find(".//main//a[@href='/account/needs']") is not None
    told_nothing = factories.customer(db)  # No needs recorded, so nothing is claimed.
    theirs = meter_visit(db, factories.account_of(db, told_nothing))
    factories.sign_in(client, told_nothing)
    assert "told the engineer" not in client.get(f"/account/cases/{theirs.reference}").text


def test_use_compares_the_latest_month_with_a_year_before(client: PageCheckingClient, db: Session,
                                                          someone: Person, account: CustomerAccount) -> None:
    service = factories.service_of(db, account, ServiceKind.electricity)
    factories.monthly_readings(db, service, [300, 280, 260, 240, 210, 190, 185, 190, 210, 250, 290, 330, 320])
    summary = usage.summarise(db, service.id)
    assert summary is not None and summary.year_before is not None
    # Make the latest month a tenth more than the same month a year before.
    latest = db.exec(select(MeterReading).where(MeterReading.service_id == service.id)
                     .order_by(MeterReading.read_on.desc())).first()
    latest.value += round(summary.year_before.amount * 1.1) - summary.latest.amount
    factories.save(db, latest)
    factories.sign_in(client, someone)
    text = main_text(client.get(f"/account/usage?service={service.id}").text)
    month = format_date(summary.latest.ending, "MMMM")
    assert f"In {month} you used 10% more than a year before." in text


def test_a_link_to_a_meter_on_another_account_shows_that_account(client: PageCheckingClient, db: Session,
                                                                 someone: Person, account: CustomerAccount
                                                                 ) -> None:
    """Someone looking at their workshop's account follows the dashboard's "give a reading" for their
    home water meter: it must not offer the workshop's meter instead."""
    water = factories.service(db, account, ServiceKind.water, reading_due_on=today())
    workshop = factories.account(db, someone)
    factories.sign_in(client, someone)
    token = client.csrf_token("/account/bills")
    client.post("/account/choose", data={"csrf_token": token, "account": workshop.reference,
                                         "next": "/account"})
    form = parse(client.get(f"/account/usage/reading?service={water.id}").text)
    chosen = form.find(".//input[@name='service'][@checked]")
    assert chosen is not None and chosen.get("value") == str(water.id)
    assert f"Showing account {account.reference}" in client.get("/account/bills").text


@pytest.mark.parametrize("path", ["/account/bills/a%00b", "/account/cases/a%00b", "/help/messages/a%00b",
                                  "/help/callback/x%27%3B", "/account/bills?year=%C2%B2"])
def test_odd_references_and_numbers_are_not_found_not_errors(signed_in_client: PageCheckingClient,
                                                             path: str) -> None:
    assert signed_in_client.get(path).status_code in (200, 404)
