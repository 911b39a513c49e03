"""The account pages as customers see them, and that nobody sees or changes another's account."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from fastapi import FastAPI
from sqlmodel import Session, select

from portal.accounts import billing, usage
from portal.accounts.models import Bill, Case, CustomerAccount, MeterReading, ReadingSource, Service
from portal.i18n import format_date, format_money
from tests.conftest import PageCheckingClient, sign_in
from tests.page_checks import parse, text_of
from tests.route_table import api_routes

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.


def main_text(html: str) -> str:
    root = parse(html)
    return text_of(root.find(".//main"))


def todo_titles(html: str) -> list[str]:
    return [text_of(h) for h in parse(html).findall(".//h3[@class='todo__title']")]


@pytest.mark.parametrize(("persona", "expected"), [
    ("sam", ["Urgent Pay your late bill", "We need something from you"]),
    ("amina", ["Be at home for your visit"]),
    ("gareth", ["Give us a meter reading"]),
    ("olu", ["Urgent A payment did not go through", "Urgent Make your next payment plan payment"]),
    ("margaret", ["Pay your bill"]),
    ("ceri", []),
])
def test_dashboard_puts_each_persons_things_to_do_first(client: PageCheckingClient, persona: str,
                                                      expected: list[str]) -> None:
    html = sign_in(client, persona).text
    assert todo_titles(html) == expected
    headings = [text_of(h) for h in parse(html).findall(".//main//h2")]
    if expected:
        assert headings[:2] == ["Things to do", "Recent updates"]
    else:
        assert "There are no accounts linked to you yet." in main_text(html)


def bill(db: Session, reference: str) -> Bill:
    return db.exec(select(Bill).where(Bill.reference == reference)).one()


def pounds(pence: int) -> str:
    return format_money(Decimal(pence) / 100)


def test_dashboard_says_how_and_by_when(signed_in_client: PageCheckingClient, db: Session) -> None:
    late = bill(db, "B101502-14")  # The demo dates it from today, so its amount and date vary.
    owed = pounds(billing.total(db, late))
    text = main_text(signed_in_client.get("/account").text)
    assert f"Your bill for {owed} was due on {format_date(late.due_on)}. Please pay it now." in text
    assert "We need a photo of your meter that shows the numbers." in text
    assert re.search(r"Please do this by \d+ \w+ 20\d\d\.", text)
    assert f"You owe {owed}" in text  # Every earlier bill was paid in full.


def test_in_credit_and_two_accounts(client: PageCheckingClient) -> None:
    text = main_text(sign_in(client, "gareth").text)
    assert "You are £84.00 in credit" in text
    assert "Account NF-100871" in text and "Account NF-100872" in text


def test_a_bill_explains_why_it_is_higher(signed_in_client: PageCheckingClient, db: Session) -> None:
    # The use and the price are the same whatever month the demo is made in (see the demo's story for
    # Sam); the totals also count the days each bill covers, so they are read from the bills.
    now, last = billing.total(db, bill(db, "B101502-14")), billing.total(db, bill(db, "B101502-13"))
    assert now > last
    text = main_text(signed_in_client.get("/account/bills/B101502-14").text)
    assert "This bill is late." in text
    assert f"This bill is {pounds(now - last)} more than your last one, which was {pounds(last)}." in text
    assert "You used more electricity: 300 kWh, up from 260 kWh." in text
    assert "The price of electricity went up from 24.5 to 27.44 pence for each kWh." in text
    assert "Use B101502-14 as the reference." in text  # Ways to pay, with the reference to quote.
    printable = main_text(signed_in_client.get("/account/bills/B101502-14/print").text)
    assert "Flat 4, 88 Mill Lane, Northfield" in printable and f"Total {pounds(now)}" in printable


def test_a_direct_debit_bill_needs_nothing_from_the_customer(client: PageCheckingClient) -> None:
    sign_in(client, "amina")
    text = main_text(client.get("/account/bills/B100234-14").text)
    assert "We will take this by Direct Debit on" in text and "Ways to pay" not in text


def test_bills_page_and_filter_by_year_and_htmx_fragment(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "gareth")
    root = parse(client.get("/account/bills").text)
    assert len(root.findall(".//main//tbody/tr")) == 6
    assert root.find(".//nav[@class='pagination']") is not None
    # Fourteen monthly bills, dated from today, always reach back into the year before the latest.
    year = min(billing.bill_years(db, bill(db, "B100871-14").account_id))
    fragment = client.get(f"/account/bills?year={year}", headers={"HX-Request": "true"})
    assert not fragment.text.lstrip().startswith("<!DOCTYPE")  # Just the title and main.
    assert fragment.text.lstrip().startswith("<title>Your bills")
    sent = [text_of(row.findall("td")[0]) for row in
            parse("<!DOCTYPE html>" + fragment.text).findall(".//tbody/tr")]
    assert sent and all(date.endswith(str(year)) for date in sent)
    assert client.get("/account/bills?year=nonsense").status_code == 200  # Shows every year.
    assert client.get("/account/bills?page=nonsense").status_code == 400


def test_payments_show_the_plan_and_the_failed_payment(client: PageCheckingClient) -> None:
    sign_in(client, "olu")
    text = main_text(client.get("/account/payments").text)
    assert "You pay £45.00 each month, 12 times, to clear what you owe." in text
    assert "Payments made 4 of 12" in text and "Left to pay £360.00" in text
    assert "Your payment of £45.00 on" in text and "did not go through" in text


def test_use_has_a_chart_a_summary_and_a_table_of_the_same_numbers(client: PageCheckingClient) -> None:
    sign_in(client, "gareth")
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
    water = parse(client.get("/account/usage?service=4").text)
    assert text_of(water.find(".//main//h2")) == "Water in the last 12 months"


def test_a_reading_with_mistakes_keeps_what_was_typed_then_is_stored_once(
        signed_in_client: PageCheckingClient, db: Session) -> None:
    client = signed_in_client
    token = client.csrf_token("/account/usage/reading")
    service = db.exec(select(Service).join(CustomerAccount).where(
        CustomerAccount.reference == "NF-101502")).one()
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


def test_cases_filter_and_a_timeline_with_what_happens_next(client: PageCheckingClient) -> None:
    sign_in(client, "gareth")
    assert "You have no open cases or orders." in main_text(client.get("/account/cases").text)
    closed = main_text(client.get("/account/cases?show=closed").text)
    assert "Money back" in closed and "Closed on" in closed
    sign_in(client, "amina")
    root = parse(client.get("/account/cases/OR-100234-1").text)
    steps = [text_of(li) for li in root.findall(".//ol[@class='timeline']/li")]
    assert steps[0].startswith("We got your request. Done on")
    assert steps[-1].startswith("Your new meter is fitted and working. Expected by")
    text = text_of(root.find(".//main"))
    assert re.search(r"Smart meter fitting on .+, between 08:00 and 12:00\.", text)
    assert root.find(".//main//a[@href='/help?about=case:OR-100234-1']") is not None


def test_choosing_another_account_changes_what_the_pages_show(client: PageCheckingClient) -> None:
    sign_in(client, "gareth")
    token = client.csrf_token("/account/bills")
    shown = client.post("/account/choose", data={"csrf_token": token, "account": "NF-100872",
                                                 "next": "/account/bills"})
    assert shown.url.path == "/account/bills"
    assert "Showing account NF-100872" in main_text(shown.text)
    assert "B100872-14" in shown.text and "B100871-14" not in shown.text
    # Not an account of Gareth's: refused, and nothing changes.
    refused = client.post("/account/choose", data={"csrf_token": token, "account": "NF-101502",
                                                   "next": "/account/bills"})
    assert refused.status_code == 404
    assert "Showing account NF-100872" in client.get("/account/bills").text


def test_someone_with_no_account_is_sent_to_the_overview(client: PageCheckingClient) -> None:
    sign_in(client, "ceri")
    for path in ("/account/bills", "/account/usage", "/account/cases", "/account/payments"):
        assert client.get(path, follow_redirects=False).headers["location"] == "/account"
    assert client.get("/account/bills", headers={"HX-Request": "true"}).headers["HX-Redirect"] == "/account"


def test_account_pages_need_sign_in(client: PageCheckingClient) -> None:
    response = client.get("/account/bills/B101502-14", follow_redirects=False)
    assert response.headers["location"] == "/sign-in?next=/account/bills/B101502-14"


# Nobody sees another customer's things, through any route, id or fragment.

def sams_things(db: Session) -> dict[str, str]:
    account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == "NF-101502")).one()
    return {
        "reference": "",  # Filled per route below: a bill's or a case's.
        "bill": db.exec(select(Bill).where(Bill.account_id == account.id)).first().reference,
        "case": db.exec(select(Case).where(Case.account_id == account.id)).first().reference,
        "service_id": str(db.exec(select(Service).where(Service.account_id == account.id)).first().id),
    }


def detail_paths(app: FastAPI, things: dict[str, str]) -> list[str]:
    """Every GET route under /account/ that takes an id, filled in with Sam's ids. A new route with a
    parameter this test does not know fails here, so it cannot escape the check."""
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


def test_another_customer_cannot_see_sams_things(app: FastAPI, client: PageCheckingClient,
                                                 db: Session) -> None:
    paths = detail_paths(app, sams_things(db))
    assert len(paths) >= 4
    sign_in(client, "sam")
    assert all(client.get(p).status_code == 200 for p in paths)
    sign_in(client, "amina")
    for path in paths:
        assert client.get(path).status_code == 404, path
        assert client.get(path, headers={"HX-Request": "true"}).status_code == 404, path


def test_ids_in_the_query_only_choose_among_your_own(client: PageCheckingClient, db: Session) -> None:
    sam_service = sams_things(db)["service_id"]
    sign_in(client, "amina")
    use = client.get(f"/account/usage?service={sam_service}").text
    assert "Northfield Standard" not in use and f"service={sam_service}" not in use
    token = client.csrf_token("/account/usage/reading")
    before = len(db.exec(select(MeterReading)).all())
    refused = client.post("/account/usage/reading",
                          data={"csrf_token": token, "service": sam_service, "reading": "99999"})
    assert refused.status_code == 422
    assert len(db.exec(select(MeterReading)).all()) == before


def test_a_visit_page_says_what_we_told_the_engineer(client: PageCheckingClient) -> None:
    """Recorded needs travel with the visit, and the customer can see and change them."""
    sign_in(client, "amina")
    root = parse(client.get("/account/cases/OR-100234-1").text)
    told = "We have told the engineer what helps you: Large print, Extra time."
    assert told in text_of(root.find(".//main"))
    assert root.find(".//main//a[@href='/account/needs']") is not None
    sign_in(client, "sam")  # Sam has told us nothing, so nothing is claimed.
    assert "told the engineer" not in client.get("/account/cases/CS-101502-1").text


def test_use_compares_the_latest_month_with_a_year_before(client: PageCheckingClient, db: Session) -> None:
    sign_in(client, "gareth")
    service = db.exec(select(Service).join(CustomerAccount).where(
        CustomerAccount.reference == "NF-100871", Service.kind == "electricity")).one()
    latest = db.exec(select(MeterReading).where(MeterReading.service_id == service.id)
                     .order_by(MeterReading.read_on.desc())).first()
    # Use in a month depends on the season and the days the demo's readings happen to cover, so make
    # the latest month a tenth more than the same month a year before, whichever month that is.
    summary = usage.summarise(db, service.id)
    assert summary is not None and summary.year_before is not None
    latest.value += round(summary.year_before.amount * 1.1) - summary.latest.amount
    db.add(latest)
    db.commit()
    text = main_text(client.get(f"/account/usage?service={service.id}").text)
    month = format_date(summary.latest.ending, "MMMM")
    assert f"In {month} you used 10% more than a year before." in text


def test_a_link_to_a_meter_on_another_account_shows_that_account(client: PageCheckingClient,
                                                                 db: Session) -> None:
    """Gareth is looking at his workshop; the dashboard's "give a reading" for his home water meter
    must not offer the workshop's meter instead."""
    sign_in(client, "gareth")
    token = client.csrf_token("/account/bills")
    client.post("/account/choose", data={"csrf_token": token, "account": "NF-100872", "next": "/account"})
    water = db.exec(select(Service).join(CustomerAccount).where(
        CustomerAccount.reference == "NF-100871", Service.kind == "water")).one()
    form = parse(client.get(f"/account/usage/reading?service={water.id}").text)
    chosen = form.find(".//input[@name='service'][@checked]")
    assert chosen is not None and chosen.get("value") == str(water.id)
    assert "Showing account NF-100871" in client.get("/account/bills").text


@pytest.mark.parametrize("path", ["/account/bills/a%00b", "/account/cases/a%00b", "/help/messages/a%00b",
                                  "/help/callback/x%27%3B", "/account/bills?year=%C2%B2"])
def test_odd_references_and_numbers_are_not_found_not_errors(signed_in_client: PageCheckingClient,
                                                             path: str) -> None:
    assert signed_in_client.get(path).status_code in (200, 404)
