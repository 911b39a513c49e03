"""Who gets an update, on which channels, and when: preferences, defaults and the escalation ladder.

Pure functions over small records, so the rules read in one place and are tested with frozen clocks;
`recipients()` loads what they need for many people in one query a table (a fan-out may reach 100,000).

Defaults (a person who never changed anything): the portal and email for everything but offers, which
are off; quiet hours 21:00 to 08:00; at most 3 email, text or push messages a day, the rest in a
digest. A person who told us (on /account/needs) that text is the best way to reach them gets texts
too by default. Push (notifications on a phone or computer) is on by default for everything but
offers, and reaches someone only once they have turned notifications on for a device (see
portal/push/service.py). The portal is always on: it is the record of every update.

An update that needs nothing doing goes on every chosen channel at once. One that needs doing climbs
the ladder (portal, email, text) through the channels the person chose for its kind and we can
reach: step 0 in the portal and on the lowest chosen rung (email, say); step 1 the next day, a
reminder on the next chosen rung up (text), or on the step 0 channels again if there is none;
step 2 after three days, an offer to call them, on every chosen channel. The worker skips a step
when the thing is done or the person stopped the reminders, and step 1 also when they have seen the
update.

Times of day are in the service's time zone. Quiet hours may cross midnight (21:00 to 08:00); a
message due inside them waits until they end, unless it is safety-critical. Once a person has had
their daily cap of email, text and push messages (counted from midnight), the rest are held, and
sent together in one digest per channel when the next quiet hours end (08:00 without quiet hours).
Safety-critical messages ignore both the quiet hours and the cap."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from portal.db import id_of
from portal.identity.models import Person
from portal.needs.models import Channel, CommunicationNeeds, Support
from portal.push.service import reachable
from portal.updates.models import Delivery, DeliveryChannel, Update, UpdateKind, UpdatePreferences

DEFAULT_QUIET_FROM = dt.time(21, 0)
DEFAULT_QUIET_UNTIL = dt.time(8, 0)
DEFAULT_DAILY_CAP = 3
DEFAULT_DIGEST_TIME = dt.time(8, 0)  # When held messages go out for someone with no quiet hours.
MAX_DAILY_CAP = 20
REMINDER_AFTER = dt.timedelta(days=1)
CALLBACK_OFFER_AFTER = dt.timedelta(days=3)
# Channels a person can choose. Push reaches them once a device of theirs has subscribed.
CHOOSABLE = (DeliveryChannel.email, DeliveryChannel.text, DeliveryChannel.push)
LADDER = (DeliveryChannel.portal, DeliveryChannel.email, DeliveryChannel.text)


@dataclass(frozen=True)
class Preferences:
    channels: Mapping[UpdateKind, frozenset[DeliveryChannel]]  # Beyond the portal, per kind.
    quiet_from: dt.time | None = DEFAULT_QUIET_FROM  # None: no quiet hours.
    quiet_until: dt.time | None = DEFAULT_QUIET_UNTIL
    daily_cap: int = DEFAULT_DAILY_CAP  # 0: no cap.

    def chosen(self, kind: UpdateKind) -> frozenset[DeliveryChannel]:
        return self.channels.get(kind, frozenset())


def default_preferences(prefers_text: bool = False) -> Preferences:
    usual = frozenset({DeliveryChannel.email, DeliveryChannel.push}
                      | ({DeliveryChannel.text} if prefers_text else set()))
    return Preferences(channels={kind: (frozenset() if kind is UpdateKind.offers else usual)
                                 for kind in UpdateKind})


@dataclass(frozen=True)
class Recipient:
    """What the rules need to know about one person."""

    person_id: int
    email: str = ""
    phone: str = ""
    language: str = "en"
    large_print: bool = False
    preferences: Preferences = field(default_factory=default_preferences)
    push: bool = False  # At least one device of theirs takes notifications.

    def can_reach(self, channel: DeliveryChannel) -> bool:
        if channel is DeliveryChannel.email:
            return bool(self.email)
        if channel is DeliveryChannel.text:
            return bool(self.phone)
        if channel is DeliveryChannel.push:
            return self.push
        return channel is DeliveryChannel.portal


def preferences_from_row(row: UpdatePreferences | None, prefers_text: bool = False) -> Preferences:
    if row is None:
        return default_preferences(prefers_text)
    stored = json.loads(row.channels or "{}")
    defaults = default_preferences(prefers_text)
    channels = {kind: (frozenset(DeliveryChannel(c) for c in stored[kind.value])
                       if kind.value in stored else defaults.chosen(kind)) for kind in UpdateKind}
    return Preferences(channels=channels, quiet_from=row.quiet_from, quiet_until=row.quiet_until,
                       daily_cap=DEFAULT_DAILY_CAP if row.daily_cap is None else row.daily_cap)


def recipients(db: Session, person_ids: Iterable[int]) -> dict[int, Recipient]:
    ids = list(set(person_ids))
    # Only the columns needed: a fan-out reads this for every person it reaches.
    people = db.exec(select(Person.id, Person.email, Person.phone, Person.preferred_language)
                     .where(col(Person.id).in_(ids))).all()
    prefs = {p.person_id: p for p in db.exec(select(UpdatePreferences).where(
        col(UpdatePreferences.person_id).in_(ids))).all()}
    needs = {n.person_id: n for n in db.exec(select(CommunicationNeeds).where(
        col(CommunicationNeeds.person_id).in_(ids))).all()}
    with_push = reachable(db, ids)
    defaults = {prefers_text: default_preferences(prefers_text) for prefers_text in (False, True)}
    found: dict[int, Recipient] = {}
    for person_id, email, phone, language in people:
        assert person_id is not None  # A stored row's id.
        need = needs.get(person_id)
        prefers_text = need is not None and need.preferred_channel == Channel.text.value
        row = prefs.get(person_id)
        found[person_id] = Recipient(
            person_id=person_id, email=email, phone=phone, language=language,
            large_print=need is not None and Support.large_print in need.supports,
            preferences=defaults[prefers_text] if row is None else preferences_from_row(row, prefers_text),
            push=person_id in with_push)
    return found


def chosen_channels(update: Update, recipient: Recipient) -> list[DeliveryChannel]:
    """The portal, and each channel chosen for this kind that we can reach, in ladder order."""
    chosen = recipient.preferences.chosen(update.kind)
    return [DeliveryChannel.portal] + [c for c in CHOOSABLE if c in chosen and recipient.can_reach(c)]


def first_channels(update: Update, recipient: Recipient) -> list[DeliveryChannel]:
    """Step 0: every chosen channel, or for an update that needs doing, the portal and the lowest
    chosen rung of the ladder (channels off the ladder, like push, always come too)."""
    every = chosen_channels(update, recipient)
    if not update.needs_action:
        return every
    rungs = [c for c in every[1:] if c in LADDER]
    return [DeliveryChannel.portal, *rungs[:1], *(c for c in every[1:] if c not in LADDER)]


def reminder_channels(update: Update, recipient: Recipient,
                      first: list[DeliveryChannel]) -> list[DeliveryChannel]:
    chosen = recipient.preferences.chosen(update.kind)
    highest = max(LADDER.index(c) for c in first if c in LADDER)
    for channel in LADDER[highest + 1:]:
        if channel in chosen and recipient.can_reach(channel):
            return [channel]
    return first


def plan(update: Update, recipient: Recipient, now: dt.datetime) -> list[Delivery]:
    """The deliveries for a new update: now, and the ladder's later steps if it needs doing."""
    update_id = id_of(update)
    first = first_channels(update, recipient)

    def deliveries(step: int, channels: list[DeliveryChannel], due: dt.datetime) -> list[Delivery]:
        return [Delivery(update_id=update_id, person_id=recipient.person_id, channel=channel,
                         step=step, due_at=due) for channel in channels]

    planned = deliveries(0, first, now)
    if update.needs_action:
        planned += deliveries(1, reminder_channels(update, recipient, first), now + REMINDER_AFTER)
        planned += deliveries(2, chosen_channels(update, recipient), now + CALLBACK_OFFER_AFTER)
    return planned


def _local(now: dt.datetime, time_zone: str) -> dt.datetime:
    return now.astimezone(ZoneInfo(time_zone))


def _next_time_of_day(moment: dt.time, now: dt.datetime, time_zone: str) -> dt.datetime:
    """The first time the local clock shows `moment` after `now`, in UTC."""
    zone = ZoneInfo(time_zone)
    day = _local(now, time_zone).date()
    for days in range(3):
        candidate = dt.datetime.combine(day + dt.timedelta(days=days), moment, tzinfo=zone)
        if candidate.astimezone(dt.UTC) > now:
            return candidate.astimezone(dt.UTC)
    raise AssertionError("unreachable: a time of day comes round within two days")


def has_quiet_hours(preferences: Preferences) -> bool:
    return (preferences.quiet_from is not None and preferences.quiet_until is not None
            and preferences.quiet_from != preferences.quiet_until)


def in_quiet_hours(preferences: Preferences, now: dt.datetime, time_zone: str) -> bool:
    """Whether `now` is inside the person's quiet hours, which may cross midnight."""
    if not has_quiet_hours(preferences):
        return False
    assert preferences.quiet_from is not None and preferences.quiet_until is not None
    clock = _local(now, time_zone).time().replace(tzinfo=None)
    start, end = preferences.quiet_from, preferences.quiet_until
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_ends_at(preferences: Preferences, now: dt.datetime, time_zone: str) -> dt.datetime:
    """When the quiet hours `now` is in end (UTC); `now` itself when it is not in quiet hours."""
    if not in_quiet_hours(preferences, now, time_zone):
        return now
    assert preferences.quiet_until is not None
    return _next_time_of_day(preferences.quiet_until, now, time_zone)


def digest_time(preferences: Preferences, now: dt.datetime, time_zone: str) -> dt.datetime:
    """When messages held back at `now` go out in a digest: the next end of quiet hours, or the
    next 08:00 without quiet hours (UTC)."""
    at = preferences.quiet_until if has_quiet_hours(preferences) else DEFAULT_DIGEST_TIME
    assert at is not None
    return _next_time_of_day(at, now, time_zone)


def start_of_day(now: dt.datetime, time_zone: str) -> dt.datetime:
    """Local midnight before `now`, in UTC: the daily cap counts from here."""
    midnight = dt.datetime.combine(_local(now, time_zone).date(), dt.time(0), tzinfo=ZoneInfo(time_zone))
    return midnight.astimezone(dt.UTC)


def over_cap(preferences: Preferences, sent_today: int) -> bool:
    """Whether one more email, text or push message today would go over the daily cap."""
    return preferences.daily_cap > 0 and sent_today >= preferences.daily_cap
