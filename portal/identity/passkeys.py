"""Passkey ceremonies with py_webauthn.

The rules: the challenge is made and kept on the server, tied to one session, used once, and dead
after 5 minutes; origin and RP ID must be exactly ours, and a ceremony run inside another site's frame
(crossOrigin true, or any topOrigin) is refused; user verification is required; a credential id is at
most 1,023 bytes and belongs to one passkey only; in discoverable sign-in the user handle must be the
passkey owner's; the backup-eligible flag must stay what it was at registration; and the sign count is
judged only once everything else, the signature included, has passed, then moved on atomically.

Sign counts (WebAuthn Level 3, 6.1.1 and 7.2): when either count is non-zero and the new one is not
higher than the stored one, the same key has signed on two authenticators: the spec's sign of a copied
key. We refuse that and tell the owner, for a passkey that lives on one device. Not warnings:
- a response that fails any other check (a forged signature says nothing about the owner's key);
- the same response sent twice: its challenge is used up, so the second is "already used";
- two sign-ins racing: the one that loses the atomic update is asked to try again;
- both counts 0: the authenticator does not count (synced passkeys mostly report 0);
- a passkey that syncs (backup eligible): copies on the owner's devices are what it is for, and some
  providers keep a count per device, so the count cannot tell a copy from the owner's other phone.
  Its stored count never goes back."""

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
    CredentialDeviceType,
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
MAX_CREDENTIAL_ID_BYTES = 1023  # The spec's limit on credentialIdLength.
# What bent or broken input can raise while it is read: a refusal, never a crash.
MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError, RecursionError)


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


def _client_data(credential: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The browser's clientDataJSON as an object, and the challenge in it; refused as malformed,
    never a crash, however deep, long or strange it is."""
    try:
        client_data = json.loads(_b64url_decode(credential["response"]["clientDataJSON"]))
        if isinstance(client_data, dict):
            return client_data, _b64url_decode(client_data["challenge"])
    except MALFORMED as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                         reason="malformed response")


def _claim_challenge(db: Session, credential: dict[str, Any], purpose: str,
                     session_id: str) -> WebAuthnChallenge:
    """Find the challenge this response answers, among this session's, and use it up. Then refuse a
    ceremony that ran inside another site's page: we are never framed, so crossOrigin is false or
    missing and there is no topOrigin."""
    client_data, sent = _client_data(credential)
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
    if client_data.get("crossOrigin", False) is not False or "topOrigin" in client_data:
        raise PasskeyRefused(_("Your passkey could not be saved. Try again.") if purpose == "register"
                             else _("Your passkey could not be checked. Try again."),
                             reason="ceremony inside another site's page")
    return found


def _too_long(credential_id: bytes) -> bool:
    return len(credential_id) > MAX_CREDENTIAL_ID_BYTES


def _syncs(device_type: CredentialDeviceType) -> bool:
    """The backup-eligible flag, as py_webauthn reports it."""
    return device_type == CredentialDeviceType.MULTI_DEVICE


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
        raw_id = _b64url_decode(credential["rawId"])
    except (WebAuthnException, *MALFORMED) as exc:
        raise PasskeyRefused(_("Your passkey could not be saved. Try again."),
                             reason=f"registration refused: {type(exc).__name__}") from exc
    if _too_long(verified.credential_id) or raw_id != verified.credential_id:
        raise PasskeyRefused(_("Your passkey could not be saved. Try again."),
                             reason="credential id too long or not the one attested")
    if db.exec(select(Passkey).where(Passkey.credential_id == verified.credential_id)).first():
        raise PasskeyRefused(_("This passkey is already saved."), reason="duplicate credential id")
    count = len(db.exec(select(Passkey.id).where(Passkey.person_id == person.id)).all())
    name = provider_name(verified.aaguid) or _("Passkey %(number)s", number=count + 1)
    passkey = Passkey(person_id=id_of(person), credential_id=verified.credential_id,
                      public_key=verified.credential_public_key, sign_count=verified.sign_count,
                      backup_eligible=_syncs(verified.credential_device_type),
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
    except MALFORMED as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    if _too_long(credential_id):
        raise PasskeyRefused(_("We do not recognise this passkey. Sign in with a code instead."),
                             reason="credential id too long")
    passkey = db.exec(select(Passkey).where(Passkey.credential_id == credential_id)).first()
    person = db.get(Person, passkey.person_id) if passkey else None
    if passkey is None or person is None:
        raise PasskeyRefused(_("We do not recognise this passkey. Sign in with a code instead."),
                             reason="unknown credential")
    if user_handle != person.webauthn_user_id:
        raise PasskeyRefused(_("We do not recognise this passkey. Sign in with a code instead."),
                             reason="user handle does not match")
    try:
        # A stored count of 0 turns py_webauthn's own count check off: it runs before the signature
        # is checked, and the count is judged below, once everything else has passed.
        verified = verify_authentication_response(
            credential=credential, expected_challenge=challenge.challenge,
            expected_rp_id=settings.rp_id, expected_origin=settings.origin,
            credential_public_key=passkey.public_key, credential_current_sign_count=0,
            require_user_verification=True)
    except WebAuthnException as exc:
        raise PasskeyRefused(_("Your passkey could not be checked. Try again."),
                             reason=f"assertion refused: {type(exc).__name__}",
                             person_id=person.id) from exc
    except MALFORMED as exc:
        raise PasskeyRefused(_("Something went wrong with your passkey. Try again."),
                             reason="malformed response") from exc
    syncs = _syncs(verified.credential_device_type)
    stored, new = passkey.sign_count, verified.new_sign_count
    if passkey.backup_eligible is not None and syncs != passkey.backup_eligible:
        raise _copied(person, "backup-eligible flag changed since registration: possible copied key")
    if (stored or new) and new <= stored and not syncs:
        raise _copied(person, "sign count did not go up: possible cloned passkey")
    # Move the count on only from the value we checked against, so two racing uses cannot both win.
    moved = db.exec(update(Passkey).where(
        col(Passkey.id) == passkey.id, col(Passkey.sign_count) == stored)
        .values(sign_count=max(new, stored), backup_eligible=syncs, last_used_at=utcnow()))
    db.commit()
    if moved.rowcount != 1:
        raise PasskeyRefused(_("This took too long or was already used. Try again."),
                             reason="sign count changed during sign-in")
    db.refresh(passkey)
    return SignedIn(person=person, passkey=passkey)


def _copied(person: Person, reason: str) -> PasskeyRefused:
    """A correctly signed response from an authenticator that cannot be the one registered."""
    return PasskeyRefused(_("For your safety we could not accept this passkey. Sign in with a code, "
                            "then talk to us."), reason=reason, person_id=person.id, suspicious=True)
