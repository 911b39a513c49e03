"""How you sign in (/account/security): passkeys listed, renamed and removed; sessions listed and ended."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from portal.identity.models import Passkey, Person
from portal.notify.models import InboxMessage
from portal.web.sessions import WebSession, hash_id
from tests import factories
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of


@pytest.fixture
def passkey(db: Session, customer: Person) -> Passkey:
    """The signed-in customer's passkey (one nobody can sign in with: its private key is gone)."""
    return factories.passkey(db, customer, "Work phone")


def test_security_page_lists_passkeys_and_this_session(signed_in_client, passkey: Passkey) -> None:
    root = parse(signed_in_client.get("/account/security").text)
    assert [text_of(h) for h in root.findall(".//h3")] == ["Work phone"]
    keys = [text_of(dt) for dt in root.findall(".//dt")]
    assert any("(this device)" in key for key in keys)


def test_rename_keeps_input_on_error_and_saves(signed_in_client, passkey: Passkey) -> None:
    path = f"/account/security/passkeys/{passkey.id}/rename"
    token = signed_in_client.csrf_token(path)
    response = signed_in_client.post(path, data={"csrf_token": token, "name": "x" * 61})
    assert response.status_code == 422 and "60 characters or fewer" in response.text
    assert 'value="' + "x" * 61 in response.text
    response = signed_in_client.post(path, data={"csrf_token": token, "name": "Work laptop"})
    assert response.url.path == "/account/security"
    assert "Your passkey was renamed" in response.text and "Work laptop" in response.text
    # The message shows once.
    assert "Your passkey was renamed" not in signed_in_client.get("/account/security").text


def test_remove_asks_first_then_removes_and_tells(signed_in_client, db: Session, passkey: Passkey) -> None:
    path = f"/account/security/passkeys/{passkey.id}/remove"
    assert "Remove Work phone" in signed_in_client.get(path).text
    response = signed_in_client.post(path, data={"csrf_token": signed_in_client.csrf_token(path)})
    assert "Your passkey was removed" in response.text
    assert db.exec(select(Passkey).where(Passkey.id == passkey.id)).first() is None
    assert db.exec(select(InboxMessage).where(
        InboxMessage.subject == "A passkey was removed from your account")).one()


def test_cannot_remove_the_last_way_in(signed_in_client, db: Session, passkey: Passkey) -> None:
    person = db.get(Person, passkey.person_id)
    person.email, person.phone = "", ""
    db.add(person)
    db.commit()
    path = f"/account/security/passkeys/{passkey.id}/remove"
    response = signed_in_client.post(path, data={"csrf_token": signed_in_client.csrf_token(path)})
    assert response.status_code == 409
    assert "You cannot remove your only way to sign in" in response.text
    assert db.get(Passkey, passkey.id) is not None


def test_someone_elses_passkey_is_not_found(app, db: Session, passkey: Passkey) -> None:
    with PageCheckingClient(app) as other:
        factories.sign_in(other, factories.customer(db))
        assert other.get(f"/account/security/passkeys/{passkey.id}/remove").status_code == 404
        response = other.post(f"/account/security/passkeys/{passkey.id}/remove",
                              data={"csrf_token": other.csrf_token("/account")})
        assert response.status_code == 404
    assert db.get(Passkey, passkey.id) is not None


def test_an_impossible_passkey_number_is_a_400(signed_in_client) -> None:
    response = signed_in_client.get("/account/security/passkeys/99999999999999999999/rename")
    assert response.status_code == 400
    assert "Sorry, we could not understand that request" in response.text


def test_sign_out_everywhere_else(app, signed_in_client, customer: Person, db: Session) -> None:
    with PageCheckingClient(app, headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) "
                                          "Chrome/156.0 Mobile Safari/537.36"}) as phone:
        factories.sign_in(phone, customer)
        page = signed_in_client.get("/account/security").text
        assert "Chrome on Android" in page
        token = signed_in_client.csrf_token("/account/security")
        response = signed_in_client.post("/account/security/sessions/end-others",
                                         data={"csrf_token": token})
        assert "You were signed out everywhere else" in response.text
        assert phone.get("/account", follow_redirects=False).status_code == 303
    assert signed_in_client.get("/account").url.path == "/account"
    assert len(db.exec(select(WebSession).where(WebSession.person_id.is_not(None))).all()) == 1


def test_dead_sessions_are_not_listed_as_places_you_are_signed_in(app, signed_in_client, customer: Person,
                                                                    db: Session) -> None:
    db.add(WebSession(id_hash=hash_id("old-phone"), person_id=customer.id,
                      user_agent="Mozilla/5.0 (iPhone) Safari/604.1",
                      last_seen_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)))
    db.commit()
    assert "Safari on iPhone" not in signed_in_client.get("/account/security").text


def test_stay_signed_in_resets_the_idle_timer(signed_in_client) -> None:
    token = signed_in_client.csrf_token("/account")
    assert signed_in_client.post("/session/extend", headers={"X-CSRF-Token": token}).status_code == 204
    page = parse(signed_in_client.get("/account").text)
    dialog = page.find(".//dialog")
    assert dialog.get("data-idle-seconds") == "1800" and dialog.get("data-warn-seconds") == "120"


def test_stay_signed_in_after_expiry_says_so(client: PageCheckingClient) -> None:
    token = client.csrf_token("/sign-in")
    assert client.post("/session/extend", headers={"X-CSRF-Token": token}).status_code == 401
