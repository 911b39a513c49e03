"""How we contact and help you (/account/needs): a person's own communication and access needs,
kept only with their consent, with every consent and withdrawal written down once."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from portal.activity.models import ActivityEntry
from portal.identity.models import Person
from portal.needs.models import CommunicationNeeds, Support
from portal.needs.service import needs_of
from portal.privacy.models import ConsentRecord
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

CONSENT_ERROR = "Tick the box if we can keep this and use it to help you"


@pytest.fixture
def with_needs(db: Session) -> Person:
    """A customer who told us they need large print, more time and a real person, and agreed to us
    keeping it."""
    made = factories.customer(db)
    factories.needs(db, made, channel="phone", support=["large_print", "extra_time", "no_automated_chat"],
                    other="My daughter helps me with my account.")
    return made


def save(client: PageCheckingClient, **fields):
    token = client.csrf_token("/account/needs")
    return client.post("/account/needs", data={"csrf_token": token, **fields},
                       follow_redirects=False)


def consents(db: Session, person_id: int) -> list[bool]:
    db.expire_all()
    return [r.given for r in db.exec(select(ConsentRecord).where(
        ConsentRecord.person_id == person_id).order_by(ConsentRecord.id))]


def checked(html: str, name: str) -> list[str]:
    root = parse(html)
    return [i.get("value") for i in root.findall(f".//input[@name='{name}']")
            if i.get("checked") is not None]


def error_summary(html: str) -> list[tuple[str, str]]:
    root = parse(html)
    return [(a.get("href"), text_of(a)) for a in root.findall(".//*[@class='error-summary']//a")]


def test_the_page_explains_why_we_ask_and_what_we_do(signed_in_client) -> None:
    root = parse(signed_in_client.get("/account/needs").text)
    main = text_of(root.find(".//main"))
    assert text_of(root.find(".//h1")) == "How we contact and help you"
    assert text_of(root.find(".//details/summary")) == "Why we ask"
    assert "We only use it to change how we contact you and how we help you." in main
    assert "You can change it or remove it at any time" in main
    labels = [text_of(root.find(f".//label[@for='{box.get('id')}']"))
              for box in root.findall(".//input[@name='support']")]
    assert labels == ["Large print", "British Sign Language (BSL)", "Relay UK", "Easy read",
                      "Extra time", "A real person, not a computer"]
    # Each thing that helps has a short hint tied to it.
    for box in root.findall(".//input[@name='support']"):
        assert root.find(f".//*[@id='{box.get('aria-describedby')}']") is not None
    assert root.find(".//main//a[@href='/account']") is not None


def test_sending_it_empty_asks_how_to_contact(signed_in_client) -> None:
    response = save(signed_in_client)
    assert response.status_code == 422
    assert error_summary(response.text) == [
        ("#channel", "Choose how you would like us to contact you")]


def test_needs_are_saved_and_consent_recorded_once(signed_in_client, customer: Person, db: Session) -> None:
    fields = {"channel": "letter", "support": ["large_print", "extra_time"],
              "other": "Please call after 10am.", "consent": "yes"}
    response = save(signed_in_client, **fields)
    assert response.status_code == 303 and response.headers["location"] == "/account/needs"
    page = signed_in_client.get("/account/needs")
    assert "We saved your choices" in text_of(parse(page.text).find(".//*[@role='alert']"))
    assert checked(page.text, "channel") == ["letter"]
    assert checked(page.text, "support") == ["large_print", "extra_time"]
    assert checked(page.text, "consent") == ["yes"]
    assert "Please call after 10am." in text_of(parse(page.text).find(".//textarea"))

    row = needs_of(db, customer.id)
    assert row.preferred_channel == "letter" and row.supports == [Support.large_print,
                                                                  Support.extra_time]
    assert consents(db, customer.id) == [True]
    record = db.exec(select(ConsentRecord).where(ConsentRecord.person_id == customer.id)).one()
    assert record.topic == "access_needs" and record.recorded_by_person_id == customer.id

    save(signed_in_client, **fields)  # The same again: no second consent.
    assert consents(db, customer.id) == [True]
    entries = db.exec(select(ActivityEntry).where(ActivityEntry.action == "needs_updated")).all()
    assert len(entries) == 1 and "large" not in entries[0].detail  # Never what the needs are.


def test_consent_is_needed_when_needs_are_given(signed_in_client, customer: Person, db: Session) -> None:
    response = save(signed_in_client, channel="phone", support=["bsl"], other="I lip read.")
    assert response.status_code == 422
    assert error_summary(response.text) == [("#consent", CONSENT_ERROR)]
    # What they chose and wrote comes back.
    assert checked(response.text, "channel") == ["phone"]
    assert checked(response.text, "support") == ["bsl"]
    assert "I lip read." in response.text
    assert needs_of(db, customer.id) is None and consents(db, customer.id) == []

    response = save(signed_in_client, channel="phone", other="I lip read.")
    assert error_summary(response.text) == [("#consent", CONSENT_ERROR)]


def test_a_way_to_contact_alone_needs_no_consent(signed_in_client, customer: Person, db: Session) -> None:
    assert save(signed_in_client, channel="email").status_code == 303
    assert needs_of(db, customer.id).preferred_channel == "email"
    assert consents(db, customer.id) == []


def test_clearing_needs_withdraws_consent_and_deletes_them(client, with_needs: Person, db: Session) -> None:
    factories.sign_in(client, with_needs)
    page = client.get("/account/needs")
    assert checked(page.text, "support") == ["large_print", "extra_time", "no_automated_chat"]
    assert checked(page.text, "consent") == ["yes"]
    assert consents(db, with_needs.id) == [True]

    # Keeping the needs but unticking the box is not allowed.
    response = save(client, channel="letter", support=["large_print"])
    assert error_summary(response.text) == [("#consent", CONSENT_ERROR)]

    response = save(client, channel="none")
    assert response.status_code == 303
    db.expire_all()
    assert needs_of(db, with_needs.id) is None
    assert consents(db, with_needs.id) == [True, False]
    page = client.get("/account/needs")
    assert checked(page.text, "support") == [] and checked(page.text, "consent") == []
    history = parse(client.get("/account/privacy").text)
    assert "Withdrawn" in text_of(history.find(".//table"))
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "needs_removed")).one()


def test_support_taken_away_but_a_way_to_contact_kept(client, with_needs: Person, db: Session) -> None:
    factories.sign_in(client, with_needs)
    save(client, channel="letter", consent="yes")
    db.expire_all()
    row = needs_of(db, with_needs.id)
    assert row.preferred_channel == "letter" and row.support == "" and row.other == ""
    assert consents(db, with_needs.id) == [True, False]


def test_other_needs_have_a_limit_and_odd_values_are_refused(signed_in_client) -> None:
    response = save(signed_in_client, channel="email", other="x" * 501, consent="yes")
    assert error_summary(response.text) == [
        ("#other", "Other needs must be 500 characters or fewer")]
    assert "x" * 501 in response.text
    response = save(signed_in_client, channel="pigeon", support=["telepathy"], consent="yes")
    assert [href for href, _ in error_summary(response.text)] == ["#channel", "#support"]


def test_needs_are_the_persons_own(client, with_needs: Person, db: Session) -> None:
    """Someone with no account of their own has their own needs."""
    no_account = factories.person(db)
    factories.sign_in(client, no_account)
    assert client.get("/account/needs").status_code == 200
    save(client, channel="text", support=["easy_read"], consent="yes")
    assert needs_of(db, no_account.id).supports == [Support.easy_read]
    assert Support.easy_read not in needs_of(db, with_needs.id).supports


def test_htmx_gets_the_main_element(signed_in_client) -> None:
    token = signed_in_client.csrf_token("/account/needs")
    response = signed_in_client.post("/account/needs", headers={"HX-Request": "true"},
                                     data={"csrf_token": token, "support": "bsl"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith("<title>Error:")
    assert '<main id="main-content"' in response.text and "<html" not in response.text
    response = signed_in_client.post("/account/needs", headers={"HX-Request": "true"},
                                     data={"csrf_token": token, "channel": "email"})
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/account/needs"


def test_needs_of_gives_other_features_the_row(db: Session, with_needs: Person, customer: Person) -> None:
    row = needs_of(db, with_needs.id)
    assert isinstance(row, CommunicationNeeds)
    assert needs_of(db, customer.id) is None
