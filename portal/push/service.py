"""Web push subscriptions: one per device, and when they go away.

A browser that agrees to notifications gives us a subscription: the push service's address for it
(the endpoint) and two keys that encrypt messages for that browser alone. We keep one row per
endpoint, so a device that subscribes again updates its row instead of adding another.

When a subscription goes:
- the person turns notifications off on that device, or on /updates/settings for any device;
- the person signs out in the session that made it (and "sign out everywhere else" removes those of
  every other session);
- the push service says it is gone (404 or 410), when we next send to it (portal/notify/channels.py).

A session that only expires (after half an hour without use) keeps its subscriptions, deliberately:
notifications are for when the person is away from the portal, so tying them to an idle timer would
stop them half an hour after each visit. The settings page lists every device, so any can be turned
off from anywhere, and a browser that drops its subscription is removed at the next 404 or 410.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select, update

from portal import i18n
from portal.activity import service as activity
from portal.clock import utcnow
from portal.i18n import gettext
from portal.identity import events
from portal.push.models import PushSubscription
from portal.settings import Environment, Settings
from portal.updates.models import DeliveryChannel, UpdateKind, UpdatePreferences
from portal.vapid import b64url_decode
from portal.web.sessions import hash_id

MAX_ENDPOINT = 2000
MAX_DEVICES = 10  # Per person.
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")  # Plain http is allowed to these outside production.
AUTH_SECRET_BYTES = 16
# The flash that tells the settings page this device stopped getting notifications.
DEVICE_OFF = "push_device_off"


class Refused(ValueError):
    """What the browser sent cannot be used; the message is for the person."""


@dataclass(frozen=True)
class Incoming:
    endpoint: str
    p256dh: str
    auth: str


def cannot_use() -> Refused:
    return Refused(gettext("Your browser sent something we cannot use, so notifications are not on. "
                           "Try again, or choose email or text instead."))


def parse(body: object, settings: Settings) -> Incoming:
    """Check a PushSubscription's toJSON(): an https endpoint (plain http only to this machine,
    outside production, for tests) and both keys in base64url. Raises Refused."""
    if not isinstance(body, Mapping):
        raise cannot_use()
    endpoint, keys = body.get("endpoint"), body.get("keys")
    if not isinstance(endpoint, str) or not isinstance(keys, Mapping) or len(endpoint) > MAX_ENDPOINT:
        raise cannot_use()
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        raise cannot_use() from None
    production = settings.env is Environment.production
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or (local and not production)):
        raise cannot_use()
    if production and not known_push_service(parts.hostname, settings.push.service_hosts):
        raise cannot_use()
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not isinstance(p256dh, str) or not isinstance(auth, str) or len(p256dh) > 200 or len(auth) > 100:
        raise cannot_use()
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(p256dh))
        secret = b64url_decode(auth)
    except ValueError:
        raise cannot_use() from None
    if len(secret) != AUTH_SECRET_BYTES:
        raise cannot_use()
    return Incoming(endpoint=endpoint, p256dh=p256dh, auth=auth)


def known_push_service(host: str, allowed: Iterable[str]) -> bool:
    host = host.lower().rstrip(".")
    return any(host.endswith(name.lower()) if name.startswith(".") else host == name.lower()
               for name in allowed)


def describe(user_agent: str) -> str:
    from portal.identity.service import describe_device

    return describe_device(user_agent)


def subscribe(db: Session, person_id: int, incoming: Incoming, session_id: str, user_agent: str,
              now: dt.datetime | None = None) -> bool:
    """Store the device's subscription, or update it if the endpoint is known (it may move to this
    person: a shared computer). Returns True when it is new for this person. Commits."""
    now = now or utcnow()
    for attempt in range(2):
        try:
            new = _write(db, person_id, incoming, session_id, user_agent, now)
            db.commit()
            return new
        except IntegrityError:  # The same browser subscribed twice at once: update that row.
            db.rollback()
            if attempt:
                raise
    raise AssertionError("unreachable")


def _write(db: Session, person_id: int, incoming: Incoming, session_id: str, user_agent: str,
           now: dt.datetime) -> bool:
    row = db.exec(select(PushSubscription).where(PushSubscription.endpoint == incoming.endpoint)).first()
    new = row is None or row.person_id != person_id
    first = not db.exec(select(PushSubscription.id).where(PushSubscription.person_id == person_id)).first()
    if row is None:
        row = PushSubscription(person_id=person_id, endpoint=incoming.endpoint, p256dh="", auth="",
                               session_hash="", created_at=now)
    elif new:  # Someone else's before: it is this person's now, and only theirs.
        _log(db, None, "push_removed", row.user_agent, "another person turned them on in this browser")
        row.created_at, row.last_used_at = now, None
    row.person_id, row.p256dh, row.auth = person_id, incoming.p256dh, incoming.auth
    row.session_hash, row.user_agent = hash_id(session_id), user_agent[:300]
    db.add(row)
    if new:
        if first:
            choose_push_everywhere(db, person_id)
        _log(db, person_id, "push_turned_on", user_agent)
    db.flush()
    # A handful of devices is plenty; beyond that the oldest goes, so nobody can make one update
    # send thousands of requests.
    for old in devices(db, person_id)[:-MAX_DEVICES]:
        db.delete(old)
        _log(db, None, "push_removed", old.user_agent, f"more than {MAX_DEVICES} devices")
    return new


def choose_push_everywhere(db: Session, person_id: int) -> None:
    """A person's first device: notifications for every kind of update but news and offers, as the
    settings page says. Without saved choices the defaults already include them (rules.py)."""
    row = db.exec(select(UpdatePreferences).where(UpdatePreferences.person_id == person_id)).first()
    if row is None:
        return
    stored = json.loads(row.channels or "{}")
    for kind in UpdateKind:
        if kind is not UpdateKind.offers and kind.value in stored:
            stored[kind.value] = sorted({*stored[kind.value], DeliveryChannel.push.value})
    row.channels = json.dumps(stored, sort_keys=True)
    db.add(row)


def _log(db: Session, person_id: int | None, action: str, user_agent: str, why: str = "") -> None:
    with i18n.speaking("en"):
        device = describe(user_agent)
    activity.record(db, actor_person_id=person_id, action=action,
                    detail=f"{device}: {why}" if why else device)


def unsubscribe(db: Session, person_id: int, endpoint: str) -> bool:
    """This device's subscription, by its endpoint; only the person's own. Commits."""
    row = db.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint,
                                                 PushSubscription.person_id == person_id)).first()
    return _remove(db, row)


def remove(db: Session, person_id: int, subscription_id: int) -> bool:
    """One of the person's devices, from the list on the settings page. Commits."""
    row = db.exec(select(PushSubscription).where(PushSubscription.id == subscription_id,
                                                 PushSubscription.person_id == person_id)).first()
    return _remove(db, row)


def _remove(db: Session, row: PushSubscription | None) -> bool:
    if row is None:
        return False
    db.delete(row)
    _log(db, row.person_id, "push_turned_off", row.user_agent)
    db.commit()
    return True


def claim_for_session(db: Session, person_id: int, endpoint: str, session_id: str) -> bool:
    """Whether we still send to this device for this person; if so it now belongs to this session
    (the browser may have kept it across an expired session), so signing out here removes it.
    Commits."""
    row = db.exec(select(PushSubscription).where(PushSubscription.endpoint == endpoint,
                                                 PushSubscription.person_id == person_id)).first()
    if row is None:
        return False
    if row.session_hash != hash_id(session_id):
        row.session_hash = hash_id(session_id)
        db.add(row)
        db.commit()
    return True


def devices(db: Session, person_id: int) -> list[PushSubscription]:
    return list(db.exec(select(PushSubscription).where(PushSubscription.person_id == person_id)
                        .order_by(col(PushSubscription.created_at), col(PushSubscription.id))).all())


def forget_session(db: Session, session_id: str) -> int:
    """Signing out: remove the subscriptions made in this session. In the caller's transaction."""
    return db.exec(delete(PushSubscription).where(
        col(PushSubscription.session_hash) == hash_id(session_id))).rowcount


def forget_other_sessions(db: Session, person_id: int, current_session_id: str) -> int:
    """"Sign out everywhere else": remove the person's subscriptions but this session's. In the
    caller's transaction."""
    return db.exec(delete(PushSubscription).where(
        col(PushSubscription.person_id) == person_id,
        col(PushSubscription.session_hash) != hash_id(current_session_id))).rowcount


def reachable(db: Session, person_ids: Iterable[int]) -> set[int]:
    """Which of these people have at least one device for notifications (one query)."""
    ids = list(person_ids)
    if not ids:
        return set()
    return set(db.exec(select(PushSubscription.person_id).where(
        col(PushSubscription.person_id).in_(ids)).distinct()).all())


def subscriptions_of(db: Session, person_id: int) -> list[PushSubscription]:
    return list(db.exec(select(PushSubscription).where(PushSubscription.person_id == person_id)
                        .order_by(col(PushSubscription.id))).all())


def gone(db: Session, subscription_id: int, endpoint: str) -> None:
    """The push service answered 404 or 410: the browser dropped it. Commits."""
    row = db.get(PushSubscription, subscription_id)
    if row is not None and row.endpoint == endpoint:
        db.delete(row)
        _log(db, None, "push_removed", row.user_agent, "the push service said it is gone")
        db.commit()


def used(db: Session, subscription_ids: Iterable[int], now: dt.datetime) -> None:
    ids = list(subscription_ids)
    if ids:
        db.exec(update(PushSubscription).where(
            col(PushSubscription.id).in_(ids)).values(last_used_at=now))
        db.commit()


@events.on_sessions_ended(events.Phase.IN_TRANSACTION)
def _forget_ended_sessions(db: Session, _broker: object, ended: events.SessionsEnded) -> None:
    """Notifications turned on in a session stop when it ends."""
    if ended.others:
        forget_other_sessions(db, ended.person_id, ended.session_id)
    else:
        forget_session(db, ended.session_id)
