"""Your data (/account/privacy): what we keep and why, the consent history, and a copy of all of it
as a page and as a JSON download, with nobody else's data and no secrets in it."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from portal.accounts.models import Bill, CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import OneTimeCode, Passkey, Person
from portal.notify.models import OutboxMessage
from portal.web.sessions import WebSession
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of


@pytest.fixture
def customer(db: Session) -> Person:
    """The customer signed_in_client signs in: two bills, a case and a passkey."""
    made = factories.customer(db, "Alex Green")
    account = factories.account_of(db, made)
    electricity = factories.service_of(db, account)
    factories.bill(db, account, ends_on=factories.today() - dt.timedelta(days=60), service=electricity,
                   standing_pence=900, paid=True)
    factories.bill(db, account, ends_on=factories.today() - dt.timedelta(days=30), service=electricity,
                   standing_pence=900)
    factories.case(db, account, service=electricity)
    factories.passkey(db, made, "Work phone")
    return made


def reference_of(db: Session, someone: Person) -> str:
    return factories.account_of(db, someone).reference


def download(client: PageCheckingClient):
    response = client.get("/account/privacy/download")
    assert response.status_code == 200
    return response


def account_id(db: Session, reference: str) -> int:
    return db.exec(select(CustomerAccount).where(CustomerAccount.reference == reference)).one().id


def test_privacy_page_says_what_we_keep_and_links_to_a_copy(signed_in_client) -> None:
    root = parse(signed_in_client.get("/account/privacy").text)
    assert text_of(root.find(".//h1")) == "Your data"
    main = text_of(root.find(".//main"))
    assert "so we charge you the right amount" in main
    assert root.find(".//main//a[@href='/account/privacy/data']") is not None
    assert root.find(".//main//a[@href='/account/privacy/download']") is not None
    assert root.find(".//main//a[@href='/account']") is not None
    assert "You have not agreed to anything yet." in main


def test_consent_history_is_on_the_privacy_page(client, db: Session) -> None:
    someone = factories.customer(db, "Bea Khan")
    factories.needs(db, someone, channel="phone", support=["large_print"])
    factories.sign_in(client, someone)
    root = parse(client.get("/account/privacy").text)
    table = root.find(".//main//table")
    assert [text_of(th) for th in table.findall(".//thead//th")] == [
        "Date", "What", "Answer", "Who told us"]
    cells = [text_of(td) for td in table.findall(".//tbody/tr[1]/td")]
    assert cells[1:] == ["Keeping what helps you", "Agreed", "Bea Khan"]


def test_download_has_their_bills_and_the_right_headers(signed_in_client, customer: Person,
                                                        db: Session) -> None:
    reference = reference_of(db, customer)
    response = download(signed_in_client)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == f'attachment; filename="my-data-{reference}.json"'
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["you"]["name"] == "Alex Green"
    (account,) = data["accounts"]
    assert account["reference"] == reference
    bills = db.exec(select(Bill).where(Bill.account_id == account_id(db, reference))).all()
    assert sorted(b["reference"] for b in account["bills"]) == sorted(b.reference for b in bills)
    first = account["bills"][0]
    assert first["lines"] and first["total_pence"] == sum(li["amount_pence"] for li in first["lines"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["issued_on"])  # Dates as ISO strings.
    assert data["passkeys"][0]["name"] == "Work phone"
    assert {"services", "payments", "payment_plans", "meter_readings", "cases",
            "appointments"} <= set(account)
    assert account["cases"][0]["steps"]
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "data_downloaded")).one()


def test_download_has_no_secrets(signed_in_client, customer: Person, db: Session) -> None:
    # Leave a code and a session lying about, as real use would.
    token = signed_in_client.csrf_token("/account/details/email")
    signed_in_client.post("/account/details/email",
                          data={"csrf_token": token, "email": "alex.new@example.org"})
    code = re.search(r"\d{6}", db.exec(select(OutboxMessage)).one().body).group(0)
    text = download(signed_in_client).text

    passkey = db.exec(select(Passkey).where(Passkey.person_id == customer.id)).one()
    secrets = [passkey.credential_id, passkey.public_key, customer.webauthn_user_id]
    for secret in secrets:
        for spelling in (secret.hex(), base64.b64encode(secret).decode(),
                         base64.urlsafe_b64encode(secret).decode().rstrip("=")):
            assert spelling not in text
    hashes = [row.code_hash for row in db.exec(select(OneTimeCode))]
    hashes += [row.id_hash for row in db.exec(select(WebSession))]
    assert hashes and not any(h in text for h in hashes)
    assert code not in text
    for key in ("credential_id", "public_key", "code_hash", "id_hash", "session_hash",
                "webauthn_user_id", "sign_count"):
        assert f'"{key}"' not in text
    assert not re.search(r"[0-9a-f]{40,}", text)  # Nothing that looks like a hash or key.


def test_nobody_sees_anyone_elses_data(app, customer: Person, db: Session) -> None:
    other = factories.customer(db, "Bea Khan")
    mine, theirs = reference_of(db, customer), reference_of(db, other)
    with PageCheckingClient(app) as alex, PageCheckingClient(app) as bea:
        factories.sign_in(alex, customer)
        factories.sign_in(bea, other)
        alexs = download(alex).text + alex.get("/account/privacy/data").text
        beas = download(bea).text + bea.get("/account/privacy/data").text
    assert mine in alexs and "Alex Green" in alexs
    assert theirs not in alexs and "Bea Khan" not in alexs and other.email not in alexs
    assert theirs in beas and "Bea Khan" in beas
    assert mine not in beas and "Alex Green" not in beas and customer.email not in beas


def test_someone_with_two_accounts_gets_both(client, customer: Person, db: Session) -> None:
    factories.account(db, customer)
    factories.sign_in(client, customer)
    data = download(client).json()
    assert len(data["accounts"]) == 2


def test_someone_with_no_account_gets_their_own_data(client, db: Session) -> None:
    factories.sign_in(client, factories.person(db, "Bea Khan"))
    response = download(client)
    assert response.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    data = response.json()
    assert data["you"]["name"] == "Bea Khan" and data["accounts"] == []
    assert client.get("/account/privacy/data").status_code == 200


def test_data_page_shows_the_same_data_in_sections(signed_in_client, customer: Person, db: Session) -> None:
    reference = reference_of(db, customer)
    root = parse(signed_in_client.get("/account/privacy/data").text)
    sections = [text_of(h) for h in root.findall(".//main//h2")]
    assert sections == ["You", f"Account {reference}", "How we contact and help you",
                        "What you agreed to", "What was done and when", "Messages",
                        "Your passkeys", "Devices that get notifications"]
    parts = [text_of(h) for h in root.findall(".//main//h3")]
    for part in ("Services", "Bills", "Payments", "Payment plans", "Meter readings",
                 "Cases and orders", "Visits"):
        assert part in parts
    main = text_of(root.find(".//main"))
    bills = db.exec(select(Bill).where(Bill.account_id == account_id(db, reference))).all()
    assert len(bills) == 2
    for bill in bills:
        assert f"Bill {bill.reference}" in main
    assert "Work phone" in main
    assert root.find(".//main//a[@href='/account']") is not None


def test_data_page_shows_needs_in_words(client, customer: Person, db: Session) -> None:
    factories.needs(db, customer, channel="phone", support=["large_print", "extra_time"])
    factories.sign_in(client, customer)
    root = parse(client.get("/account/privacy/data").text)
    rows = {text_of(r.find("dt")): text_of(r.find("dd")) for r in root.findall(".//main//dl/div")}
    assert "Large print" in rows["What helps you"]


def test_signed_out_people_are_asked_to_sign_in(client) -> None:
    response = client.get("/account/privacy/download", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in")


def test_htmx_gets_the_main_element(signed_in_client) -> None:
    response = signed_in_client.get("/account/privacy", headers={"HX-Request": "true"})
    assert response.text.lstrip().startswith("<title>Your data")
    assert "<html" not in response.text
