"""Your data (/account/privacy): what we keep and why, the consent history, and a copy of all of it
as a page and as a JSON download, with nobody else's data and no secrets in it."""

from __future__ import annotations

import base64
import re

import pytest
from sqlmodel import Session, select

from portal.accounts.models import Bill, CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import OneTimeCode, Passkey, Person
from portal.notify.models import OutboxMessage
from portal.web.sessions import WebSession
from tests.conftest import PageCheckingClient, sign_in
from tests.page_checks import parse, text_of

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.

SAM, AMINA = "NF-101502", "NF-100234"


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


def test_consent_history_is_on_the_privacy_page(client) -> None:
    sign_in(client, "margaret")
    root = parse(client.get("/account/privacy").text)
    table = root.find(".//main//table")
    assert [text_of(th) for th in table.findall(".//thead//th")] == [
        "Date", "What", "Answer", "Who told us"]
    cells = [text_of(td) for td in table.findall(".//tbody/tr[1]/td")]
    assert cells[1:] == ["Keeping what helps you", "Agreed", "Margaret Price"]


def test_download_has_sams_bills_and_the_right_headers(signed_in_client, db: Session) -> None:
    response = download(signed_in_client)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == f'attachment; filename="my-data-{SAM}.json"'
    assert response.headers["cache-control"] == "no-store"
    data = response.json()
    assert data["you"]["name"] == "Sam Taylor"
    (account,) = data["accounts"]
    assert account["reference"] == SAM
    bills = db.exec(select(Bill).where(Bill.account_id == account_id(db, SAM))).all()
    assert sorted(b["reference"] for b in account["bills"]) == sorted(b.reference for b in bills)
    first = account["bills"][0]
    assert first["lines"] and first["total_pence"] == sum(li["amount_pence"] for li in first["lines"])
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", first["issued_on"])  # Dates as ISO strings.
    assert data["passkeys"][0]["name"] == "Sam's phone"
    assert {"services", "payments", "payment_plans", "meter_readings", "cases",
            "appointments"} <= set(account)
    assert account["cases"][0]["steps"]
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "data_downloaded")).one()


def test_download_has_no_secrets(signed_in_client, db: Session) -> None:
    # Leave a code and a session lying about, as real use would.
    token = signed_in_client.csrf_token("/account/details/email")
    signed_in_client.post("/account/details/email",
                          data={"csrf_token": token, "email": "sam.new@example.org"})
    code = re.search(r"\d{6}", db.exec(select(OutboxMessage)).one().body).group(0)
    text = download(signed_in_client).text

    sam = db.exec(select(Person).where(Person.name == "Sam Taylor")).one()
    passkey = db.exec(select(Passkey).where(Passkey.person_id == sam.id)).one()
    secrets = [passkey.credential_id, passkey.public_key, sam.webauthn_user_id]
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


def test_nobody_sees_anyone_elses_data(app, db: Session) -> None:
    with PageCheckingClient(app) as sam, PageCheckingClient(app) as amina:
        sign_in(sam, "sam")
        sign_in(amina, "amina")
        sams = download(sam).text + sam.get("/account/privacy/data").text
        aminas = download(amina).text + amina.get("/account/privacy/data").text
    assert SAM in sams and "Sam Taylor" in sams
    assert AMINA not in sams and "Amina" not in sams and "amina@example.org" not in sams
    assert AMINA in aminas and "Amina Haddad" in aminas
    assert SAM not in aminas and "Sam Taylor" not in aminas and "sam@example.org" not in aminas


def test_someone_with_two_accounts_gets_both(client) -> None:
    sign_in(client, "gareth")
    data = download(client).json()
    assert len(data["accounts"]) == 2


def test_someone_with_no_account_gets_their_own_data(client) -> None:
    sign_in(client, "ceri")
    response = download(client)
    assert response.headers["content-disposition"] == 'attachment; filename="my-data.json"'
    data = response.json()
    assert data["you"]["name"] == "Ceri Price" and data["accounts"] == []
    assert client.get("/account/privacy/data").status_code == 200


def test_data_page_shows_the_same_data_in_sections(signed_in_client, db: Session) -> None:
    root = parse(signed_in_client.get("/account/privacy/data").text)
    sections = [text_of(h) for h in root.findall(".//main//h2")]
    assert sections == ["You", f"Account {SAM}", "How we contact and help you",
                        "What you agreed to", "What was done and when", "Messages",
                        "Your passkeys", "Devices that get notifications"]
    parts = [text_of(h) for h in root.findall(".//main//h3")]
    for part in ("Services", "Bills", "Payments", "Payment plans", "Meter readings",
                 "Cases and orders", "Visits"):
        assert part in parts
    main = text_of(root.find(".//main"))
    for bill in db.exec(select(Bill).where(Bill.account_id == account_id(db, SAM))):
        assert f"Bill {bill.reference}" in main
    assert "Sam's phone" in main
    assert root.find(".//main//a[@href='/account']") is not None


def test_data_page_shows_needs_in_words(client) -> None:
    sign_in(client, "margaret")
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
