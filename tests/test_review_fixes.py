"""Attacks and malformed input found in review: each must be refused cleanly, never a 500."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from sqlmodel import Session

from portal.identity.signing_in import client_address
from portal.web.ratelimit import Limit, allow
from portal.web.sessions import WebSession, hash_id
from tests.conftest import PageCheckingClient
from tests.softauthn import SoftAuthenticator
from tests.test_passkeys import assertion, post_json, register, sign_out
from tests.test_set_up_and_codes import submit


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


def test_an_enormous_year_of_birth_is_an_error_not_a_crash(client: PageCheckingClient) -> None:
    response = submit(client, "/set-up", reference="NF-200100",
                      **{"dob-day": "1", "dob-month": "1", "dob-year": "9" * 20})
    assert response.status_code == 422 and 'href="#dob-day"' in response.text


@pytest.mark.parametrize("handle", [123, "a", ["x"], {"y": 1}])
def test_a_strange_user_handle_is_refused_not_a_crash(signed_in_client, handle) -> None:
    authenticator = SoftAuthenticator()
    register(signed_in_client, authenticator)
    sign_out(signed_in_client)
    _, response = assertion(signed_in_client, authenticator)
    response["response"]["userHandle"] = handle
    result = post_json(signed_in_client, "/webauthn/authenticate/verify", response)
    assert result.status_code == 400 and result.json()["error"]


def test_deeply_nested_json_is_refused_not_a_crash(client: PageCheckingClient) -> None:
    token = client.csrf_token("/sign-in")
    response = client.post("/webauthn/authenticate/verify", content=b"[" * 200_000,
                           headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert response.status_code == 400


def test_an_impossible_passkey_number_is_a_400(signed_in_client) -> None:
    response = signed_in_client.get("/account/security/passkeys/99999999999999999999/rename")
    assert response.status_code == 400
    assert "Sorry, we could not understand that request" in response.text


def test_dead_sessions_are_not_listed_as_places_you_are_signed_in(app, signed_in_client,
                                                                    db: Session) -> None:
    db.add(WebSession(id_hash=hash_id("old-phone"), person_id=_sam_id(db),
                      user_agent="Mozilla/5.0 (iPhone) Safari/604.1",
                      last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))
    db.commit()
    assert "Safari on iPhone" not in signed_in_client.get("/account/security").text


def _sam_id(db: Session) -> int:
    from portal.demo.personas import PERSONAS
    from portal.demo.service import person_for

    return person_for(db, PERSONAS[2]).id
