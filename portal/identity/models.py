from __future__ import annotations

import datetime as dt
import secrets

from sqlmodel import Field, SQLModel

from portal.clock import utcnow


class Person(SQLModel, table=True):
    """Someone who signs in: a customer, a carer, an adviser, or more than one of these.

    A person is separate from the customer accounts they act on."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    email: str = Field(default="", max_length=320, index=True)
    phone: str = Field(default="", max_length=40)
    preferred_language: str = Field(default="en", max_length=8)
    # Staff: "adviser" for people who answer customers in /adviser, "operations" for people who publish
    # incidents in /ops; empty for everyone else.
    staff_role: str = Field(default="", max_length=20)
    team: str = Field(default="", max_length=20)  # An adviser's team: see portal/help/models.py Team.
    available_for_chat: bool = False  # An adviser who is free to take live chats.
    # The WebAuthn user handle: random, so it says nothing about the person.
    webauthn_user_id: bytes = Field(default_factory=lambda: secrets.token_bytes(32), unique=True)
    created_at: dt.datetime = Field(default_factory=utcnow)
    # Set by an adviser when an account (or a carer's sign-in) may be in the wrong hands: nobody can
    # sign in as this person, by any way, until an adviser lifts it (portal/advisers/locks.py).
    sign_in_locked_at: dt.datetime | None = None
    sign_in_locked_reason: str = Field(default="", max_length=500)

    @property
    def sign_in_locked(self) -> bool:
        return self.sign_in_locked_at is not None


class Passkey(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True, ondelete="CASCADE")
    credential_id: bytes = Field(unique=True, index=True)
    public_key: bytes
    sign_count: int = 0
    # The authenticator's backup-eligible (BE) flag, which never changes for a credential: True for a
    # passkey that syncs between devices. None for passkeys saved before it was kept; their next
    # sign-in records it.
    backup_eligible: bool | None = None
    aaguid: str = Field(default="", max_length=36)
    name: str = Field(max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow)
    last_used_at: dt.datetime | None = None


class WebAuthnChallenge(SQLModel, table=True):
    """A challenge lives on the server, belongs to one session, and can be used once."""

    __tablename__ = "webauthn_challenge"

    id: int | None = Field(default=None, primary_key=True)
    challenge: bytes
    purpose: str = Field(max_length=20)  # "register" or "authenticate"
    session_hash: str = Field(max_length=64, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    created_at: dt.datetime = Field(default_factory=utcnow)
    used_at: dt.datetime | None = None


class OneTimeCode(SQLModel, table=True):
    """A 6-digit code sent to the email or phone on record. Only a keyed hash is stored; the code is
    bound to the session that asked for it, works once, and expires after 10 minutes.

    A code to sign in or set up is asked for in one request and made after it (see
    identity/service.py ask_for_code): until then `pending_request` holds what was typed and
    `code_hash` is empty, which no code matches."""

    __tablename__ = "one_time_code"

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=20)  # "set_up" or "sign_in"
    code_hash: str = Field(max_length=64)
    session_hash: str = Field(max_length=64, index=True)
    account_id: int | None = Field(default=None, foreign_key="customer_account.id",
                                   ondelete="CASCADE")
    person_id: int | None = Field(default=None, foreign_key="person.id", ondelete="CASCADE")
    attempts: int = 0
    pending_request: str | None = None  # JSON; emptied once the code is made.
    request_digest: str = Field(default="", max_length=64)  # Keyed hash: the same form sent twice.
    device_hash: str = Field(default="", max_length=64)  # A device the person signed in on before.
    guess_key: str = Field(default="", max_length=100)  # Whose budget of wrong codes a wrong one uses.
    created_at: dt.datetime = Field(default_factory=utcnow)
    used_at: dt.datetime | None = None
