"""Your details (/account/details): what is on the account, and changing the email address or phone
number with a code sent to the new one."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session, select

from portal import i18n
from portal.accounts.models import CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import OneTimeCode, Person
from portal.notify.models import InboxMessage, OutboxMessage
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

REFERENCE, EMAIL, PHONE = "NF-123456", "alex@example.org", "07700 900789"


@pytest.fixture
def customer(db: Session) -> Person:
    """The customer signed_in_client signs in."""
    return factories.customer(db, "Alex Green", email=EMAIL, phone=PHONE, account_fields={
        "reference": REFERENCE, "address": "Flat 4, 88 Mill Lane, Northfield", "postcode": "NF2 9EF"})


def post(client: PageCheckingClient, path: str, **fields):
    token = client.csrf_token("/account/details/email")
    return client.post(path, data={"csrf_token": token, **fields}, follow_redirects=False)


def account(db: Session, reference: str = REFERENCE) -> CustomerAccount:
    db.expire_all()
    return db.exec(select(CustomerAccount).where(CustomerAccount.reference == reference)).one()


def messages_to(db: Session, to: str) -> list[OutboxMessage]:
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.to == to)
                        .order_by(OutboxMessage.id)).all())


def code_in(message: OutboxMessage) -> str:
    match = re.search(r"\b(\d{6})\b", message.body)
    assert match, message.body
    return match.group(1)


def error_summary(html: str) -> list[tuple[str, str]]:
    root = parse(html)
    return [(link.get("href"), text_of(link)) for link in root.findall(".//*[@class='error-summary']//a")]


def test_details_page_shows_the_account_with_change_links(signed_in_client) -> None:
    response = signed_in_client.get("/account/details")
    root = parse(response.text)
    rows = {text_of(row.find("dt")): row for row in root.findall(".//dl/div")}
    assert text_of(rows["Name"].find("dd")) == "Alex Green"
    assert text_of(rows["Address"].find("dd")) == "Flat 4, 88 Mill Lane, Northfield, NF2 9EF"
    assert rows["Address"].find(".//a") is None  # The address is not changed here.
    email_link = rows["Email address"].find(".//a")
    assert email_link.get("href") == "/account/details/email"
    assert text_of(email_link) == "Change email address"
    assert text_of(email_link.find("span[@class='visually-hidden']")) == "email address"
    assert text_of(rows["Phone number"].find(".//a")) == "Change phone number"
    moving = root.find(".//main//a[@href='/help?about=moving']")
    assert text_of(moving) == "tell us you are moving"
    assert root.find(".//main//a[@href='/account']") is not None


def test_without_permission_there_is_no_change_link_and_no_change(
        signed_in_client, db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.access import Permission
    from portal.details import service

    monkeypatch.setattr(service, "can", lambda actor, subject, permission:
                        permission is not Permission.change_details)
    root = parse(signed_in_client.get("/account/details").text)
    assert "Change" not in text_of(root.find(".//main"))
    assert signed_in_client.get("/account/details/email").status_code == 404
    token = signed_in_client.csrf_token("/account/details")  # Any form on the site has one.
    response = signed_in_client.post("/account/details/email",
                                     data={"csrf_token": token, "email": "new@example.org"})
    assert response.status_code == 404
    assert messages_to(db, "new@example.org") == []


def test_someone_with_no_account_is_sent_to_the_dashboard(client, db: Session) -> None:
    factories.sign_in(client, factories.person(db))
    assert client.get("/account/details").url.path == "/account"
    token = client.csrf_token("/account")
    response = client.post("/account/details/email", data={"csrf_token": token,
                                                           "email": "new@example.org"})
    assert response.url.path == "/account"
    assert messages_to(db, "new@example.org") == []


def test_form_comes_filled_in(signed_in_client) -> None:
    root = parse(signed_in_client.get("/account/details/email").text)
    field = root.find(".//input[@name='email']")
    assert field.get("value") == EMAIL and field.get("type") == "email"
    assert text_of(root.find(".//h1")) == "What is your new email address?"
    phone = parse(signed_in_client.get("/account/details/phone").text).find(".//input[@name='phone']")
    assert phone.get("value") == PHONE and phone.get("type") == "tel"


@pytest.mark.parametrize(("path", "field", "typed", "message"), [
    ("/account/details/email", "email", "", "Enter your new email address"),
    ("/account/details/email", "email", "alex at example", "Check your email address. It should "
                                                           "look like name@example.com"),
    ("/account/details/email", "email", "ALEX@example.org",
     "This is already your email address. Enter a new one."),
    ("/account/details/email", "email", "a" * 250 + "@example.org",
     "Your email address is too long. Use 254 characters or fewer."),
    ("/account/details/phone", "phone", "", "Enter your new phone number"),
    ("/account/details/phone", "phone", "12345", "Enter a UK phone number, like 07700 900123"),
    ("/account/details/phone", "phone", "07700-900-111", "Enter a UK phone number, like 07700 900123"),
    ("/account/details/phone", "phone", "+44 7700 900789",
     "This is already your phone number. Enter a new one."),
])
def test_errors_are_shown_with_the_value_kept(signed_in_client, db: Session, path: str,
                                              field: str, typed: str, message: str) -> None:
    response = post(signed_in_client, path, **{field: typed})
    assert response.status_code == 422
    assert error_summary(response.text) == [(f"#{field}", message)]
    root = parse(response.text)
    assert text_of(root.find(f".//p[@id='{field}-error']")) == f"Error: {message}"
    assert root.find(f".//input[@name='{field}']").get("value") == typed
    assert text_of(root.find(".//title")).startswith("Error:")
    assert db.exec(select(OutboxMessage)).all() == []


def test_email_change_with_the_code_from_the_new_address(signed_in_client, db: Session,
                                                         settings) -> None:
    response = post(signed_in_client, "/account/details/email", email=" alex.new@example.org ")
    assert response.status_code == 303
    assert response.headers["location"] == "/account/details/confirm"
    (sent,) = messages_to(db, "alex.new@example.org")
    assert messages_to(db, EMAIL) == []  # Nothing changed yet, so nothing to tell.
    page = signed_in_client.get("/account/details/confirm")
    assert "We sent a 6-digit code to alex.new@example.org." in text_of(parse(page.text))
    # Going back to fix a typing mistake shows what was typed.
    form = parse(signed_in_client.get("/account/details/email").text)
    assert form.find(".//input[@name='email']").get("value") == "alex.new@example.org"

    wrong = "000000" if code_in(sent) != "000000" else "111111"
    response = post(signed_in_client, "/account/details/confirm", code=wrong)
    assert response.status_code == 422
    assert error_summary(response.text) == [(
        "#code", "That code is wrong. Check it and try again. You have 4 tries left.")]
    assert account(db).email == EMAIL

    response = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert response.status_code == 303 and response.headers["location"] == "/account/details"
    page = signed_in_client.get("/account/details")
    banner = parse(page.text).find(".//*[@role='alert']")
    assert "Your email address was changed" in text_of(banner)
    assert "alex.new@example.org" in page.text

    changed = account(db)
    assert changed.email == "alex.new@example.org"
    assert db.get(Person, changed.holder_person_id).email == "alex.new@example.org"
    (told,) = messages_to(db, EMAIL)
    assert told.subject == "Your email address was changed"
    assert f"If this was not you, call us on {settings.help.phone}." in told.body
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "Your email address was changed")).one()
    entry = db.exec(select(ActivityEntry).where(ActivityEntry.action == "email_changed")).one()
    assert entry.subject_account_id == changed.id and entry.actor_person_id == changed.holder_person_id
    # The pending change is gone: the code page sends people back to their details.
    assert signed_in_client.get("/account/details/confirm").url.path == "/account/details"


def test_phone_change_texts_the_new_number_and_tells_the_old_one(signed_in_client,
                                                                 db: Session) -> None:
    post(signed_in_client, "/account/details/phone", phone="07700  900 111")
    (sent,) = messages_to(db, "07700 900 111")
    assert sent.channel == "sms"
    post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    changed = account(db)
    assert changed.phone == "07700 900 111"
    assert db.get(Person, changed.holder_person_id).phone == "07700 900 111"
    (told,) = messages_to(db, PHONE)
    assert told.channel == "sms" and "The phone number on your account" in told.body
    assert [m.subject for m in messages_to(db, EMAIL)] == ["Your phone number was changed"]
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "phone_changed")).one()


def test_sending_the_form_twice_sends_one_code_that_works(signed_in_client, db: Session) -> None:
    first = post(signed_in_client, "/account/details/email", email="twice@example.org")
    second = post(signed_in_client, "/account/details/email", email="twice@example.org")
    assert first.status_code == second.status_code == 303
    (sent,) = messages_to(db, "twice@example.org")
    post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert account(db).email == "twice@example.org"


def test_a_different_address_gets_its_own_code(signed_in_client, db: Session) -> None:
    post(signed_in_client, "/account/details/email", email="typo@example.og")
    post(signed_in_client, "/account/details/email", email="right@example.org")
    (first,) = messages_to(db, "typo@example.og")
    (second,) = messages_to(db, "right@example.org")
    response = post(signed_in_client, "/account/details/confirm", code=code_in(first))
    if code_in(first) != code_in(second):
        assert response.status_code == 422  # Only the latest code counts.
    post(signed_in_client, "/account/details/confirm", code=code_in(second))
    assert account(db).email == "right@example.org"


def test_an_expired_code_says_so_and_a_new_code_works(signed_in_client, db: Session) -> None:
    post(signed_in_client, "/account/details/email", email="late@example.org")
    (sent,) = messages_to(db, "late@example.org")
    row = db.exec(select(OneTimeCode).where(OneTimeCode.purpose == "contact_change")).one()
    row.created_at = row.created_at - dt.timedelta(minutes=11)
    db.add(row)
    db.commit()
    response = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert response.status_code == 422
    assert error_summary(response.text) == [
        ("#code", "That code has run out. Codes last 10 minutes. Ask for a new code.")]
    root = parse(response.text)
    assert root.find(".//form[@action='/account/details/confirm/new-code']//button") is not None

    response = post(signed_in_client, "/account/details/confirm/new-code")
    assert response.headers["location"] == "/account/details/confirm"
    page = signed_in_client.get("/account/details/confirm")
    assert "We sent you a new code" in text_of(parse(page.text).find(".//*[@role='alert']"))
    _old, new = messages_to(db, "late@example.org")
    post(signed_in_client, "/account/details/confirm", code=code_in(new))
    assert account(db).email == "late@example.org"


def test_too_many_wrong_codes_then_a_new_code(signed_in_client, db: Session) -> None:
    post(signed_in_client, "/account/details/phone", phone="07700 900222")
    (sent,) = messages_to(db, "07700 900222")
    wrong = "000000" if code_in(sent) != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = post(signed_in_client, "/account/details/confirm", code=wrong)
        try_word = "try" if left == 1 else "tries"
        assert f"You have {left} {try_word} left." in response.text
    response = post(signed_in_client, "/account/details/confirm", code=wrong)
    assert error_summary(response.text) == [
        ("#code", "You have tried that code too many times. Ask for a new code.")]
    # Even the right code no longer works.
    response = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert response.status_code == 422 and account(db).phone == PHONE
    post(signed_in_client, "/account/details/confirm/new-code")
    new = messages_to(db, "07700 900222")[-1]
    assert new.id != sent.id
    post(signed_in_client, "/account/details/confirm", code=code_in(new))
    assert account(db).phone == "07700 900222"


def test_the_code_page_needs_a_change_waiting(signed_in_client) -> None:
    assert signed_in_client.get("/account/details/confirm").url.path == "/account/details"
    response = post(signed_in_client, "/account/details/confirm", code="123456")
    assert response.status_code == 303 and response.headers["location"] == "/account/details"


def test_a_code_works_only_in_the_session_that_asked(app, signed_in_client,
                                                     db: Session) -> None:
    other = factories.customer(db, "Bea Khan", email="bea@example.org")
    with PageCheckingClient(app) as bea:
        factories.sign_in(bea, other)
        post(bea, "/account/details/email", email="bea.new@example.org")
    (sent,) = messages_to(db, "bea.new@example.org")
    # Alex has the code (say it was sent to an address they hold): it does nothing for them.
    response = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert response.headers["location"] == "/account/details"
    post(signed_in_client, "/account/details/email", email="bea.new@example.org")
    post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert account(db, factories.account_of(db, other).reference).email == "bea@example.org"
    assert account(db).email == EMAIL


def test_an_address_someone_else_signs_in_with_is_refused(signed_in_client, db: Session) -> None:
    factories.person(db, "Bea Khan", email="bea@example.org")
    post(signed_in_client, "/account/details/email", email="bea@example.org")
    (sent,) = messages_to(db, "bea@example.org")
    response = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert response.status_code == 422
    assert error_summary(response.text)[0][0] == "#email"
    assert "Someone else already uses this email address" in response.text
    assert parse(response.text).find(".//input[@name='email']").get("value") == "bea@example.org"
    assert account(db).email == EMAIL


def test_too_many_codes_are_refused(signed_in_client, db: Session) -> None:
    for n in range(5):
        assert post(signed_in_client, "/account/details/email",
                    email=f"try{n}@example.org").status_code == 303
    response = post(signed_in_client, "/account/details/email", email="try5@example.org")
    assert response.status_code == 422
    assert "You have asked for too many codes" in response.text
    assert messages_to(db, "try5@example.org") == []


def test_htmx_gets_the_main_element_and_a_redirect(signed_in_client) -> None:
    token = signed_in_client.csrf_token("/account/details/email")
    headers = {"HX-Request": "true"}
    response = signed_in_client.post("/account/details/email", headers=headers,
                                     data={"csrf_token": token, "email": "nope"})
    assert response.status_code == 422
    assert not response.text.lstrip().startswith("<!DOCTYPE")
    assert response.text.lstrip().startswith("<title>Error:")
    assert '<main id="main-content"' in response.text and 'value="nope"' in response.text
    response = signed_in_client.post("/account/details/email", headers=headers,
                                     data={"csrf_token": token, "email": "htmx@example.org"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/account/details/confirm"
    page = signed_in_client.get("/account/details", headers=headers)
    assert page.text.lstrip().startswith("<title>Your details")


def test_the_holder_is_told_in_their_own_language(client: PageCheckingClient, db: Session) -> None:
    """Whatever language the page was in, the notice of a change is in the holder's language."""
    welsh = factories.customer(db, preferred_language="cy")
    factories.sign_in(client, welsh)
    client.cookies.set("portal_lang", "en")
    post(client, "/account/details/phone", phone="07700 900 222")
    (sent,) = messages_to(db, "07700 900 222")
    post(client, "/account/details/confirm", code=code_in(sent))
    (told,) = messages_to(db, welsh.email)
    i18n.set_locale("cy")
    assert told.subject == i18n.gettext("Your phone number was changed") != "Your phone number was changed"


def test_sending_the_right_code_twice_is_still_a_success(signed_in_client, db: Session) -> None:
    """A double click on Continue: the first changes the email, the second must not say it failed."""
    post(signed_in_client, "/account/details/email", email="alex.twice@example.org")
    (sent,) = messages_to(db, "alex.twice@example.org")
    first = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    again = post(signed_in_client, "/account/details/confirm", code=code_in(sent))
    assert first.status_code == 303 and first.headers["location"] == "/account/details"
    assert again.status_code in (303, 200) and "run out" not in again.text
    assert account(db).email == "alex.twice@example.org"
