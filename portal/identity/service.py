"""Setting up online access, signing in with a code, and looking after passkeys and sessions."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlmodel import Session, col, delete, func, select

from portal import i18n
from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.activity.models import ActivityEntry
from portal.broker import Broker
from portal.clock import utcnow
from portal.db import id_of
from portal.i18n import gettext as _
from portal.identity import codes, events
from portal.identity.models import Passkey, Person
from portal.notify import service as notify
from portal.settings import Settings
from portal.web.ratelimit import Limit
from portal.web.sessions import WebSession, hash_id

# Short windows: enough to make guessing slow, never a lock-out that lasts.
SET_UP_PER_CLIENT = Limit("set-up-client", 10, dt.timedelta(minutes=15))
SET_UP_PER_REFERENCE = Limit("set-up-reference", 5, dt.timedelta(minutes=15))
CODES_PER_IDENTIFIER = Limit("send-code", 5, dt.timedelta(minutes=15))
SIGN_IN_PER_CLIENT = Limit("sign-in-client", 30, dt.timedelta(minutes=15))
# A second request within this long is taken as the same request sent twice.
REPEAT_WINDOW = dt.timedelta(seconds=60)
# Every sign-in page asks for passkey options (for autofill), so this one is generous.
PASSKEY_OPTIONS_PER_CLIENT = Limit("passkey-options-client", 120, dt.timedelta(minutes=15))


class LastWayIn(Exception):
    """Removing this passkey would leave no way to sign in."""


def normalise_reference(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value).upper()
    return f"{compact[:2]}-{compact[2:]}" if len(compact) > 2 else compact


def normalise_postcode(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def _issue_code(db: Session, settings: Settings, session_id: str, purpose: str, *,
                account: CustomerAccount | None = None, person: Person | None = None) -> int:
    """Make a code and send it to whoever matched, if anyone did. The work is the same either way
    but for the messages, which only leave through the outbox after the response.

    A form sent twice (a double press, a slow connection) reuses the code from a moment ago, so one
    message goes out and the code in it works."""
    account_id, person_id = (account.id if account else None), (person.id if person else None)
    repeat = codes.recent(db, purpose=purpose, session_id=session_id, account_id=account_id,
                          person_id=person_id, within=REPEAT_WINDOW)
    if repeat is not None and repeat.id is not None:
        return repeat.id
    row, code = codes.issue(db, settings, purpose=purpose, session_id=session_id,
                            account_id=account.id if account else None,
                            person_id=person.id if person else None)
    contact = account or person
    if contact is not None:
        subject = _("Your code for %(organisation)s", organisation=settings.organisation.name)
        body = _("Your code is %(code)s. It lasts 10 minutes. If you did not ask for it, ignore "
                 "this message or call us on %(phone)s.", code=code, phone=settings.help.phone)
        if contact.email:
            notify.queue_email(db, contact.email, subject, body)
        if contact.phone:
            notify.queue_sms(db, contact.phone, body)
    db.commit()
    return id_of(row)


def start_set_up(db: Session, settings: Settings, session_id: str, reference: str,
                 postcode: str, date_of_birth: dt.date | None) -> int:
    """Send a code if the details match an account. The caller shows the same page either way."""
    account = db.exec(select(CustomerAccount).where(
        CustomerAccount.reference == normalise_reference(reference))).first()
    matches = account is not None and (
        (bool(postcode) and normalise_postcode(postcode) == normalise_postcode(account.postcode))
        or (date_of_birth is not None and date_of_birth == account.date_of_birth))
    return _issue_code(db, settings, session_id, "set_up", account=account if matches else None)


def holder_of(db: Session, account: CustomerAccount) -> tuple[Person, bool]:
    """The person who holds the account, and whether they were made just now from the account's
    details (a customer who was not online yet; an adviser may also make one, see portal/carers/)."""
    person = db.get(Person, account.holder_person_id) if account.holder_person_id else None
    if person is not None:
        return person, False
    person = Person(name=account.holder_name, email=account.email, phone=account.phone)
    db.add(person)
    db.flush()
    account.holder_person_id = person.id
    db.add(account)
    return person, True


def been_online(db: Session, person: Person) -> bool:
    """Have they a passkey, or ever signed in? If not, setting up is their first time, not a recovery."""
    return bool(passkeys_of(db, person.id or 0)) or db.exec(select(ActivityEntry).where(
        ActivityEntry.actor_person_id == person.id, ActivityEntry.action == "signed_in")).first() is not None


def finish_set_up(db: Session, settings: Settings, session_id: str, code_id: int | None,
                  typed: str) -> Person | None:
    row = codes.redeem(db, settings, code_id=code_id, purpose="set_up", session_id=session_id,
                       typed=typed)
    account = db.get(CustomerAccount, row.account_id) if row and row.account_id else None
    if account is None:
        return None
    person, made = holder_of(db, account)
    if made or not been_online(db, person):
        activity.record(db, actor_person_id=person.id, subject_account_id=account.id,
                        action="set_up_online_access")
    else:
        # Setting up again is how someone who lost their passkeys gets back in: tell them.
        activity.record(db, actor_person_id=person.id, subject_account_id=account.id,
                        action="recovered_access", detail="set-up with a code")
        with i18n.speaking(person.preferred_language):
            notify.tell(db, person, _("You got back into your account"),
                        _("Someone used a code sent to you to get back into your account. If this was "
                          "not you, call us on %(phone)s.", phone=settings.help.phone))
    db.commit()
    return person


def canonical_identifier(identifier: str) -> str:
    """One spelling per person, so "NF 100 234" and "nf-100234" share a rate limit."""
    identifier = identifier.strip()
    return identifier.lower() if "@" in identifier else normalise_reference(identifier)


def find_person(db: Session, identifier: str) -> Person | None:
    """By email address, or by customer reference."""
    identifier = identifier.strip()
    if "@" in identifier:
        return db.exec(select(Person).where(
            func.lower(Person.email) == identifier.lower())).first()
    account = db.exec(select(CustomerAccount).where(
        CustomerAccount.reference == normalise_reference(identifier))).first()
    return db.get(Person, account.holder_person_id) if account and account.holder_person_id else None


def start_code_sign_in(db: Session, settings: Settings, session_id: str, identifier: str) -> int:
    return _issue_code(db, settings, session_id, "sign_in", person=find_person(db, identifier))


def finish_code_sign_in(db: Session, settings: Settings, session_id: str, code_id: int | None,
                        typed: str) -> Person | None:
    row = codes.redeem(db, settings, code_id=code_id, purpose="sign_in", session_id=session_id,
                       typed=typed)
    db.commit()  # The code is used up, whoever it was for.
    return db.get(Person, row.person_id) if row and row.person_id else None


def record_sign_in(db: Session, person: Person, how: str) -> None:
    activity.record(db, actor_person_id=person.id, action="signed_in", detail=how)
    db.commit()


def record_refusal(db: Session, person_id: int | None, reason: str) -> None:
    activity.record(db, actor_person_id=person_id, action="sign_in_refused", detail=reason[:500])
    db.commit()


def warn_about_passkey(db: Session, settings: Settings, person_id: int) -> None:
    person = db.get(Person, person_id)
    if person is None:
        return
    with i18n.speaking(person.preferred_language):
        notify.tell(db, person, _("We stopped a sign-in with one of your passkeys"),
                    _("Someone tried to sign in with a passkey that looked like a copy of yours. We "
                      "stopped it. Call us on %(phone)s so we can help you keep your account safe.",
                      phone=settings.help.phone))
    db.commit()


def passkeys_of(db: Session, person_id: int) -> list[Passkey]:
    return list(db.exec(select(Passkey).where(Passkey.person_id == person_id)
                        .order_by(col(Passkey.created_at))).all())


def passkey_of(db: Session, person_id: int, passkey_id: int) -> Passkey | None:
    passkey = db.get(Passkey, passkey_id)
    return passkey if passkey and passkey.person_id == person_id else None


def added_passkey(db: Session, settings: Settings, person: Person, passkey: Passkey) -> None:
    activity.record(db, actor_person_id=person.id, action="passkey_added", detail=passkey.name)
    with i18n.speaking(person.preferred_language):
        notify.tell(db, person, _("A passkey was added to your account"),
                    _("A passkey called %(name)s was added. If this was not you, call us on "
                      "%(phone)s.", name=passkey.name, phone=settings.help.phone))
    db.commit()


def rename_passkey(db: Session, person: Person, passkey: Passkey, name: str) -> None:
    passkey.name = name
    db.add(passkey)
    activity.record(db, actor_person_id=person.id, action="passkey_renamed", detail=name)
    db.commit()


def remove_passkey(db: Session, settings: Settings, person: Person, passkey: Passkey) -> None:
    others = [p for p in passkeys_of(db, person.id or 0) if p.id != passkey.id]
    if not others and not (person.email or person.phone):
        raise LastWayIn
    db.delete(passkey)
    activity.record(db, actor_person_id=person.id, action="passkey_removed", detail=passkey.name)
    with i18n.speaking(person.preferred_language):
        notify.tell(db, person, _("A passkey was removed from your account"),
                    _("The passkey called %(name)s was removed. If this was not you, call us on "
                      "%(phone)s.", name=passkey.name, phone=settings.help.phone))
    db.commit()


def sessions_of(db: Session, settings: Settings, person_id: int) -> list[WebSession]:
    """Live sessions only: ones past their idle or absolute limit are gone, whatever the table says."""
    now = utcnow()
    return list(db.exec(select(WebSession).where(
        WebSession.person_id == person_id,
        WebSession.last_seen_at > now - dt.timedelta(minutes=settings.session_idle_minutes),
        WebSession.created_at > now - dt.timedelta(hours=settings.session_max_hours))
        .order_by(col(WebSession.last_seen_at).desc())).all())


@dataclass(frozen=True)
class SessionSummary:
    device: str
    started: dt.datetime
    last_seen: dt.datetime
    current: bool


def session_summaries(db: Session, settings: Settings, person_id: int,
                      current_session_id: str) -> list[SessionSummary]:
    """Where the person is signed in, in words they recognise, with this device marked."""
    return [SessionSummary(device=describe_device(s.user_agent), started=s.created_at,
                           last_seen=s.last_seen_at,
                           current=s.id_hash == hash_id(current_session_id))
            for s in sessions_of(db, settings, person_id)]


def person(db: Session, person_id: int) -> Person:
    """Someone who is signed in (so exists)."""
    found = db.get(Person, person_id)
    if found is None:
        raise LookupError(f"person {person_id} is signed in but not stored")
    return found


def sign_out(db: Session, broker: Broker | None, time_zone: str, person_id: int, session_id: str) -> None:
    """Signing out: recorded, and the features that keep things per session hear of it (notifications
    turned on in this session stop; a screen shared from it, or watched by this adviser, ends)."""
    event = events.SessionsEnded(person_id, session_id, others=False, time_zone=time_zone)
    activity.record(db, actor_person_id=person_id, action="signed_out")
    events.announce(events.Phase.IN_TRANSACTION, db, broker, event)
    db.commit()
    events.announce(events.Phase.AFTER_COMMIT, db, broker, event)


def end_other_sessions(db: Session, broker: Broker | None, time_zone: str, person_id: int,
                       current_session_id: str) -> int:
    """Sign out everywhere else; notifications turned on anywhere else stop too, and so does a screen
    shared from another browser."""
    event = events.SessionsEnded(person_id, current_session_id, others=True, time_zone=time_zone)
    events.announce(events.Phase.IN_TRANSACTION, db, broker, event)
    result = db.exec(delete(WebSession).where(
        col(WebSession.person_id) == person_id, col(WebSession.id_hash) != hash_id(current_session_id)))
    activity.record(db, actor_person_id=person_id, action="signed_out_other_sessions")
    db.commit()
    events.announce(events.Phase.AFTER_COMMIT, db, broker, event)
    return result.rowcount


def describe_device(user_agent: str) -> str:
    """A short, plain description like "Chrome on Android"; good enough to spot a stranger."""
    browsers = [("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                ("Safari/", "Safari")]
    systems = [("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
               ("Windows", "Windows"), ("Mac OS X", "Mac"), ("Linux", "Linux")]
    browser = next((name for token, name in browsers if token in user_agent), None)
    system = next((name for token, name in systems if token in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown device")
