"""Changing the email address or phone number on an account.

A change waits until the person types the code we send to the NEW address, so nobody can move an
account to an address they do not hold. Then it applies to the account and to the holder (email and
phone are how they sign in and get codes), and the OLD address is told."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from sqlmodel import Session, func, select

from portal import i18n
from portal.access import Actor, Permission, can
from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.clock import utcnow
from portal.db import id_of
from portal.i18n import gettext as _
from portal.identity import codes
from portal.identity.models import OneTimeCode, Person
from portal.notify import service as notify
from portal.notify.acting import note_carer_acted
from portal.notify.models import InboxMessage
from portal.settings import Settings
from portal.web.ratelimit import Limit

PURPOSE = "contact_change"
# The same form sent again within this long is the same request: it reuses the code.
REPEAT_WINDOW = dt.timedelta(seconds=60)
# Enough for a few typing mistakes; not enough to send messages to strangers in bulk.
CODES_PER_PERSON = Limit("contact-change", 5, dt.timedelta(minutes=15))


class Kind(StrEnum):
    email = "email"
    phone = "phone"


@dataclass(frozen=True)
class Pending:
    """A change waiting for its code, kept in the server-side session (never in the page)."""

    kind: Kind
    value: str
    code_id: int
    account_id: int

    def to_session(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_session(cls, data: object) -> Pending | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(kind=Kind(data["kind"]), value=str(data["value"]),
                       code_id=int(data["code_id"]), account_id=int(data["account_id"]))
        except (KeyError, TypeError, ValueError):
            return None


class Problem(StrEnum):
    wrong = "wrong"
    expired = "expired"
    too_many_tries = "too_many_tries"
    address_taken = "address_taken"
    not_allowed = "not_allowed"


class ChangeFailed(Exception):
    def __init__(self, problem: Problem, tries_left: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.tries_left = tries_left


def phone_digits(value: str) -> str:
    """One spelling per number, so "+44 7700 900789" and "07700900789" are the same."""
    compact = re.sub(r"\s", "", value)
    return "0" + compact[3:] if compact.startswith("+44") else compact


def same_contact(kind: Kind, a: str, b: str) -> bool:
    if kind is Kind.email:
        return a.strip().lower() == b.strip().lower()
    return phone_digits(a) == phone_digits(b)


def current_value(account: CustomerAccount, kind: Kind) -> str:
    return account.email if kind is Kind.email else account.phone


def account_of(db: Session, pending: Pending) -> CustomerAccount | None:
    return db.get(CustomerAccount, pending.account_id)


def may_change(actor: Actor, account: CustomerAccount) -> bool:
    return can(actor, account, Permission.change_details)


def _send_code(db: Session, settings: Settings, kind: Kind, to: str, code: str) -> None:
    if kind is Kind.email:
        body = _("Your code to change your email address is %(code)s. It lasts 10 minutes. If "
                 "you did not ask for it, ignore this email.", code=code)
        notify.queue_email(db, to, _("Your code for %(organisation)s",
                                     organisation=settings.organisation.name), body)
    else:
        notify.queue_sms(db, to, _("Your code to change your phone number is %(code)s. It lasts "
                                   "10 minutes. If you did not ask for it, ignore this text.",
                                   code=code))


def send_code(db: Session, settings: Settings, session_id: str, actor: Actor,
              account: CustomerAccount, kind: Kind, value: str,
              pending: Pending | None = None) -> Pending:
    """Send a code to the new address and say what is waiting for it.

    The same change sent twice within a minute (a double press, a slow connection) reuses the code
    already sent, so one message goes out and the code in it works."""
    if not may_change(actor, account):
        raise ChangeFailed(Problem.not_allowed)
    account_id = id_of(account)
    if (pending is not None and pending.kind is kind and pending.value == value
            and pending.account_id == account_id):
        repeat = codes.recent(db, purpose=PURPOSE, session_id=session_id, account_id=account_id,
                              person_id=actor.person_id, within=REPEAT_WINDOW)
        if repeat is not None and repeat.id == pending.code_id and codes.tries_left(repeat):
            return pending
    row, code = codes.issue(db, settings, purpose=PURPOSE, session_id=session_id,
                            account_id=account_id, person_id=actor.person_id)
    _send_code(db, settings, kind, value, code)
    db.commit()
    return Pending(kind=kind, value=value, code_id=id_of(row), account_id=account_id)


def _address_taken(db: Session, person: Person | None, email: str) -> bool:
    """Someone else already signs in with this email address: sign-in could not tell them apart."""
    other = db.exec(select(Person).where(func.lower(Person.email) == email.lower(),
                                         Person.id != (person.id if person else None))).first()
    return other is not None


def confirm(db: Session, settings: Settings, session_id: str, actor: Actor, pending: Pending,
            typed: str) -> CustomerAccount:
    """Apply the change if `typed` is the code. Raises ChangeFailed saying why not."""
    account = db.get(CustomerAccount, pending.account_id)
    if account is None or not may_change(actor, account):
        raise ChangeFailed(Problem.not_allowed)
    row = codes.redeem(db, settings, code_id=pending.code_id, purpose=PURPOSE,
                       session_id=session_id, typed=typed)
    if row is None or row.account_id != account.id or row.person_id != actor.person_id:
        db.refresh(account)
        if current_value(account, pending.kind) == pending.value and _used(db, pending.code_id):
            return account  # Sent twice: the first one already made the change.
        raise _why_not(db, pending.code_id)
    holder = db.get(Person, account.holder_person_id) if account.holder_person_id else None
    if pending.kind is Kind.email and _address_taken(db, holder, pending.value):
        raise ChangeFailed(Problem.address_taken)
    old = current_value(account, pending.kind)
    # The holder's other accounts with the same old address change too: it is one person's address.
    for other in db.exec(select(CustomerAccount).where(
            CustomerAccount.holder_person_id == account.holder_person_id, CustomerAccount.id != account.id)):
        if account.holder_person_id is not None and current_value(other, pending.kind) == old:
            setattr(other, pending.kind.value, pending.value)
            db.add(other)
    if pending.kind is Kind.email:
        account.email = pending.value
        if holder is not None:
            holder.email = pending.value
    else:
        account.phone = pending.value
        if holder is not None:
            holder.phone = pending.value
    db.add(account)
    if holder is not None:
        db.add(holder)
    _tell_old_address(db, settings, account, holder, pending.kind, old)
    activity.record(db, actor_person_id=actor.person_id, subject_account_id=account.id,
                    action=f"{pending.kind.value}_changed")
    note_carer_acted(db, actor, pending.kind.value)
    db.commit()
    return account


def _used(db: Session, code_id: int) -> bool:
    row = db.get(OneTimeCode, code_id)
    if row is not None:
        db.refresh(row)
    return row is not None and row.used_at is not None


def _why_not(db: Session, code_id: int) -> ChangeFailed:
    row = db.get(OneTimeCode, code_id)
    if row is not None:
        db.refresh(row)  # The try was counted in another statement.
    if row is None or row.used_at is not None or utcnow() - row.created_at > codes.LIFETIME:
        return ChangeFailed(Problem.expired)
    left = codes.tries_left(row)
    return ChangeFailed(Problem.wrong, left) if left else ChangeFailed(Problem.too_many_tries)


def _tell_old_address(db: Session, settings: Settings, account: CustomerAccount,
                      holder: Person | None, kind: Kind, old: str) -> None:
    """In the holder's own language: the person changing it may be someone else, later."""
    with i18n.speaking(holder.preferred_language if holder else i18n.DEFAULT_LOCALE):
        _tell(db, settings, account, holder, kind, old)


def _tell(db: Session, settings: Settings, account: CustomerAccount, holder: Person | None, kind: Kind,
          old: str) -> None:
    if kind is Kind.email:
        subject = _("Your email address was changed")
        body = _("The email address on your account %(reference)s was changed. If this was not "
                 "you, call us on %(phone)s.", reference=account.reference,
                 phone=settings.help.phone)
        if old:
            notify.queue_email(db, old, subject, body)
    else:
        subject = _("Your phone number was changed")
        body = _("The phone number on your account %(reference)s was changed. If this was not "
                 "you, call us on %(phone)s.", reference=account.reference,
                 phone=settings.help.phone)
        if old:
            notify.queue_sms(db, old, body)
        if holder is not None and holder.email:
            notify.queue_email(db, holder.email, subject, body)
    if holder is not None and holder.id is not None:
        db.add(InboxMessage(person_id=holder.id, subject=subject, body=body))
