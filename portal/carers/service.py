"""Carers: inviting one, accepting, acting for someone, and the customer staying in control.

A carer signs in as themselves. While they act for a customer, `can()` (portal/access.py)
answers for that customer within the scopes the customer chose, and every request is checked afresh
against the authority here, so a change or a stop takes effect on the very next request."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select, update

from portal import i18n
from portal.access import ActingFor, Actor, Permission, Scope, can
from portal.accounts.models import CustomerAccount
from portal.accounts.service import looks_like_reference
from portal.activity import service as activity
from portal.activity.models import ActivityEntry
from portal.broker import Broker
from portal.carers.models import AuthorityStatus, Basis, CarerAuthority
from portal.clock import aware, utcnow
from portal.db import id_of
from portal.help.models import HelpRequest, RequestStatus
from portal.help.requests import request_channel
from portal.i18n import gettext as _
from portal.identity.models import Person
from portal.identity.service import holder_of, normalise_reference
from portal.needs.models import Channel, CommunicationNeeds
from portal.notify import service as notify
from portal.notify.acting import note_carer_acted
from portal.notify.service import tell_person
from portal.settings import Settings
from portal.web.ratelimit import Limit

INVITATION_LIFETIME = dt.timedelta(days=14)
REVIEW_AFTER = dt.timedelta(days=365)
CODE_LETTERS = "ACDEFHJKMNPRTUVWXY3479"  # Easy to read out: no 0/O, 1/I, 5/S.
CODE_LENGTH = 12
# Guessing a 12-letter code is hopeless anyway; this keeps anyone from trying at scale.
ACCEPT_PER_CLIENT = Limit("carer-code-client", 10, dt.timedelta(minutes=15))
SENSITIVE_SCOPES = frozenset({Scope.payments, Scope.contact})


class NotAllowed(Exception):
    """The person may not do this to this authority."""


class OwnInvitation(Exception):
    """Someone tried to accept an invitation to help themself."""


@dataclass(frozen=True)
class Terms:
    """What the carer may do and until when, as the customer (or an adviser) chose."""

    scopes: frozenset[Scope]
    ends_on: dt.date | None


@dataclass(frozen=True)
class Invitation:
    carer_name: str
    carer_email: str
    carer_phone: str
    terms: Terms


@dataclass(frozen=True)
class Document:
    """A lasting power of attorney or deputyship order, checked by an adviser."""

    basis: Basis
    reference: str
    checks: str


def scopes_of(authority: CarerAuthority) -> frozenset[Scope]:
    return frozenset(Scope(value) for value in authority.scopes.split(",") if value in Scope.__members__)


def _scope_text(scopes: Iterable[Scope]) -> str:
    return ",".join(sorted(scope.value for scope in scopes))


def expired(authority: CarerAuthority, today: dt.date) -> bool:
    return authority.ends_on is not None and today > authority.ends_on


def live(authority: CarerAuthority, today: dt.date) -> bool:
    """May the carer act now?"""
    return authority.status is AuthorityStatus.active and not expired(authority, today)


def new_code() -> str:
    return "".join(secrets.choice(CODE_LETTERS) for _ in range(CODE_LENGTH))


def tidy_code(typed: str) -> str:
    """People type codes with spaces, dashes and small letters; links carry them as they are."""
    return "".join(ch for ch in typed.upper() if ch.isalnum())


def show_code(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def code_hash(secret_key: str, code: str) -> str:
    return hmac.new(secret_key.encode(), f"carer-invitation:{code}".encode(), hashlib.sha256).hexdigest()


def accept_link(settings: Settings, code: str) -> str:
    """The code goes after "#": browsers never send that part to a server, so no access log (ours,
    a proxy's) and no Referer header keeps it. The page puts it in the code box (static/js/portal.js);
    without JavaScript the person types the code, which the message gives too."""
    return settings.base_url.rstrip("/") + accept_path(code)


def accept_path(typed: str) -> str:
    """The page for entering a code, with the code (if it looks like one) after "#"."""
    code = tidy_code(typed)
    return f"/carers/accept#code={code}" if len(code) == CODE_LENGTH else "/carers/accept"


def tell(db: Session, person: Person, subject: str, body: str) -> None:
    """A message in their account, an email, and a text as well if they told us text suits them
    best. In the caller's transaction."""
    notify.tell(db, person, subject, body)
    needs = db.exec(select(CommunicationNeeds).where(CommunicationNeeds.person_id == person.id)).first()
    if person.phone and needs is not None and needs.preferred_channel == Channel.text.value:
        notify.queue_sms(db, person.phone, f"{subject}. {body}")


def _send_invitation(db: Session, settings: Settings, authority: CarerAuthority, customer_name: str,
                     code: str) -> None:
    subject = _("%(name)s asked you to help with their account", name=customer_name)
    body = _("%(name)s wants you to help with their %(organisation)s account. To say yes, open "
             "%(link)s or enter the code %(code)s at %(base)s/carers/accept. The code works once "
             "and lasts 14 days.", name=customer_name, organisation=settings.organisation.name,
             link=accept_link(settings, code), code=show_code(code), base=settings.base_url.rstrip("/"))
    if authority.carer_email:
        notify.queue_email(db, authority.carer_email, subject, body)
    if authority.carer_phone:
        notify.queue_sms(db, authority.carer_phone, body)


def invite(db: Session, settings: Settings, actor: Actor, invitation: Invitation,
           form_key: str, today: dt.date) -> tuple[CarerAuthority, str | None]:
    """A new invitation and its code. Sent twice (a double press), the first one comes back, with no
    code: it went out already."""
    customer = db.get(Person, actor.person_id)
    if customer is None or actor.acting_for is not None:
        raise NotAllowed
    existing = db.exec(select(CarerAuthority).where(CarerAuthority.form_key == form_key)).first()
    if existing is not None:
        if existing.customer_person_id != actor.person_id:
            raise NotAllowed
        return existing, None
    code = new_code()
    authority = CarerAuthority(
        customer_person_id=actor.person_id, carer_name=invitation.carer_name,
        carer_email=invitation.carer_email, carer_phone=invitation.carer_phone,
        scopes=_scope_text(invitation.terms.scopes), ends_on=invitation.terms.ends_on,
        review_on=None if invitation.terms.ends_on else today + REVIEW_AFTER,
        invite_hash=code_hash(settings.secret_key, code), invite_expires_at=utcnow() + INVITATION_LIFETIME,
        set_up_by_person_id=actor.person_id, form_key=form_key)
    db.add(authority)
    db.flush()
    activity.record(db, actor_person_id=actor.person_id, action="carer_invited",
                    detail=f"{invitation.carer_name}: {authority.scopes}")
    with i18n.speaking("en"):  # We do not know the carer's language yet.
        _send_invitation(db, settings, authority, customer.name, code)
    with i18n.speaking(customer.preferred_language):
        tell(db, customer, _("You invited someone to help you"),
             _("You invited %(carer)s to help with your account. They can do nothing until they "
               "accept. You can change or stop this at any time on the page People who help you.",
               carer=invitation.carer_name))
    db.commit()
    return authority, code


def invitation_for(db: Session, settings: Settings, typed: str) -> CarerAuthority | None:
    """The invitation this code opens, if it is still waiting and not past its 14 days."""
    code = tidy_code(typed)
    if len(code) != CODE_LENGTH:
        return None
    authority = db.exec(select(CarerAuthority).where(
        CarerAuthority.invite_hash == code_hash(settings.secret_key, code))).first()
    if (authority is None or authority.status is not AuthorityStatus.invited
            or authority.invite_expires_at is None or aware(authority.invite_expires_at) < utcnow()):
        return None
    return authority


def waiting_invitation(db: Session, authority_id: int | None) -> CarerAuthority | None:
    """An invitation whose code this session already gave, while it still waits."""
    authority = db.get(CarerAuthority, authority_id) if authority_id else None
    if (authority is None or authority.status is not AuthorityStatus.invited
            or authority.invite_expires_at is None or aware(authority.invite_expires_at) < utcnow()):
        return None
    return authority


def person_with_email(db: Session, email: str) -> Person | None:
    if not email:
        return None
    return db.exec(select(Person).where(col(Person.email).ilike(email))).first()


def person_signed_in(db: Session, person_id: int | None) -> Person | None:
    """Whoever is signed in on this browser, if anyone: they accept an invitation as themselves."""
    return db.get(Person, person_id) if person_id else None


def new_carer(db: Session, authority: CarerAuthority, name: str) -> Person:
    """Someone accepting an invitation who has no sign-in here yet: their own person, reached at the
    email or phone the invitation went to. Saved with the acceptance (`accept` commits)."""
    carer = Person(name=name, email=authority.carer_email, phone=authority.carer_phone)
    db.add(carer)
    db.flush()
    return carer


def accept(db: Session, settings: Settings, authority: CarerAuthority, carer: Person) -> bool:
    """The carer says yes. The code is spent in the same statement, so it works once even when two
    people race with it. False if it was used or stopped in the meantime."""
    if carer.id == authority.customer_person_id:
        raise OwnInvitation
    taken = db.exec(update(CarerAuthority).where(
        col(CarerAuthority.id) == authority.id, col(CarerAuthority.status) == AuthorityStatus.invited,
        col(CarerAuthority.invite_hash).is_not(None)).values(
        status=AuthorityStatus.active, carer_person_id=carer.id, invite_hash=None,
        accepted_at=utcnow()))
    if taken.rowcount != 1:
        db.rollback()
        return False
    db.refresh(authority)
    activity.record(db, actor_person_id=carer.id, on_behalf_of_person_id=authority.customer_person_id,
                    action="carer_accepted", detail=authority.scopes)
    tell_person(db, authority.customer_person_id, lambda: _("%(carer)s can now help you", carer=carer.name),
                 lambda: _("%(carer)s said yes. They can now act for you, in the ways you chose. On the "
                           "page People who help you, you can see what they do, change it or stop it.",
                           carer=carer.name))
    db.commit()
    return True


def decline(db: Session, authority: CarerAuthority, by_person_id: int | None) -> None:
    ended = db.exec(update(CarerAuthority).where(
        col(CarerAuthority.id) == authority.id, col(CarerAuthority.status) == AuthorityStatus.invited).values(
        status=AuthorityStatus.ended, invite_hash=None, ended_at=utcnow()))
    if ended.rowcount == 1:
        activity.record(db, actor_person_id=by_person_id, action="carer_declined",
                        on_behalf_of_person_id=authority.customer_person_id, detail=authority.carer_name)
        tell_person(db, authority.customer_person_id,
                     lambda: _("%(carer)s said no", carer=authority.carer_name),
                     lambda: _("%(carer)s did not say yes, so they cannot act for you.",
                               carer=authority.carer_name))
    db.commit()


def people_who_help(db: Session, customer_id: int) -> list[CarerAuthority]:
    return list(db.exec(select(CarerAuthority).where(CarerAuthority.customer_person_id == customer_id)
                        .order_by(col(CarerAuthority.status) == AuthorityStatus.ended,
                                  col(CarerAuthority.id).desc())).all())


def people_i_help(db: Session, carer_id: int) -> list[CarerAuthority]:
    return list(db.exec(select(CarerAuthority).where(
        CarerAuthority.carer_person_id == carer_id, CarerAuthority.status != AuthorityStatus.ended)
        .order_by(col(CarerAuthority.id))).all())


def helped_by(db: Session, customer_id: int, today: dt.date) -> list[CarerAuthority]:
    """The carers who may act for this customer now."""
    return [a for a in people_who_help(db, customer_id) if live(a, today)]


def customer_of(db: Session, authority: CarerAuthority) -> Person | None:
    return db.get(Person, authority.customer_person_id)


def names(db: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {p.id: p.name for p in db.exec(select(Person).where(col(Person.id).in_(wanted)))
            if p.id is not None}


def acting_for(db: Session, authority_id: int, carer_id: int, today: dt.date) -> ActingFor | None:
    """What the carer may do for the customer right now, or None if they may not act at all."""
    authority = db.get(CarerAuthority, authority_id)
    if authority is None or authority.carer_person_id != carer_id or not live(authority, today):
        return None
    carer = db.get(Person, carer_id)
    if carer is None or carer.sign_in_locked:  # An adviser locked their sign-in.
        return None
    customer = customer_of(db, authority)
    if customer is None or customer.id is None:
        return None
    return ActingFor(authority_id=authority_id, customer_person_id=customer.id,
                     customer_name=customer.name, scopes=scopes_of(authority))


def start_acting(db: Session, carer: Actor, authority_id: int, today: dt.date) -> ActingFor | None:
    acting = acting_for(db, authority_id, carer.person_id, today)
    if acting is not None:
        activity.record(db, actor_person_id=carer.person_id, action="carer_started_acting",
                        on_behalf_of_person_id=acting.customer_person_id)
        db.commit()
    return acting


def stop_acting(db: Session, carer: Actor) -> None:
    if carer.acting_for is not None:
        activity.record(db, actor_person_id=carer.person_id, action="carer_stopped_acting",
                        on_behalf_of_person_id=carer.acting_for.customer_person_id)
        db.commit()


def owned(db: Session, actor: Actor, authority_id: int) -> CarerAuthority | None:
    """One of the actor's own carers: only the customer manages who helps them (never a carer, not
    even for themself)."""
    authority = db.get(CarerAuthority, authority_id)
    if (authority is None or actor.acting_for is not None
            or authority.customer_person_id != actor.person_id):
        return None
    return authority


def _tell_carer(db: Session, authority: CarerAuthority, subject: Callable[[], str],
                body: Callable[[], str]) -> None:
    tell_person(db, authority.carer_person_id, subject, body)


def change(db: Session, actor: Actor, authority: CarerAuthority, terms: Terms, today: dt.date) -> None:
    """The customer changes what a carer may do, or until when."""
    if owned(db, actor, authority.id or 0) is None or authority.status is AuthorityStatus.ended:
        raise NotAllowed
    authority.scopes = _scope_text(terms.scopes)
    authority.ends_on = terms.ends_on
    authority.review_on = None if terms.ends_on else today + REVIEW_AFTER
    db.add(authority)
    activity.record(db, actor_person_id=actor.person_id, action="carer_changed",
                    detail=f"{authority.carer_name}: {authority.scopes}")
    tell_person(db, authority.customer_person_id,
                 lambda: _("You changed what %(carer)s can do", carer=authority.carer_name),
                 lambda: _("The change works straight away. If you did not make it, call us."))
    _tell_carer(db, authority, lambda: _("What you can do for %(name)s has changed",
                                         name=actor.name),
                lambda: _("Sign in to see what you can do now."))
    db.commit()


def stop(db: Session, actor: Actor, authority: CarerAuthority) -> None:
    """The customer stops a carer's access, or takes back an invitation. Works at once."""
    if owned(db, actor, authority.id or 0) is None:
        raise NotAllowed
    _end(db, authority, actor.person_id, "carer_stopped")
    _tell_carer(db, authority, lambda: _("You can no longer act for %(name)s", name=actor.name),
                lambda: _("%(name)s stopped your access to their account.", name=actor.name))
    db.commit()


def _end(db: Session, authority: CarerAuthority, by_person_id: int | None, action: str) -> None:
    authority.status = AuthorityStatus.ended
    authority.invite_hash = None
    authority.ended_at = utcnow()
    db.add(authority)
    activity.record(db, actor_person_id=by_person_id, action=action,
                    on_behalf_of_person_id=authority.customer_person_id, detail=authority.carer_name)


def looked_at_payments(db: Session, actor: Actor) -> None:
    """Tell the customer the first time in a day that a carer opens their payments."""
    if actor.acting_for is None:
        return
    looks = db.exec(select(func.count()).select_from(ActivityEntry).where(
        ActivityEntry.actor_person_id == actor.person_id,
        ActivityEntry.on_behalf_of_person_id == actor.acting_for.customer_person_id,
        ActivityEntry.action == "carer_viewed", ActivityEntry.detail == "/account/payments",
        col(ActivityEntry.at) > utcnow() - dt.timedelta(days=1))).one()
    if looks == 0:  # This look is recorded once the page is shown (portal/carers/guard.py).
        note_carer_acted(db, actor, "payments")
        db.commit()


# Advisers.

def authorities_of_account(db: Session, account: CustomerAccount) -> list[CarerAuthority]:
    if account.holder_person_id is None:
        return []
    return people_who_help(db, account.holder_person_id)


def record_document(db: Session, settings: Settings, adviser: Actor, account: CustomerAccount,
                    invitation: Invitation, document: Document, form_key: str,
                    today: dt.date) -> tuple[CarerAuthority, str | None]:
    """An adviser records a power of attorney or deputyship for a customer who cannot invite online.
    The carer still accepts with their own sign-in; both people are told."""
    if not can(adviser, account, Permission.record_authority):
        raise NotAllowed
    existing = db.exec(select(CarerAuthority).where(CarerAuthority.form_key == form_key)).first()
    if existing is not None:
        return existing, None
    # A customer who is not online gets a person record, so the authority and its messages have
    # someone to belong to, and they can see it if they set up online access later.
    customer, _made = holder_of(db, account)
    code = new_code()
    authority = CarerAuthority(
        customer_person_id=id_of(customer), carer_name=invitation.carer_name,
        carer_email=invitation.carer_email, carer_phone=invitation.carer_phone,
        scopes=_scope_text(invitation.terms.scopes), ends_on=invitation.terms.ends_on,
        review_on=None if invitation.terms.ends_on else today + REVIEW_AFTER,
        invite_hash=code_hash(settings.secret_key, code), invite_expires_at=utcnow() + INVITATION_LIFETIME,
        basis=document.basis, document_reference=document.reference, checks=document.checks,
        set_up_by_person_id=adviser.person_id, form_key=form_key)
    db.add(authority)
    db.flush()
    activity.record(db, actor_person_id=adviser.person_id, subject_account_id=account.id,
                    on_behalf_of_person_id=customer.id, action="carer_authority_recorded",
                    detail=f"{document.basis.value} {document.reference}: {authority.scopes}")
    with i18n.speaking("en"):
        _send_invitation(db, settings, authority, customer.name, code)
    with i18n.speaking(customer.preferred_language):
        tell(db, customer, _("We recorded that %(carer)s can act for you", carer=invitation.carer_name),
             _("We checked a legal document that lets %(carer)s act for you, and recorded it. Call us "
               "on %(phone)s if this is not right.", carer=invitation.carer_name,
               phone=settings.help.phone))
    db.commit()
    return authority, code


def suspend(db: Session, adviser: Actor, authority: CarerAuthority, reason: str) -> None:
    """Pause a carer's access at once, when the customer asks or we are worried about them."""
    if not adviser.is_adviser or adviser.acting_for is not None:
        raise NotAllowed
    authority.status = AuthorityStatus.suspended
    authority.suspended_reason = reason
    db.add(authority)
    activity.record(db, actor_person_id=adviser.person_id, action="carer_suspended",
                    on_behalf_of_person_id=authority.customer_person_id,
                    detail=f"{authority.carer_name}: {reason}"[:500])
    _tell_carer(db, authority, lambda: _("Your access has been paused"),
                lambda: _("You cannot act for anyone under this access for now. Call us to talk "
                          "about it."))
    db.commit()


def lift_suspension(db: Session, adviser: Actor, authority: CarerAuthority) -> None:
    if not adviser.is_adviser or authority.status is not AuthorityStatus.suspended:
        raise NotAllowed
    authority.status = AuthorityStatus.active if authority.carer_person_id else AuthorityStatus.invited
    authority.suspended_reason = ""
    db.add(authority)
    activity.record(db, actor_person_id=adviser.person_id, action="carer_suspension_lifted",
                    on_behalf_of_person_id=authority.customer_person_id, detail=authority.carer_name)
    db.commit()


def adviser_end(db: Session, adviser: Actor, authority: CarerAuthority) -> None:
    if not adviser.is_adviser or authority.status is AuthorityStatus.ended:
        raise NotAllowed
    _end(db, authority, adviser.person_id, "carer_ended_by_adviser")
    db.commit()


# What the carer did, for the customer.

def activity_of(db: Session, authority: CarerAuthority, limit: int = 200) -> list[ActivityEntry]:
    """Everything the carer did and looked at for this customer, newest first."""
    if authority.carer_person_id is None:
        return []
    return list(db.exec(select(ActivityEntry).where(
        ActivityEntry.actor_person_id == authority.carer_person_id,
        ActivityEntry.on_behalf_of_person_id == authority.customer_person_id)
        .order_by(col(ActivityEntry.id).desc()).limit(limit)).all())


def announce_change(broker: Broker, db: Session, authority: CarerAuthority) -> None:
    """After a change is committed: live pages a carer has open for this customer check again at once."""
    for channel in live_channels(db, authority.customer_person_id):
        broker.publish_sync(channel, {"event": "access_changed"})


def live_channels(db: Session, customer_id: int) -> list[str]:
    """The broker channels of the customer's open requests for help, where a carer may be watching
    live: a change of access is announced on them so those streams check again at once."""
    open_requests = db.exec(select(HelpRequest).where(
        HelpRequest.customer_person_id == customer_id,
        or_(col(HelpRequest.status) == RequestStatus.waiting,
            col(HelpRequest.status) == RequestStatus.claimed)))
    return [request_channel(r) for r in open_requests]


def reviews_due(db: Session, settings: Settings, today: dt.date) -> int:
    """Ask customers, once a year, whether each carer with no end date should still act for them."""
    due = db.exec(select(CarerAuthority).where(
        CarerAuthority.status == AuthorityStatus.active, col(CarerAuthority.review_on).is_not(None),
        col(CarerAuthority.review_on) <= today)).all()
    asked = 0
    for authority in due:
        # Claimed in one statement, so two workers never ask twice.
        claimed = db.exec(update(CarerAuthority).where(
            col(CarerAuthority.id) == authority.id, col(CarerAuthority.review_on) == authority.review_on)
            .values(review_on=today + REVIEW_AFTER, reviewed_at=utcnow()))
        if claimed.rowcount != 1:
            continue
        asked += 1
        _ask_to_review(db, authority)
    db.commit()
    return asked


# For advisers recording powers of attorney

def account_for_adviser(db: Session, adviser: Actor, reference: str) -> CustomerAccount | None:
    """The account with this reference, if the adviser may record an authority on it."""
    if not looks_like_reference(reference):
        return None
    account = db.exec(select(CustomerAccount).where(
        CustomerAccount.reference == normalise_reference(reference))).first()
    return account if account is not None and can(adviser, account, Permission.record_authority) else None


def authority_for_adviser(db: Session, adviser: Actor, authority_id: int
                          ) -> tuple[CarerAuthority, list[CustomerAccount]] | None:
    """An authority and its customer's accounts, if the adviser may look after it."""
    authority = db.get(CarerAuthority, authority_id)
    if authority is None:
        return None
    accounts = list(db.exec(select(CustomerAccount).where(
        CustomerAccount.holder_person_id == authority.customer_person_id)))
    if not any(can(adviser, a, Permission.record_authority) for a in accounts):
        return None
    return authority, accounts


def _ask_to_review(db: Session, authority: CarerAuthority) -> None:
    tell_person(db, authority.customer_person_id,
                lambda: _("Should %(carer)s still help you?", carer=authority.carer_name),
                lambda: _("%(carer)s has been able to act for you for a year. If that is "
                          "still right, you need do nothing. To change or stop it, go to "
                          "People who help you.", carer=authority.carer_name))
