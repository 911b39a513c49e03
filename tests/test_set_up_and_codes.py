"""Setting up online access and signing in with a one-time code."""

from __future__ import annotations

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from sqlmodel import Session, select

from portal.accounts.models import CustomerAccount
from portal.activity.models import ActivityEntry
from portal.identity.models import OneTimeCode
from portal.identity.signing_in import client_address
from portal.notify.models import InboxMessage, OutboxMessage
from portal.web.ratelimit import Limit, allow
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import latest_code, submit
from tests.page_checks import parse, text_of

# Customers of ours not online yet: one with a mobile, one without.
NEW, NEW_EMAIL, NEW_PHONE = "NF-500100", "lena@example.org", "07700 900321"
NO_MOBILE, NO_MOBILE_EMAIL = "NF-500200", "ray@example.org"
# A customer already online.
ONLINE, ONLINE_EMAIL = "NF-123456", "alex@example.org"


@pytest.fixture(autouse=True)
def customers(db: Session) -> None:
    factories.account(db, None, reference=NEW, holder_name="Lena Shah", postcode="NF4 1GH",
                      email=NEW_EMAIL, phone=NEW_PHONE)
    factories.account(db, None, reference=NO_MOBILE, holder_name="Ray Evans", postcode="NF5 3JK",
                      date_of_birth=dt.date(1949, 8, 9), email=NO_MOBILE_EMAIL, phone="")
    online = factories.customer(db, "Alex Green", email=ONLINE_EMAIL,
                                account_fields={"reference": ONLINE, "postcode": "NF2 9EF"})
    factories.passkey(db, online)


def normalised(html: str) -> str:
    """The page without what differs per request by design: tokens and CSP nonces."""
    return re.sub(r'nonce="[^"]+"', "", re.sub(r'value="[0-9a-f]{64}"', "", html))


def test_set_up_with_postcode_then_code_signs_in(client, db: Session) -> None:
    response = submit(client, "/set-up", reference="nf 500100", postcode="nf41gh")
    assert response.status_code == 303 and response.headers["location"] == "/set-up/code"
    email = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    sms = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
    assert email.to == NEW_EMAIL and sms.to == NEW_PHONE
    code = latest_code(db, NEW_EMAIL)
    response = submit(client, "/set-up/code", code=f"{code[:3]} {code[3:]}")
    assert response.headers["location"] == "/set-up/passkey"
    page = client.get("/set-up/passkey")
    assert "You are signed in, Lena Shah." in page.text
    account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == NEW)).one()
    db.refresh(account)
    assert account.holder_person_id is not None
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "set_up_online_access")).one()


def test_set_up_with_date_of_birth(client, db: Session) -> None:
    submit(client, "/set-up", reference=NO_MOBILE, **{"dob-day": "9", "dob-month": "8",
                                                         "dob-year": "1949"})
    assert latest_code(db, NO_MOBILE_EMAIL)
    # No mobile on record: no text message.
    assert db.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all() == []


def test_unknown_and_known_references_get_the_same_answer(app, db: Session) -> None:
    answers = []
    for details in ({"reference": NEW, "postcode": "NF4 1GH"},
                    {"reference": "NF-999999", "postcode": "NF4 1GH"},
                    {"reference": NEW, "postcode": "ZZ9 9ZZ"}):
        with PageCheckingClient(app) as client:
            first = submit(client, "/set-up", **details)
            follow = client.get(first.headers["location"])
            answers.append((first.status_code, first.headers["location"],
                            sorted(k for k in first.headers if k != "set-cookie"),
                            follow.status_code, normalised(follow.text)))
    assert answers[0] == answers[1] == answers[2]
    # Only the real match got a code.
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()) == 1


def test_a_code_for_an_unknown_reference_never_works(client, db: Session) -> None:
    submit(client, "/set-up", reference="NF-999999", postcode="NF4 1GH")
    row = db.exec(select(OutboxMessage)).first()
    assert row is None
    response = submit(client, "/set-up/code", code="123456")
    assert response.status_code == 422
    assert "That code is wrong or has expired" in response.text


def test_set_up_errors_link_to_fields_and_keep_what_was_typed(client) -> None:
    response = submit(client, "/set-up", reference="12345", postcode="",
                      **{"dob-day": "31", "dob-month": "2", "dob-year": "1980"})
    assert response.status_code == 422
    root = parse(response.text)
    links = [(a.get("href"), text_of(a)) for a in root.findall(".//div[@class='error-summary']//a")]
    assert links == [("#reference", "Enter your customer reference as 2 letters and 6 numbers, "
                                    "like NF-100234"),
                     ("#dob-day", "Enter your date of birth as numbers, like 27 3 1985")]
    assert root.find(".//input[@name='reference']").get("value") == "12345"
    assert root.find(".//input[@name='dob-day']").get("value") == "31"


def test_set_up_needs_postcode_or_date_of_birth(client) -> None:
    response = submit(client, "/set-up", reference=NEW)
    assert 'href="#postcode"' in response.text
    assert "Enter your postcode or your date of birth" in response.text


def test_an_enormous_year_of_birth_is_an_error_not_a_crash(client: PageCheckingClient) -> None:
    response = submit(client, "/set-up", reference=NEW,
                      **{"dob-day": "1", "dob-month": "1", "dob-year": "9" * 20})
    assert response.status_code == 422 and 'href="#dob-day"' in response.text


def test_code_is_single_use_and_bound_to_the_session(client, app, db: Session) -> None:
    submit(client, "/set-up", reference=NEW, postcode="NF4 1GH")
    code = latest_code(db, NEW_EMAIL)
    with PageCheckingClient(app) as other:
        other.get("/set-up/code")
        assert submit(other, "/set-up/code", code=code).status_code == 422
    assert submit(client, "/set-up/code", code=code).status_code == 303
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_code_expires_after_10_minutes(client, db: Session) -> None:
    submit(client, "/set-up", reference=NEW, postcode="NF4 1GH")
    code = latest_code(db, NEW_EMAIL)
    row = db.exec(select(OneTimeCode)).one()
    row.created_at -= dt.timedelta(minutes=11)
    db.add(row)
    db.commit()
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_five_wrong_codes_use_the_code_up(client, db: Session) -> None:
    submit(client, "/set-up", reference=NEW, postcode="NF4 1GH")
    code = latest_code(db, NEW_EMAIL)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert submit(client, "/set-up/code", code=wrong).status_code == 422
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_setting_up_again_is_recovery_and_tells_the_customer(client, db: Session) -> None:
    submit(client, "/set-up", reference=ONLINE, postcode="NF2 9EF")  # Already online.
    submit(client, "/set-up/code", code=latest_code(db, ONLINE_EMAIL))
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "recovered_access")).one()
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "You got back into your account")).one()


def too_many(response) -> bool:
    """The page that says to wait, and for how long."""
    return (response.status_code == 429 and int(response.headers["Retry-After"]) > 0
            and "Wait before you try again" in response.text and "0300 123 4567" in response.text)


def test_set_up_attempts_are_rate_limited_per_reference(client) -> None:
    for _ in range(5):
        assert submit(client, "/set-up", reference=NEW, postcode="XX1 1XX").status_code == 303
    assert too_many(submit(client, "/set-up", reference=NEW, postcode="NF4 1GH"))


def test_sign_in_with_a_code_by_email_or_reference(client, db: Session) -> None:
    for identifier in ("Alex@Example.org", "nf-123456"):
        response = submit(client, "/sign-in?next=/help", identifier=identifier)
        assert response.headers["location"] == "/sign-in/code?next=/help"
        response = submit(client, "/sign-in/code?next=/help", code=latest_code(db, ONLINE_EMAIL))
        assert response.headers["location"] == "/help"
        assert client.get("/account").url.path == "/account"
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account")})


def test_code_sign_in_gives_the_same_answer_for_unknown_people(app) -> None:
    answers = []
    for identifier in (ONLINE_EMAIL, "nobody@example.org"):
        with PageCheckingClient(app) as client:
            response = submit(client, "/sign-in", identifier=identifier)
            answers.append((response.status_code, response.headers["location"],
                            normalised(client.get(response.headers["location"]).text)))
    assert answers[0] == answers[1]


def test_code_requests_are_rate_limited(client) -> None:
    for _ in range(5):
        submit(client, "/sign-in", identifier=ONLINE_EMAIL)
    assert too_many(submit(client, "/sign-in", identifier=ONLINE_EMAIL))


def test_spelling_a_reference_differently_shares_one_limit(client: PageCheckingClient) -> None:
    variants = ["NF-123456", "nf123456", "N F 123456", "NF 123 456", "nf-12-34-56"]
    for spelling in variants:
        assert submit(client, "/sign-in", identifier=spelling).status_code == 303
    assert too_many(submit(client, "/sign-in", identifier="Nf1234 56"))


def test_email_case_shares_one_limit(client: PageCheckingClient) -> None:
    for spelling in ["alex@example.org", "ALEX@example.org", "Alex@Example.org", "alex@EXAMPLE.org",
                     " alex@example.org "]:
        submit(client, "/sign-in", identifier=spelling)
    assert too_many(submit(client, "/sign-in", identifier="aLex@example.org"))


def test_refused_tries_do_not_make_the_wait_longer(db: Session) -> None:
    limit = Limit("test", 2, dt.timedelta(minutes=15))
    assert [allow(db, limit, "x") for _ in range(4)] == [True, True, False, False]
    from sqlmodel import select

    from portal.web.ratelimit import RateLimitHit
    assert len(db.exec(select(RateLimitHit)).all()) == 2


@pytest.mark.parametrize(("host", "key"), [
    ("203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
    ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
])
def test_ipv6_clients_are_limited_by_their_64(host: str, key: str) -> None:
    assert client_address(SimpleNamespace(client=SimpleNamespace(host=host))) == key


@pytest.mark.parametrize("typed", ["", "12345", "abcdef"])
def test_badly_typed_codes_get_clear_errors(client, typed: str) -> None:
    submit(client, "/sign-in", identifier=ONLINE_EMAIL)
    response = submit(client, "/sign-in/code", code=typed)
    assert response.status_code == 422 and 'href="#code"' in response.text


@pytest.mark.parametrize(("path", "fields", "to"), [
    ("/set-up", {"reference": NEW, "postcode": "NF4 1GH"}, NEW_EMAIL),
    ("/sign-in", {"identifier": ONLINE_EMAIL}, ONLINE_EMAIL),
])
def test_a_form_sent_twice_sends_one_code_that_works(client, db: Session, path, fields, to) -> None:
    submit(client, path, **fields)
    submit(client, path, **fields)
    emails = db.exec(select(OutboxMessage).where(OutboxMessage.to == to)).all()
    assert len(emails) == 1
    response = submit(client, f"{path}/code", code=latest_code(db, to))
    assert response.status_code == 303


def test_a_new_code_after_a_minute_replaces_the_old_one(client, db: Session) -> None:
    submit(client, "/sign-in", identifier=ONLINE_EMAIL)
    first = db.exec(select(OneTimeCode)).one()
    first.created_at -= dt.timedelta(seconds=61)
    db.add(first)
    db.commit()
    submit(client, "/sign-in", identifier=ONLINE_EMAIL)
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()) == 2
    assert submit(client, "/sign-in/code", code=latest_code(db, ONLINE_EMAIL)).status_code == 303
