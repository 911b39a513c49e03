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
from tests.conftest import PageCheckingClient
from tests.helpers import latest_code, submit
from tests.page_checks import parse, text_of

pytestmark = pytest.mark.demo  # Not yet on made data: see tests/factories.py.


def normalised(html: str) -> str:
    """The page without what differs per request by design: tokens and CSP nonces."""
    return re.sub(r'nonce="[^"]+"', "", re.sub(r'value="[0-9a-f]{64}"', "", html))


def test_set_up_with_postcode_then_code_signs_in(client, db: Session) -> None:
    response = submit(client, "/set-up", reference="nf 200100", postcode="nf41gh")
    assert response.status_code == 303 and response.headers["location"] == "/set-up/code"
    email = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    sms = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).one()
    assert email.to == "priya@example.org" and sms.to == "07700 900321"
    code = latest_code(db, "priya@example.org")
    response = submit(client, "/set-up/code", code=f"{code[:3]} {code[3:]}")
    assert response.headers["location"] == "/set-up/passkey"
    page = client.get("/set-up/passkey")
    assert "You are signed in, Priya Shah." in page.text
    account = db.exec(select(CustomerAccount).where(CustomerAccount.reference == "NF-200100")).one()
    db.refresh(account)
    assert account.holder_person_id is not None
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "set_up_online_access")).one()


def test_set_up_with_date_of_birth(client, db: Session) -> None:
    submit(client, "/set-up", reference="NF-200200", **{"dob-day": "9", "dob-month": "8",
                                                         "dob-year": "1949"})
    assert latest_code(db, "tom@example.org")
    # Tom has no mobile on record: no text message.
    assert db.exec(select(OutboxMessage).where(OutboxMessage.channel == "sms")).all() == []


def test_unknown_and_known_references_get_the_same_answer(app, db: Session) -> None:
    answers = []
    for details in ({"reference": "NF-200100", "postcode": "NF4 1GH"},
                    {"reference": "NF-999999", "postcode": "NF4 1GH"},
                    {"reference": "NF-200100", "postcode": "ZZ9 9ZZ"}):
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
    response = submit(client, "/set-up", reference="NF-200100")
    assert 'href="#postcode"' in response.text
    assert "Enter your postcode or your date of birth" in response.text


def test_an_enormous_year_of_birth_is_an_error_not_a_crash(client: PageCheckingClient) -> None:
    response = submit(client, "/set-up", reference="NF-200100",
                      **{"dob-day": "1", "dob-month": "1", "dob-year": "9" * 20})
    assert response.status_code == 422 and 'href="#dob-day"' in response.text


def test_code_is_single_use_and_bound_to_the_session(client, app, db: Session) -> None:
    submit(client, "/set-up", reference="NF-200100", postcode="NF4 1GH")
    code = latest_code(db, "priya@example.org")
    with PageCheckingClient(app) as other:
        other.get("/set-up/code")
        assert submit(other, "/set-up/code", code=code).status_code == 422
    assert submit(client, "/set-up/code", code=code).status_code == 303
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_code_expires_after_10_minutes(client, db: Session) -> None:
    submit(client, "/set-up", reference="NF-200100", postcode="NF4 1GH")
    code = latest_code(db, "priya@example.org")
    row = db.exec(select(OneTimeCode)).one()
    row.created_at -= dt.timedelta(minutes=11)
    db.add(row)
    db.commit()
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_five_wrong_codes_use_the_code_up(client, db: Session) -> None:
    submit(client, "/set-up", reference="NF-200100", postcode="NF4 1GH")
    code = latest_code(db, "priya@example.org")
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert submit(client, "/set-up/code", code=wrong).status_code == 422
    assert submit(client, "/set-up/code", code=code).status_code == 422


def test_setting_up_again_is_recovery_and_tells_the_customer(client, db: Session) -> None:
    submit(client, "/set-up", reference="NF-101502", postcode="NF2 9EF")  # Sam, already online.
    submit(client, "/set-up/code", code=latest_code(db, "sam@example.org"))
    assert db.exec(select(ActivityEntry).where(ActivityEntry.action == "recovered_access")).one()
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "You got back into your account")).one()


def test_set_up_attempts_are_rate_limited_per_reference(client) -> None:
    for _ in range(5):
        assert submit(client, "/set-up", reference="NF-200100", postcode="XX1 1XX").status_code == 303
    response = submit(client, "/set-up", reference="NF-200100", postcode="NF4 1GH")
    assert response.status_code == 422
    assert "Wait 15 minutes" in response.text and "0300 123 4567" in response.text


def test_sign_in_with_a_code_by_email_or_reference(client, db: Session) -> None:
    for identifier in ("Sam@Example.org", "nf-101502"):
        response = submit(client, "/sign-in?next=/help", identifier=identifier)
        assert response.headers["location"] == "/sign-in/code?next=/help"
        response = submit(client, "/sign-in/code?next=/help", code=latest_code(db, "sam@example.org"))
        assert response.headers["location"] == "/help"
        assert client.get("/account").url.path == "/account"
        client.post("/sign-out", data={"csrf_token": client.csrf_token("/account")})


def test_code_sign_in_gives_the_same_answer_for_unknown_people(app) -> None:
    answers = []
    for identifier in ("sam@example.org", "nobody@example.org"):
        with PageCheckingClient(app) as client:
            response = submit(client, "/sign-in", identifier=identifier)
            answers.append((response.status_code, response.headers["location"],
                            normalised(client.get(response.headers["location"]).text)))
    assert answers[0] == answers[1]


def test_code_requests_are_rate_limited(client) -> None:
    for _ in range(5):
        submit(client, "/sign-in", identifier="sam@example.org")
    response = submit(client, "/sign-in", identifier="sam@example.org")
    assert response.status_code == 422 and "Wait 15 minutes" in response.text


def test_spelling_a_reference_differently_shares_one_limit(client: PageCheckingClient) -> None:
    variants = ["NF-101502", "nf101502", "N F 101502", "NF 101 502", "nf-10-15-02"]
    for spelling in variants:
        assert submit(client, "/sign-in", identifier=spelling).status_code == 303
    response = submit(client, "/sign-in", identifier="Nf1015 02")
    assert response.status_code == 422 and "Wait 15 minutes" in response.text


def test_email_case_shares_one_limit(client: PageCheckingClient) -> None:
    for spelling in ["sam@example.org", "SAM@example.org", "Sam@Example.org", "sam@EXAMPLE.org",
                     " sam@example.org "]:
        submit(client, "/sign-in", identifier=spelling)
    assert submit(client, "/sign-in", identifier="sAm@example.org").status_code == 422


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
    submit(client, "/sign-in", identifier="sam@example.org")
    response = submit(client, "/sign-in/code", code=typed)
    assert response.status_code == 422 and 'href="#code"' in response.text


@pytest.mark.parametrize(("path", "fields", "to"), [
    ("/set-up", {"reference": "NF-200100", "postcode": "NF4 1GH"}, "priya@example.org"),
    ("/sign-in", {"identifier": "sam@example.org"}, "sam@example.org"),
])
def test_a_form_sent_twice_sends_one_code_that_works(client, db: Session, path, fields, to) -> None:
    submit(client, path, **fields)
    submit(client, path, **fields)
    emails = db.exec(select(OutboxMessage).where(OutboxMessage.to == to)).all()
    assert len(emails) == 1
    response = submit(client, f"{path}/code", code=latest_code(db, to))
    assert response.status_code == 303


def test_a_new_code_after_a_minute_replaces_the_old_one(client, db: Session) -> None:
    submit(client, "/sign-in", identifier="sam@example.org")
    first = db.exec(select(OneTimeCode)).one()
    first.created_at -= dt.timedelta(seconds=61)
    db.add(first)
    db.commit()
    submit(client, "/sign-in", identifier="sam@example.org")
    assert len(db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()) == 2
    assert submit(client, "/sign-in/code", code=latest_code(db, "sam@example.org")).status_code == 303
