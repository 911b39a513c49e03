"""The software authenticator bends every field the rules care about, at registration and at sign-in.

Every bent response is refused with a 4xx and a plain message (never a 500), signed in or not; nothing
is saved and nobody is signed in. A warning about a copied passkey goes to its owner only when a
correctly signed response shows the key on an authenticator that cannot be the registered one."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import Session, select

from portal.identity.models import Passkey
from portal.notify.models import InboxMessage
from tests.conftest import PageCheckingClient
from tests.helpers import assertion, post_json, register, sign_out
from tests.softauthn import AT, BE, BS, DEEPLY_NESTED, OMIT, UP, UV, SoftAuthenticator, b64url

WARNING = "We stopped a sign-in with one of your passkeys"


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator()


def is_signed_in(client: PageCheckingClient) -> bool:
    return client.get("/account", follow_redirects=False).status_code == 200


def refused(response, message: str) -> None:
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def warnings(db: Session) -> int:
    return len(db.exec(select(InboxMessage).where(InboxMessage.subject == WARNING)).all())


def passkeys(db: Session) -> list[Passkey]:
    db.expire_all()
    return list(db.exec(select(Passkey)).all())


def registered_with(client: PageCheckingClient, authenticator: SoftAuthenticator,
                    **bend: Any) -> PageCheckingClient:
    response = register(client, authenticator, **bend)
    assert response.status_code == 200, response.text
    sign_out(client)
    return client


def sign_in_with(client: PageCheckingClient, authenticator: SoftAuthenticator, **bend: Any):
    _, response = assertion(client, authenticator, **bend)
    return post_json(client, "/webauthn/authenticate/verify", response)


# Embedded in another site's page: crossOrigin true, or any topOrigin.

EMBEDDED = [{"crossOrigin": True}, {"crossOrigin": "false"}, {"crossOrigin": 1},
            {"topOrigin": "https://evil.example"},
            {"crossOrigin": True, "topOrigin": "https://evil.example"},
            {"crossOrigin": False, "topOrigin": "http://testserver"}]


@pytest.mark.parametrize("client_data", EMBEDDED)
def test_registration_inside_another_site_is_refused(signed_in_client, authenticator, db,
                                                     client_data) -> None:
    before = len(passkeys(db))
    refused(register(signed_in_client, authenticator, client_data=client_data), "could not be saved")
    assert len(passkeys(db)) == before


@pytest.mark.parametrize("client_data", EMBEDDED)
def test_sign_in_inside_another_site_is_refused(signed_in_client, authenticator, client_data) -> None:
    registered = registered_with(signed_in_client, authenticator)
    refused(sign_in_with(registered, authenticator, client_data=client_data), "could not be checked")
    assert not is_signed_in(registered)


def test_client_data_without_cross_origin_still_works(signed_in_client, authenticator) -> None:
    """Browsers from before crossOrigin existed leave it out."""
    registered = registered_with(signed_in_client, authenticator, client_data={"crossOrigin": OMIT})
    assert sign_in_with(registered, authenticator, client_data={"crossOrigin": OMIT}).status_code == 200
    assert is_signed_in(registered)


# The backup-eligible flag is kept at registration and must not change.

@pytest.mark.parametrize(("flags", "syncs"), [(UP | UV | AT, False), (UP | UV | AT | BE, True),
                                              (UP | UV | AT | BE | BS, True)])
def test_registration_keeps_the_backup_eligible_flag(signed_in_client, authenticator, db,
                                                     flags, syncs) -> None:
    assert register(signed_in_client, authenticator, flags=flags).status_code == 200
    assert passkeys(db)[-1].backup_eligible is syncs


def test_backed_up_without_being_eligible_is_refused(signed_in_client, authenticator) -> None:
    refused(register(signed_in_client, authenticator, flags=UP | UV | AT | BS), "could not be saved")


@pytest.mark.parametrize(("registered_flags", "sign_in_flags"), [
    (UP | UV | AT, UP | UV | BE), (UP | UV | AT, UP | UV | BE | BS),
    (UP | UV | AT | BE, UP | UV), (UP | UV | AT | BE | BS, UP | UV)])
def test_a_changed_backup_eligible_flag_is_refused_and_reported(signed_in_client, authenticator, db,
                                                                registered_flags,
                                                                sign_in_flags) -> None:
    registered = registered_with(signed_in_client, authenticator, flags=registered_flags)
    refused(sign_in_with(registered, authenticator, flags=sign_in_flags), "For your safety")
    assert not is_signed_in(registered)
    assert warnings(db) == 1


def test_backing_up_a_synced_passkey_later_is_fine(signed_in_client, authenticator) -> None:
    """BS may change (the provider finished its backup); only BE may not."""
    registered = registered_with(signed_in_client, authenticator, flags=UP | UV | AT | BE)
    assert sign_in_with(registered, authenticator, flags=UP | UV | BE | BS).status_code == 200


def test_a_passkey_saved_before_the_flag_was_kept_learns_it(signed_in_client, authenticator,
                                                            db) -> None:
    registered = registered_with(signed_in_client, authenticator)
    stored = passkeys(db)[-1]
    stored.backup_eligible = None
    db.add(stored)
    db.commit()
    assert sign_in_with(registered, authenticator).status_code == 200
    assert passkeys(db)[-1].backup_eligible is False
    sign_out(registered)
    refused(sign_in_with(registered, authenticator, flags=UP | UV | BE), "For your safety")


# Credential ids: 1,023 bytes at most.

def test_a_credential_id_of_1023_bytes_is_accepted(signed_in_client, authenticator) -> None:
    registered = registered_with(signed_in_client, authenticator, credential_id=b"\x01" * 1023)
    assert sign_in_with(registered, authenticator).status_code == 200


@pytest.mark.parametrize("length", [1024, 1100])
def test_a_longer_credential_id_is_refused_at_registration(signed_in_client, authenticator, db,
                                                           length) -> None:
    before = len(passkeys(db))
    refused(register(signed_in_client, authenticator, credential_id=b"\x01" * length),
            "could not be saved")
    assert len(passkeys(db)) == before


def test_a_longer_credential_id_is_refused_at_sign_in(signed_in_client, authenticator, db) -> None:
    """Even one that was saved before the limit was checked."""
    registered = registered_with(signed_in_client, authenticator)
    long_id = b"\x02" * 1100
    stored = passkeys(db)[-1]
    stored.credential_id = authenticator.credentials[-1].credential_id = long_id
    db.add(stored)
    db.commit()
    refused(sign_in_with(registered, authenticator), "do not recognise")
    assert not is_signed_in(registered)


def test_a_raw_id_that_is_not_the_attested_one_is_refused(signed_in_client, authenticator) -> None:
    options = post_json(signed_in_client, "/webauthn/register/options").json()
    response = authenticator.create(options)
    response["id"] = response["rawId"] = b64url(b"\x03" * 32)
    refused(post_json(signed_in_client, "/webauthn/register/verify", response), "could not be saved")


# Malformed responses: a 4xx, never a 500, signed in or not.

# Wrong types, empty, not base64, deeply nested JSON and CBOR, bytes that are neither.
GARBAGE: list[Any] = [None, 123, [[[[]]]], {}, "", "!!!", b64url(DEEPLY_NESTED),
                      b64url(b"\x81" * 5000 + b"\x80"), b64url(b"\xff" * 64)]
# Every field the server reads (clientExtensionResults and transports it does not).
SIGN_IN_FIELDS = ["id", "rawId", "type", "response", "response.clientDataJSON",
                  "response.authenticatorData", "response.signature", "response.userHandle"]
REGISTRATION_FIELDS = ["id", "rawId", "type", "response", "response.clientDataJSON",
                       "response.attestationObject"]


def bent(response: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    copy = json.loads(json.dumps(response))
    *parents, name = path.split(".")
    target = copy
    for parent in parents:
        target = target[parent]
    target[name] = value
    return copy


def test_deeply_nested_client_data_is_refused_signed_out(client: PageCheckingClient,
                                                         authenticator) -> None:
    options = post_json(client, "/webauthn/authenticate/options").json()
    authenticator.create({"publicKey": {"rp": {"id": "testserver"}, "user": {"id": "AAAA"},
                                        "challenge": "AAAA"}})
    response = authenticator.get(options, client_data_bytes=DEEPLY_NESTED)
    refused(post_json(client, "/webauthn/authenticate/verify", response), "went wrong")


def test_deeply_nested_client_data_is_refused_at_registration(signed_in_client, authenticator) -> None:
    refused(register(signed_in_client, authenticator, client_data_bytes=DEEPLY_NESTED),
            "went wrong")


def test_every_sign_in_field_bent_is_a_400(signed_in_client, authenticator) -> None:
    registered = registered_with(signed_in_client, authenticator)
    token = registered.csrf_token("/sign-in")
    answers = set()
    for path in SIGN_IN_FIELDS:
        for value in GARBAGE:
            options = registered.post("/webauthn/authenticate/options", json={},
                                      headers={"X-CSRF-Token": token}).json()
            response = bent(authenticator.get(options), path, value)
            result = registered.post("/webauthn/authenticate/verify", json=response,
                                     headers={"X-CSRF-Token": token})
            answers.add((path, result.status_code, bool(result.json().get("error"))))
    assert {(status, has_message) for _, status, has_message in answers} == {(400, True)}, answers
    assert not is_signed_in(registered)


def test_every_registration_field_bent_is_a_400(signed_in_client, authenticator, db) -> None:
    token = signed_in_client.csrf_token("/account/security")
    before = len(passkeys(db))
    answers = set()
    for path in REGISTRATION_FIELDS:
        for value in GARBAGE:
            options = signed_in_client.post("/webauthn/register/options", json={},
                                            headers={"X-CSRF-Token": token}).json()
            response = bent(authenticator.create(options), path, value)
            result = signed_in_client.post("/webauthn/register/verify", json=response,
                                           headers={"X-CSRF-Token": token})
            answers.add((path, result.status_code, bool(result.json().get("error"))))
    assert {(status, has_message) for _, status, has_message in answers} == {(400, True)}, answers
    assert len(passkeys(db)) == before


# Sign counts: a warning only for a correctly signed response from a copy of a device-bound key.

def test_a_forged_response_with_a_low_count_is_refused_without_a_warning(signed_in_client,
                                                                          authenticator, db) -> None:
    registered = registered_with(signed_in_client, authenticator)
    assert sign_in_with(registered, authenticator, sign_count=5).status_code == 200
    sign_out(registered)
    _, forged = assertion(registered, authenticator, sign_count=5)
    forged["response"]["signature"] = b64url(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    refused(post_json(registered, "/webauthn/authenticate/verify", forged), "could not be checked")
    assert warnings(db) == 0


def test_the_same_response_sent_twice_is_already_used_not_a_copy(signed_in_client, authenticator,
                                                                 db) -> None:
    registered = registered_with(signed_in_client, authenticator)
    _, response = assertion(registered, authenticator, sign_count=7)
    assert post_json(registered, "/webauthn/authenticate/verify", response).status_code == 200
    refused(post_json(registered, "/webauthn/authenticate/verify", response), "already used")
    assert warnings(db) == 0


def test_counts_of_zero_are_fine_every_time(signed_in_client, authenticator, db) -> None:
    registered = registered_with(signed_in_client, authenticator)
    for _ in range(3):
        assert sign_in_with(registered, authenticator, sign_count=0).status_code == 200
        sign_out(registered)
    assert warnings(db) == 0


@pytest.mark.parametrize("second", [5, 3])
def test_a_synced_passkey_whose_count_does_not_go_up_signs_in(signed_in_client, authenticator, db,
                                                              second) -> None:
    """A passkey that syncs lives on several of the owner's devices, some with a count each."""
    registered = registered_with(signed_in_client, authenticator, flags=UP | UV | AT | BE | BS)
    assert sign_in_with(registered, authenticator, sign_count=5).status_code == 200
    sign_out(registered)
    assert sign_in_with(registered, authenticator, sign_count=second).status_code == 200
    assert is_signed_in(registered)
    assert warnings(db) == 0
    assert passkeys(db)[-1].sign_count == 5  # Never back.


@pytest.mark.parametrize("second", [5, 3, 0])
def test_a_device_bound_passkey_whose_count_does_not_go_up_is_refused_and_reported(
        signed_in_client, authenticator, db, second) -> None:
    """The spec's sign of a copied key: the same key signed with this count (or a higher one) before.
    One authenticator never signs two challenges with the same non-zero count."""
    registered = registered_with(signed_in_client, authenticator)
    assert sign_in_with(registered, authenticator, sign_count=5).status_code == 200
    sign_out(registered)
    refused(sign_in_with(registered, authenticator, sign_count=second), "For your safety")
    assert not is_signed_in(registered)
    assert warnings(db) == 1
