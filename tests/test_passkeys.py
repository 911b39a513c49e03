"""Passkeys end to end over HTTP with a software authenticator, and every refusal the rules need.

Each refusal must be a 400 with a plain message (never a 500), and must leave the person signed out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from portal.activity.models import ActivityEntry
from portal.identity.models import Passkey, Person, WebAuthnChallenge
from portal.notify.models import InboxMessage, OutboxMessage
from tests import factories
from tests.conftest import PageCheckingClient
from tests.helpers import assertion, post_json, register, sign_out
from tests.softauthn import UP, SoftAuthenticator


@pytest.fixture
def customer(db: Session) -> Person:
    """The customer signed_in_client signs in: they have a passkey already, on another device."""
    made = factories.customer(db)
    factories.passkey(db, made, "Old phone")
    return made


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


@pytest.fixture
def registered(signed_in_client, authenticator) -> PageCheckingClient:
    """The customer, with a passkey on the software authenticator, now signed out."""
    response = register(signed_in_client, authenticator)
    assert response.status_code == 200, response.text
    sign_out(signed_in_client)
    return signed_in_client


def is_signed_in(client: PageCheckingClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def test_register_then_sign_in_with_the_passkey(registered, authenticator, db: Session) -> None:
    options, response = assertion(registered, authenticator)
    assert options["publicKey"]["userVerification"] == "required"
    assert options["publicKey"]["timeout"] >= 300_000
    assert options["publicKey"].get("allowCredentials", []) == []
    result = post_json(registered, "/webauthn/authenticate/verify?next=/help", response)
    assert result.status_code == 200 and result.json() == {"redirect": "/help"}
    assert is_signed_in(registered)
    passkey = db.exec(select(Passkey).where(Passkey.name == "Passkey 2")).one()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None
    entry = db.exec(select(ActivityEntry).where(ActivityEntry.detail == "passkey: Passkey 2")).one()
    assert entry.action == "signed_in"


def test_registration_options_require_a_discoverable_verified_passkey(signed_in_client) -> None:
    options = post_json(signed_in_client, "/webauthn/register/options").json()["publicKey"]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"]["id"] == "testserver" and options["timeout"] >= 300_000
    assert len(options["excludeCredentials"]) == 1  # The passkey they have already.


def test_adding_a_passkey_tells_the_customer(signed_in_client, customer: Person, authenticator, db) -> None:
    register(signed_in_client, authenticator)
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "A passkey was added to your account")).one()
    email = db.exec(select(OutboxMessage).where(OutboxMessage.channel == "email")).one()
    assert email.to == customer.email and "was added" in email.body
    page = signed_in_client.get("/account/security").text
    assert "Your passkey was added" in page and "Passkey 2" in page


def refused(response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_replayed_assertion_is_refused(registered, authenticator) -> None:
    _, response = assertion(registered, authenticator)
    assert post_json(registered, "/webauthn/authenticate/verify", response).status_code == 200
    sign_out(registered)
    refused(post_json(registered, "/webauthn/authenticate/verify", response),
            "already used")
    assert not is_signed_in(registered)


def test_expired_challenge_is_refused(registered, authenticator, db: Session) -> None:
    _, response = assertion(registered, authenticator)
    for challenge in db.exec(select(WebAuthnChallenge)).all():
        challenge.created_at -= dt.timedelta(minutes=6)
        db.add(challenge)
    db.commit()
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "too long")


def test_challenge_from_another_session_is_refused(registered, authenticator, app) -> None:
    _, response = assertion(registered, authenticator)
    with PageCheckingClient(app) as stranger:
        refused(post_json(stranger, "/webauthn/authenticate/verify", response), "too long")
        assert not is_signed_in(stranger)


def test_wrong_origin_is_refused(registered, authenticator) -> None:
    _, response = assertion(registered, authenticator, origin="https://evil.example")
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "could not be checked")


def test_wrong_rp_id_hash_is_refused(registered, authenticator) -> None:
    _, response = assertion(registered, authenticator, rp_id="evil.example")
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "could not be checked")


def test_user_not_verified_is_refused(registered, authenticator) -> None:
    _, response = assertion(registered, authenticator, flags=UP)
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "could not be checked")


def test_registration_without_user_verification_is_refused(signed_in_client, authenticator) -> None:
    refused(register(signed_in_client, authenticator, flags=UP | 0x40), "could not be saved")


def test_sign_count_going_backwards_is_refused_and_reported(registered, authenticator, db) -> None:
    _, first = assertion(registered, authenticator, sign_count=5)
    assert post_json(registered, "/webauthn/authenticate/verify", first).status_code == 200
    sign_out(registered)
    _, cloned = assertion(registered, authenticator, sign_count=3)
    refused(post_json(registered, "/webauthn/authenticate/verify", cloned), "For your safety")
    entry = db.exec(select(ActivityEntry).where(
        ActivityEntry.detail.contains("cloned"))).one()  # type: ignore[attr-defined]
    assert entry.actor_person_id is not None
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "We stopped a sign-in with one of your passkeys")).one()


def test_another_persons_user_handle_is_refused(registered, authenticator) -> None:
    _, response = assertion(registered, authenticator, user_handle=b"someone-else")
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "do not recognise")


def test_unknown_credential_is_refused(registered) -> None:
    stranger = SoftAuthenticator()
    options = post_json(registered, "/webauthn/authenticate/options").json()
    stranger.create({"publicKey": {"rp": {"id": "testserver"}, "user": {"id": "AAAA"},
                                   "challenge": "AAAA"}})
    refused(post_json(registered, "/webauthn/authenticate/verify", stranger.get(options)),
            "do not recognise")


def test_duplicate_credential_id_is_refused(signed_in_client, authenticator, app, db: Session) -> None:
    assert register(signed_in_client, authenticator).status_code == 200
    taken = authenticator.credentials[-1].credential_id
    with PageCheckingClient(app) as other:
        factories.sign_in(other, factories.customer(db))
        refused(register(other, SoftAuthenticator(), credential_id=taken), "already saved")


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"id": 1}',
                                  b'{"rawId": "x", "response": {"clientDataJSON": "!!"}}'])
def test_malformed_json_is_a_400_not_a_500(registered, body: bytes) -> None:
    token = registered.csrf_token("/sign-in")
    response = registered.post("/webauthn/authenticate/verify", content=body,
                               headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]


def test_malformed_cbor_is_a_400_not_a_500(signed_in_client, authenticator) -> None:
    options = post_json(signed_in_client, "/webauthn/register/options").json()
    response = authenticator.create(options)
    response["response"]["attestationObject"] = "bm90LWNib3I"  # "not-cbor"
    refused(post_json(signed_in_client, "/webauthn/register/verify", response), "could not be saved")


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


def test_registration_needs_sign_in(client: PageCheckingClient) -> None:
    response = post_json(client, "/webauthn/register/options", follow_redirects=False)
    assert response.status_code == 303
