"""Passkey ceremonies with py_webauthn.

The rules: the challenge is made and kept on the server, tied to one session, used once, and dead
after 5 minutes; origin and RP ID must be exactly ours; user verification is required; the sign
count is checked and moved on atomically; a credential id can belong to one passkey only; and in
discoverable sign-in the user handle must be the passkey owner's."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select, update
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.clock import utcnow
from portal.db import id_of
from portal.i18n import gettext as _
from portal.identity.aaguids import provider_name
from portal.identity.models import Passkey, Person, WebAuthnChallenge
from portal.settings import Settings
from portal.web.sessions import hash_id

CHALLENGE_LIFETIME = dt.timedelta(minutes=5)
CEREMONY_TIMEOUT_MS = 300_000  # Five minutes: time enough with a screen reader or switch access.


class PasskeyRefused(Exception):
    """A ceremony that cannot go on. The message is for the person, in plain words."""

    def __init__(self, message: str, *, reason: str, person_id: int | None = None,
                 suspicious: bool = False) -> None:
        super().__init__(message)
        self.reason = reason  # For the activity log; never the assertion itself.
        self.person_id = person_id
        self.suspicious = suspicious  # The owner should hear about it (a cloned passkey, say).


@dataclass(frozen=True)
class SignedIn:
    person: Person
    passkey: Passkey


def _b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def _store_challenge(db: Session, challenge: bytes, purpose: str, session_id: str,
                     person_id: int | None = None) -> None:
    db.add(WebAuthnChallenge(challenge=challenge, purpose=purpose, session_hash=hash_id(session_id),
                             person_id=person_id))
    db.commit()


def _claim_challenge(db: Session, credential: dict[str, Any], purpose: str,
                     session_id: str) -> WebAuthnChallenge:
    """Find the challenge this response answers, among this session's, and use it up."""
    try:
        client_data = json.loads(_b64url_decode(credential["response"]["clientDataJSON"]))
        sent = _b64url_decode(client_data["challenge"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    found = db.exec(select(WebAuthnChallenge).where(
        WebAuthnChallenge.session_hash == hash_id(session_id),
        WebAuthnChallenge.purpose == purpose, WebAuthnChallenge.challenge == sent)).first()
    expired = found is not None and utcnow() - found.created_at > CHALLENGE_LIFETIME
    claimed = None
    if found is not None and not expired:
        claimed = db.exec(update(WebAuthnChallenge).where(
            col(WebAuthnChallenge.id) == found.id, col(WebAuthnChallenge.used_at).is_(None))
            .values(used_at=utcnow()))
        db.commit()
    if found is None or expired or claimed is None or claimed.rowcount != 1:
        raise PasskeyRefused(_("This took too long or was already used. Try again."),
                             reason="challenge missing, expired or used")
    return found


def registration_options(db: Session, settings: Settings, person: Person,
                         session_id: str) -> str:
    existing = db.exec(select(Passkey).where(Passkey.person_id == person.id)).all()
    options = generate_registration_options(
        rp_id=settings.rp_id,
        rp_name=settings.organisation.name,
        user_id=person.webauthn_user_id,
        user_name=person.email or person.name,
        user_display_name=person.name,
        timeout=CEREMONY_TIMEOUT_MS,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=p.credential_id) for p in existing],
    )
    _store_challenge(db, options.challenge, "register", session_id, person.id)
    return options_to_json(options)


def register(db: Session, settings: Settings, person: Person, session_id: str,
             credential: dict[str, Any]) -> Passkey:
    challenge = _claim_challenge(db, credential, "register", session_id)
    if challenge.person_id != person.id:
        raise PasskeyRefused(_("This took too long or was already used. Try again."),
                             reason="challenge for another person")
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id, expected_origin=settings.origin,
            require_user_verification=True)
    except (WebAuthnException, KeyError, TypeError, ValueError) as exc:
        raise PasskeyRefused(_("Your passkey could not be saved. Try again."),
                             reason=f"registration refused: {type(exc).__name__}") from exc
    if db.exec(select(Passkey).where(Passkey.credential_id == verified.credential_id)).first():
        raise PasskeyRefused(_("This passkey is already saved."), reason="duplicate credential id")
    count = len(db.exec(select(Passkey.id).where(Passkey.person_id == person.id)).all())
    name = provider_name(verified.aaguid) or _("Passkey %(number)s", number=count + 1)
    passkey = Passkey(person_id=id_of(person), credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      aaguid=verified.aaguid, name=name[:100])
    db.add(passkey)
    try:
        db.flush()
    except IntegrityError as exc:  # The same credential saved by a racing request.
        db.rollback()
        raise PasskeyRefused(_("This passkey is already saved."),
                             reason="duplicate credential id") from exc
    return passkey


def authentication_options(db: Session, settings: Settings, session_id: str) -> str:
    # No allowCredentials: discoverable credentials, so nobody has to type who they are.
    options = generate_authentication_options(
        rp_id=settings.rp_id, timeout=CEREMONY_TIMEOUT_MS,
        user_verification=UserVerificationRequirement.REQUIRED)
    _store_challenge(db, options.challenge, "authenticate", session_id)
    return options_to_json(options)


def authenticate(db: Session, settings: Settings, session_id: str,
                 credential: dict[str, Any]) -> SignedIn:
    challenge = _claim_challenge(db, credential, "authenticate", session_id)
    try:
        credential_id = _b64url_decode(credential["rawId"])
        handle = credential["response"].get("userHandle")
        user_handle = _b64url_decode(handle) if isinstance(handle, str) and handle else None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    passkey = db.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    person = db.get(Person, passkey.person_id) if passkey else None
    if passkey is None or person is None:
        raise PasskeyRefused(_("We do not recognise this passkey. Sign in with a code instead."),
                             reason="unknown credential")
    if user_handle != person.webauthn_user_id:
        raise PasskeyRefused(_("We do not recognise this passkey. Sign in with a code instead."),
                             reason="user handle does not match")
    try:
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id, expected_origin=settings.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except WebAuthnException as exc:
        if "sign count" in str(exc):
            raise PasskeyRefused(
                _("For your safety we could not accept this passkey. Sign in with a code, then "
                  "talk to us."), reason="sign count went backwards: possible cloned passkey",
                person_id=person.id, suspicious=True) from exc
        raise PasskeyRefused(_("Your passkey could not be checked. Try again."),
                             reason=f"assertion refused: {type(exc).__name__}",
                             person_id=person.id) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    # Move the count on only from the value we checked against, so two racing uses cannot both win.
    moved = db.exec(update(Passkey).where(
        col(Passkey.id) == passkey.id, col(Passkey.sign_count) == passkey.sign_count)
        .values(sign_count=verified.new_sign_count, last_used_at=utcnow()))
    db.commit()
    if moved.rowcount != 1:
        raise PasskeyRefused(_("This took too long or was already used. Try again."),
                             reason="sign count changed during sign-in")
    db.refresh(passkey)
    return SignedIn(person=person, passkey=passkey)
