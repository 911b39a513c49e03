"""Sign-in limits slow an attacker without locking the owner out.

Codes are counted per address and per identifier apart; a new device is slowed, not shut out; a device
the owner signed in on before has its own count; the owner's passkey always works; every refusal is a
429 with Retry-After and a page (or, for passkeys, words) that says when to try again and what to do
meanwhile; and only a few wrong codes a day are checked for any one account."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from portal.identity.models import OneTimeCode
from portal.web.ratelimit import RateLimitHit
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import assertion, latest_code, post_json, register, sign_out, submit
from tests.softauthn import SoftAuthenticator

# The owner: a customer online. Another customer online, and a customer not online yet.
OWNER, OWNER_REFERENCE = "alex@example.org", "NF-123456"
OTHER = "bea@example.org"
NOT_ONLINE = "NF-500100"


@pytest.fixture(autouse=True)
def customers(db: Session) -> None:
    factories.customer(db, email=OWNER, account_fields={"reference": OWNER_REFERENCE, "postcode": "NF2 9EF"})
    factories.customer(db, email=OTHER)
    factories.account(db, None, reference=NOT_ONLINE, postcode="NF4 1GH", email="lena@example.org")


def from_address(app: FastAPI, address: str) -> PageCheckingClient:
    """A browser of its own (no cookies) at this internet address."""
    return PageCheckingClient(app, client=(address, 50000))


def ask_for_code(client: PageCheckingClient, identifier: str = OWNER):
    return submit(client, "/sign-in", identifier=identifier)


def waits(response, *, most: int | None = None) -> int:
    """A refusal as the rules want it: 429, Retry-After, and a page saying when and what to do."""
    assert response.status_code == 429, response.status_code
    seconds = int(response.headers["Retry-After"])
    assert seconds > 0 and (most is None or seconds <= most)
    assert "Wait before you try again" in response.text
    assert "You can try again" in response.text and "0300 123 4567" in response.text
    assert 'href="/sign-in"' in response.text  # A passkey still works: the way to it.
    return seconds


def signs_in_with_a_code(client: PageCheckingClient, db: Session, to: str = OWNER) -> bool:
    if ask_for_code(client).status_code != 303:
        return False
    response = submit(client, "/sign-in/code", code=latest_code(db, to))
    return response.status_code == 303 and client.get("/account").url.path == "/account"


def age_hits(db: Session, seconds: int) -> None:
    """Every attempt so far as if made `seconds` earlier."""
    for hit in db.exec(select(RateLimitHit)).all():
        hit.at -= dt.timedelta(seconds=seconds)
        db.add(hit)
    db.commit()


# Asking for codes

def test_an_attacker_at_one_address_does_not_stop_the_owner_at_another(app, db) -> None:
    with from_address(app, "203.0.113.66") as attacker:
        for _ in range(5):
            assert ask_for_code(attacker).status_code == 303
        assert waits(ask_for_code(attacker)) > 60  # This address waits out the window.
    with from_address(app, "198.51.100.7") as owner:
        assert signs_in_with_a_code(owner, db)


def test_many_addresses_slow_a_new_device_to_one_code_a_minute_but_never_shut_it(app, db) -> None:
    for number in range(5):
        with from_address(app, f"203.0.113.{number}") as attacker:
            assert ask_for_code(attacker).status_code == 303
            assert ask_for_code(attacker).status_code == 303
    with from_address(app, "198.51.100.7") as owner:
        waits(ask_for_code(owner), most=60)
        age_hits(db, 61)
        assert signs_in_with_a_code(owner, db)
    with from_address(app, "198.51.100.8") as someone_new:
        waits(ask_for_code(someone_new), most=60)  # Still one a minute for anyone new.


def test_a_device_the_owner_signed_in_on_before_is_not_slowed(app, db) -> None:
    with from_address(app, "198.51.100.7") as owner:
        assert signs_in_with_a_code(owner, db)
        sign_out(owner)
        for number in range(9):  # With the owner's, 10: the most before slowing down.
            with from_address(app, f"203.0.113.{number}") as attacker:
                assert ask_for_code(attacker).status_code == 303
        with from_address(app, "203.0.113.99") as attacker:
            waits(ask_for_code(attacker), most=60)
        assert signs_in_with_a_code(owner, db)


def test_the_device_is_known_only_for_the_people_who_signed_in_on_it(app, db) -> None:
    with from_address(app, "198.51.100.7") as owner:
        assert signs_in_with_a_code(owner, db)
        sign_out(owner)
        for number in range(10):
            with from_address(app, f"203.0.113.{number}") as attacker:
                assert ask_for_code(attacker, OTHER).status_code == 303
        waits(ask_for_code(owner, OTHER), most=60)


@pytest.mark.parametrize("bend", [lambda value: value[:-1] + ("0" if value[-1] != "0" else "1"),
                                  lambda value: value.replace(".", ".1", 1), lambda value: "x" + value])
def test_a_changed_device_cookie_is_a_new_device(app, db, bend) -> None:
    with from_address(app, "198.51.100.7") as owner:
        assert signs_in_with_a_code(owner, db)
        sign_out(owner)
        for cookie in owner.cookies.jar:
            if cookie.name == "portal_device" and cookie.value:
                cookie.value = bend(cookie.value)
        for number in range(9):
            with from_address(app, f"203.0.113.{number}") as attacker:
                assert ask_for_code(attacker).status_code == 303
        waits(ask_for_code(owner), most=60)


def test_the_device_cookie_is_private_and_says_nothing_readable(app, db) -> None:
    with from_address(app, "198.51.100.7") as owner:
        ask_for_code(owner)
        response = submit(owner, "/sign-in/code", code=latest_code(db, OWNER))
        cookie = next(value for value in response.headers.get_list("set-cookie")
                      if value.startswith("portal_device="))
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=15552000" in cookie
        value = cookie.split(";")[0].removeprefix("portal_device=")
        assert "alex" not in value.lower() and OWNER_REFERENCE[3:] not in value


def test_set_up_asks_are_counted_the_same_way(app, db) -> None:
    with from_address(app, "203.0.113.66") as attacker:
        for _ in range(5):
            assert submit(attacker, "/set-up", reference=NOT_ONLINE, postcode="XX1 1XX").status_code == 303
        response = submit(attacker, "/set-up", reference=NOT_ONLINE, postcode="NF4 1GH")
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
        assert 'href="/set-up"' in response.text
    with from_address(app, "198.51.100.7") as owner:
        assert submit(owner, "/set-up", reference=NOT_ONLINE, postcode="NF4 1GH").status_code == 303


# Passkeys: their own count, and the owner's always works

def fill(db: Session, key: str, count: int) -> None:
    db.add_all([RateLimitHit(key=key) for _ in range(count)])
    db.commit()


def test_the_owners_passkey_works_while_an_attacker_has_hit_every_limit(app, db, settings) -> None:
    authenticator = SoftAuthenticator()
    with from_address(app, "198.51.100.7") as owner:
        submit(owner, "/sign-in", identifier=OWNER)
        submit(owner, "/sign-in/code", code=latest_code(db, OWNER))
        assert register(owner, authenticator).status_code == 200
        sign_out(owner)
    with from_address(app, "203.0.113.66") as attacker:
        for number in range(30):
            ask_for_code(attacker, f"someone{number}@example.org")
        for _ in range(6):
            ask_for_code(attacker)
        waits(ask_for_code(attacker))
        fill(db, "passkey-address:203.0.113.66", 120)
        refused = post_json(attacker, "/webauthn/authenticate/options")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    with from_address(app, "198.51.100.8") as owner:
        _, response = assertion(owner, authenticator)
        assert post_json(owner, "/webauthn/authenticate/verify", response).status_code == 200
        assert owner.get("/account").url.path == "/account"


def test_codes_do_not_use_up_passkey_tries_from_the_same_address(app, db) -> None:
    """A household shares an address: someone asking for codes there does not stop a passkey."""
    authenticator = SoftAuthenticator()
    with from_address(app, "203.0.113.66") as owner:
        submit(owner, "/sign-in", identifier=OWNER)
        submit(owner, "/sign-in/code", code=latest_code(db, OWNER))
        assert register(owner, authenticator).status_code == 200
        sign_out(owner)
    with from_address(app, "203.0.113.66") as other:
        for number in range(31):
            ask_for_code(other, f"someone{number}@example.org")
        waits(ask_for_code(other, "someone-else@example.org"))
    with from_address(app, "203.0.113.66") as owner:
        _, response = assertion(owner, authenticator)
        assert post_json(owner, "/webauthn/authenticate/verify", response).status_code == 200


def test_too_many_passkey_tries_are_a_429_with_retry_after_and_words(app, db) -> None:
    fill(db, "passkey-address:203.0.113.66", 120)
    with from_address(app, "203.0.113.66") as client:
        response = post_json(client, "/webauthn/authenticate/options")
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
        assert response.json()["error"].startswith("There have been too many tries")
        assert "You can try again in 15 minutes." in response.json()["error"]


# Wrong codes: a few a day for an account, whoever types them

def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def guess(app: FastAPI, db: Session, number: int, identifier: str = OWNER, tries: int = 5) -> list[int]:
    """A stranger with a fresh browser and address: asks for a code and types wrong ones."""
    with from_address(app, f"203.0.113.{number}") as stranger:
        ask_for_code(stranger, identifier)
        return [submit(stranger, "/sign-in/code", code="000000").status_code for _ in range(tries)]


def test_only_ten_wrong_codes_a_day_are_checked_for_an_account(app, db) -> None:
    assert guess(app, db, 1) == [422] * 5
    assert guess(app, db, 2) == [422] * 5
    with from_address(app, "203.0.113.3") as stranger:
        ask_for_code(stranger)
        response = submit(stranger, "/sign-in/code", code=latest_code(db, OWNER))
        assert response.status_code == 429
        assert 23 * 3600 < int(response.headers["Retry-After"]) <= 24 * 3600
        assert "Too many wrong codes" in response.text and "You can try again after" in response.text
        assert stranger.get("/account", follow_redirects=False).status_code != 200


def test_an_unknown_identifier_is_refused_the_same_way(app, db) -> None:
    """So counting wrong codes says nothing about who has an account."""
    answers = []
    for identifier in (OWNER, "nobody@example.org"):
        statuses = guess(app, db, 1, identifier) + guess(app, db, 2, identifier)
        statuses += guess(app, db, 3, identifier, tries=1)
        answers.append(statuses)
    assert answers[0] == answers[1] == [422] * 10 + [429]


def test_the_owners_known_device_keeps_its_own_wrong_codes(app, db) -> None:
    with from_address(app, "198.51.100.7") as owner:
        assert signs_in_with_a_code(owner, db)
        sign_out(owner)
        guess(app, db, 1)
        guess(app, db, 2)
        assert signs_in_with_a_code(owner, db)


def test_a_right_code_is_not_counted_as_wrong(app, db) -> None:
    with from_address(app, "198.51.100.7") as owner:
        for _ in range(12):  # One from a new device, then 11 from a known one.
            assert signs_in_with_a_code(owner, db)
            sign_out(owner)
            age_hits(db, 16 * 60)  # Past the limits on asking, not the day of wrong codes.


def test_wrong_codes_for_setting_up_count_for_the_same_account(app, db) -> None:
    guess(app, db, 1)
    guess(app, db, 2)
    with from_address(app, "203.0.113.3") as stranger:
        submit(stranger, "/set-up", reference=OWNER_REFERENCE, postcode="NF2 9EF")  # The owner's.
        response = submit(stranger, "/set-up/code", code=latest_code(db, OWNER))
        assert response.status_code == 429 and "Too many wrong codes" in response.text


def test_each_code_is_made_once(app, db, settings) -> None:
    from portal.identity import service

    with from_address(app, "198.51.100.7") as owner:
        ask_for_code(owner)
    row = db.exec(select(OneTimeCode)).one()
    assert row.pending_request is None and row.person_id is not None and row.code_hash
    assert service.send_requested_codes(app.state.engine, settings) == 0
    assert db.exec(select(OneTimeCode).where(col(OneTimeCode.pending_request).is_not(None))).all() == []


@pytest.mark.parametrize(("language", "heading"), [("cy", "Arhoswch cyn rhoi cynnig arall"),
                                                   ("ar", "انتظر قبل أن تحاول مرة أخرى")])
def test_the_wait_page_speaks_welsh_and_arabic(app, language, heading) -> None:
    with from_address(app, "203.0.113.66") as attacker:
        attacker.cookies.set("portal_lang", language)
        for _ in range(5):
            ask_for_code(attacker)
        response = ask_for_code(attacker)
        assert response.status_code == 429 and heading in response.text
        assert "Wait before you try again" not in response.text
