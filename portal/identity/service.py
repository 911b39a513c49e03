"""Setting up online access, signing in with a code, and looking after passkeys and sessions."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, delete, func, select, update

from portal import i18n
from portal.accounts.models import CustomerAccount
from portal.activity import service as activity
from portal.activity.models import ActivityEntry
from portal.broker import Broker
from portal.clock import aware, utcnow
from portal.db import id_of
from portal.i18n import gettext as _
from portal.identity import codes, events
from portal.identity.models import OneTimeCode, Passkey, Person
from portal.notify import service as notify
from portal.settings import Settings
from portal.web import devices
from portal.web.ratelimit import Limit, Verdict, attempt, forget
from portal.web.sessions import WebSession, hash_id

# Limits on signing in. Codes and passkeys are counted apart. An attacker is slowed without shutting
# the owner out: the owner's passkey is never refused once it checks out (passkey tries are limited
# only per address, in /webauthn/authenticate/options), and a device the owner signed in on before
# is counted on its own (portal/web/devices.py). Identifiers are counted by keyed digest.
MINUTES_15 = dt.timedelta(minutes=15)
# Asking for a code, to sign in or to set up (or get back into) online access, from a new device:
CODES_PER_ADDRESS = Limit("codes-address", 30, MINUTES_15)  # One address asking for many people,
CODES_PER_IDENTIFIER_AND_ADDRESS = Limit("codes-identifier-address", 5, MINUTES_15)  # or one.
# One person from anywhere: after 10, one a minute. Slowed, never shut.
CODES_PER_IDENTIFIER = Limit("codes-identifier", 10, MINUTES_15, then_every=dt.timedelta(minutes=1))
CODES_PER_KNOWN_DEVICE = Limit("codes-device", 10, MINUTES_15)
# Wrong codes typed for one account, all its codes together: from new devices between them, and
# from each known device. Against 6 digits, 10 a day is a 1 in 100,000 chance a day.
WRONG_CODES_PER_ACCOUNT = Limit("wrong-codes", 10, dt.timedelta(hours=24))
# Every sign-in page asks for passkey options (for autofill), so this one is generous.
PASSKEY_TRIES_PER_ADDRESS = Limit("passkey-address", 120, MINUTES_15)
# A second request within this long is taken as the same request sent twice.
REPEAT_WINDOW = dt.timedelta(seconds=60)


class LastWayIn(Exception):
    """Removing this passkey would leave no way to sign in."""


class TooManyWrongCodes(Exception):
    """The account's wrong codes for now are used up: the code was not even checked."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def normalise_reference(value: str) -> str:
    compact = re.sub(r"[\s-]", "", value).upper()
    return f"{compact[:2]}-{compact[2:]}" if len(compact) > 2 else compact


def normalise_postcode(value: str) -> str:
    return re.sub(r"\s", "", value).upper()


def may_ask_for_code(db: Session, settings: Settings, identifier: str, address: str,
                     device: str) -> Verdict:
    """Whether a request for a code is within the limits: a device the person signed in on before
    by its own count (`device`, from devices.known); any other by address, by identifier from this
    address, and by identifier from anywhere (slowed, not shut)."""
    if device:
        return attempt(db, (CODES_PER_KNOWN_DEVICE, device))
    named = devices.identifier_digest(settings, identifier)
    return attempt(db, (CODES_PER_ADDRESS, address),
                   (CODES_PER_IDENTIFIER_AND_ADDRESS, f"{named}|{address}"),
                   (CODES_PER_IDENTIFIER, named))


def ask_for_code(db: Session, settings: Settings, session_id: str, purpose: str,
                 details: dict[str, str], device: str) -> int:
    """Note a request for a code; send_requested_codes makes and sends it after the response. This
    request never looks for whoever the details match, so it does the same work, in the same time,
    whether or not they match anyone.

    The same form sent twice (a double press, a slow connection) gets the same code, so one message
    goes out and the code in it works."""
    digest = hmac.new(settings.secret_key.encode(),
                      f"{purpose}:{json.dumps(details, sort_keys=True)}".encode(),
                      hashlib.sha256).hexdigest()
    repeat = db.exec(select(OneTimeCode).where(
        OneTimeCode.purpose == purpose, OneTimeCode.session_hash == hash_id(session_id),
        OneTimeCode.request_digest == digest, col(OneTimeCode.used_at).is_(None),
        OneTimeCode.created_at > utcnow() - REPEAT_WINDOW)).first()
    if repeat is not None:
        return id_of(repeat)
    row = OneTimeCode(purpose=purpose, code_hash="", session_hash=hash_id(session_id),
                      pending_request=json.dumps({**details, "language": i18n.get_locale()}),
                      request_digest=digest, device_hash=device, guess_key=f"request:{digest}")
    db.add(row)
    db.commit()
    return id_of(row)


def send_requested_codes(engine: Engine, settings: Settings) -> int:
    """Make the codes asked for, and queue each to whoever the details match, if anyone: details that
    match nobody get a code nobody hears of. Runs just after the response that asked, and in every
    worker pass should that have been cut short. Each is made once, whoever runs this."""
    made = 0
    with Session(engine) as db:
        waiting = db.exec(select(OneTimeCode.id).where(col(OneTimeCode.pending_request).is_not(None))
                          .order_by(col(OneTimeCode.id)).limit(100)).all()
        for code_id in waiting:
            made += _make_requested_code(db, settings, code_id)
    return made


def _make_requested_code(db: Session, settings: Settings, code_id: int | None) -> int:
    row = db.get(OneTimeCode, code_id)
    if row is None or row.pending_request is None:
        return 0
    asked = json.loads(row.pending_request)
    account, person = _whose(db, row.purpose, asked)
    holder = person.id if person else account.holder_person_id if account else None
    guess_key = (f"person:{holder}" if holder else f"account:{account.id}" if account
                 else row.guess_key)
    code = codes.new_code()
    fresh = utcnow() - aware(row.created_at) <= codes.LIFETIME  # Too late to be any use: no code.
    claimed = db.exec(update(OneTimeCode).where(
        col(OneTimeCode.id) == row.id, col(OneTimeCode.pending_request).is_not(None)).values(
        pending_request=None, guess_key=guess_key,
        code_hash=codes.digest(settings, row.purpose, row.session_hash, code) if fresh else "",
        account_id=account.id if account else None, person_id=person.id if person else None))
    contact = account or person
    if claimed.rowcount == 1 and fresh and contact is not None:
        with i18n.speaking(asked.get("language", "en")):
            subject = _("Your code for %(organisation)s", organisation=settings.organisation.name)
            body = _("Your code is %(code)s. It lasts 10 minutes. If you did not ask for it, ignore "
                     "this message or call us on %(phone)s.", code=code, phone=settings.help.phone)
        if contact.email:
            notify.queue_email(db, contact.email, subject, body)
        if contact.phone:
            notify.queue_sms(db, contact.phone, body)
    db.commit()
    return claimed.rowcount


def _whose(db: Session, purpose: str, asked: dict[str, str]) -> tuple[CustomerAccount | None,
                                                                      Person | None]:
    """The account (setting up) or person (signing in) the details match, if any."""
    if purpose == "sign_in":
        return None, find_person(db, asked["identifier"])
    account = db.exec(select(CustomerAccount).where(
        CustomerAccount.reference == asked["reference"])).first()
    born = dt.date.fromisoformat(asked["date_of_birth"]) if asked["date_of_birth"] else None
    matches = account is not None and (
        (bool(asked["postcode"]) and asked["postcode"] == normalise_postcode(account.postcode))
        or (born is not None and born == account.date_of_birth))
    return (account if matches else None), None


def start_set_up(db: Session, settings: Settings, session_id: str, reference: str,
                 postcode: str, date_of_birth: dt.date | None, device: str = "") -> int:
    """Ask for a code, sent if the details match an account. The caller shows the same page either
    way."""
    return ask_for_code(db, settings, session_id, "set_up", {
        "reference": normalise_reference(reference), "postcode": normalise_postcode(postcode),
        "date_of_birth": date_of_birth.isoformat() if date_of_birth else ""}, device)


def _redeem(db: Session, settings: Settings, *, code_id: int | None, purpose: str,
            session_id: str, typed: str) -> OneTimeCode | None:
    """codes.redeem, within the account's wrong codes: the try is counted as wrong before the code is
    checked, so guesses sent at once cannot pass the limit, and taken off again if it was right
    (in the caller's transaction, with the code marked used)."""
    row = db.get(OneTimeCode, code_id) if code_id else None
    if row is None or row.purpose != purpose or row.session_hash != hash_id(session_id):
        return None
    verdict = attempt(db, (WRONG_CODES_PER_ACCOUNT, f"{row.guess_key}|{row.device_hash or 'new'}"))
    if not verdict.allowed:
        raise TooManyWrongCodes(verdict.retry_after)
    redeemed = codes.redeem(db, settings, code_id=code_id, purpose=purpose, session_id=session_id,
                            typed=typed)
    if redeemed is not None:
        forget(db, verdict)
    return redeemed


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
    """The person who now holds the account, or None for a wrong code. TooManyWrongCodes when the
    account has had too many."""
    row = _redeem(db, settings, code_id=code_id, purpose="set_up", session_id=session_id,
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


def identifiers_of(db: Session, person: Person) -> list[str]:
    """Every way to name this person at sign-in, each in its one spelling."""
    references = db.exec(select(CustomerAccount.reference).where(
        CustomerAccount.holder_person_id == person.id)).all()
    return [canonical_identifier(value) for value in [person.email, *references] if value]


def start_code_sign_in(db: Session, settings: Settings, session_id: str, identifier: str,
                       device: str = "") -> int:
    return ask_for_code(db, settings, session_id, "sign_in",
                        {"identifier": canonical_identifier(identifier)}, device)


def finish_code_sign_in(db: Session, settings: Settings, session_id: str, code_id: int | None,
                        typed: str) -> Person | None:
    """The person the code was for, or None for a wrong code. TooManyWrongCodes when the account has
    had too many."""
    row = _redeem(db, settings, code_id=code_id, purpose="sign_in", session_id=session_id,
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
