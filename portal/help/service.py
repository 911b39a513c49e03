"""When we are open, and what the help page says about each way to reach a person.

Opening hours come from settings as groups like "mon-fri 08:00-20:00", in the organisation's time zone,
with closed days (bank holidays) on top. The functions here are pure: each takes `now` (an aware
datetime), so tests freeze the clock by passing it, and pages get it from the `get_now` dependency.

Times are worked out in UTC and only turned into wall-clock times to be shown, so a change to or from
summer time never moves an opening hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel.dates import get_timezone_location
from sqlmodel import Session, func, select

from portal import i18n
from portal.clock import utcnow
from portal.help.models import HelpRequest, RequestKind, RequestStatus, Team
from portal.help.requests import advisers_free_for_chat
from portal.i18n import gettext as _
from portal.i18n import ngettext
from portal.settings import Settings

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
LOOK_AHEAD_DAYS = 370  # How far to look for the next opening: a year of closed days is the most.
CLOSED_DAYS_WEEKS = 8  # Closed days this close are listed on the help page.
CALLBACK_NOTICE = dt.timedelta(hours=1)  # The soonest a callback can be booked.
WEEK = 7


def get_now() -> dt.datetime:
    """The current moment, as a FastAPI dependency; tests freeze it with `app.dependency_overrides`."""
    return utcnow()


# Parsing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HoursGroup:
    """One "mon-fri 08:00-20:00" setting. Days are 0 (Monday) to 6; a group may wrap ("fri-mon"),
    and closing at or before opening means closing after midnight."""

    first: int
    last: int
    opens: dt.time
    closes: dt.time

    def covers(self, weekday: int) -> bool:
        if self.first <= self.last:
            return self.first <= weekday <= self.last
        return weekday >= self.first or weekday <= self.last


@cache
def _parse_group(group: str) -> HoursGroup:
    day_part, time_part = group.split(" ")
    first, _sep, last = day_part.partition("-")
    opens, closes = (dt.time.fromisoformat(t) for t in time_part.split("-"))
    return HoursGroup(DAYS.index(first), DAYS.index(last or first), opens, closes)


def parse_hours(groups: Iterable[str]) -> list[HoursGroup]:
    return [_parse_group(group) for group in groups]


@dataclass(frozen=True)
class OpeningHours:
    days: str
    times: str


def opening_hours(groups: list[str]) -> list[OpeningHours]:
    """Settings like "mon-fri 08:00-20:00", in the reader's language."""
    result = []
    for group in parse_hours(groups):
        days = i18n.day_name(group.first)
        if group.last != group.first:
            days = _("%(first)s to %(last)s", first=days, last=i18n.day_name(group.last))
        times = _("%(opens)s to %(closes)s", opens=i18n.format_time(group.opens),
                  closes=i18n.format_time(group.closes))
        result.append(OpeningHours(days=days, times=times))
    return result


# Open or closed --------------------------------------------------------------------------------------

Period = tuple[dt.datetime, dt.datetime]  # Opening and closing, both in UTC.


@dataclass(frozen=True)
class OpenStatus:
    open: bool
    closes_at: dt.datetime | None = None  # When open: when we close (in the organisation's zone).
    opens_at: dt.datetime | None = None  # When closed: when we open next, if we ever do.


def _merge(periods: Iterable[Period]) -> Iterator[Period]:
    """Periods in order of opening, with overlapping or touching ones joined into one."""
    current: Period | None = None
    for start, end in periods:
        if current is None:
            current = (start, end)
        elif start <= current[1]:
            current = (current[0], max(current[1], end))
        else:
            yield current
            current = (start, end)
    if current is not None:
        yield current


def day_periods(day: dt.date, hours: Sequence[HoursGroup], closed_days: Iterable[dt.date],
                zone: ZoneInfo) -> list[Period]:
    """The periods that open on this day (in UTC), none on a closed day."""
    if day in set(closed_days):
        return []
    found = []
    for group in hours:
        if group.covers(day.weekday()):
            start = dt.datetime.combine(day, group.opens, tzinfo=zone)
            end_day = day if group.closes > group.opens else day + dt.timedelta(days=1)
            end = dt.datetime.combine(end_day, group.closes, tzinfo=zone)
            found.append((start.astimezone(dt.UTC), end.astimezone(dt.UTC)))
    return list(_merge(sorted(found)))


def _periods_from(day: dt.date, hours: Sequence[HoursGroup], closed_days: frozenset[dt.date],
                  zone: ZoneInfo) -> Iterator[Period]:
    def every_day() -> Iterator[Period]:
        for offset in range(LOOK_AHEAD_DAYS):
            yield from day_periods(day + dt.timedelta(days=offset), hours, closed_days, zone)

    return _merge(every_day())


def status_at(now: dt.datetime, hours: Sequence[str] | Sequence[HoursGroup],
              closed_days: Iterable[dt.date], tz: str) -> OpenStatus:
    """Whether we are open at `now`, and until when; or when we open next."""
    zone = ZoneInfo(tz)
    groups = [_parse_group(h) if isinstance(h, str) else h for h in hours]
    moment = now.astimezone(dt.UTC)
    yesterday = now.astimezone(zone).date() - dt.timedelta(days=1)  # It may still be open after midnight.
    for start, end in _periods_from(yesterday, groups, frozenset(closed_days), zone):
        if end <= moment:
            continue
        if start <= moment:
            return OpenStatus(open=True, closes_at=end.astimezone(zone))
        return OpenStatus(open=False, opens_at=start.astimezone(zone))
    return OpenStatus(open=False)


def upcoming_closed_days(now: dt.datetime, closed_days: Iterable[dt.date], tz: str,
                         weeks: int = CLOSED_DAYS_WEEKS) -> list[dt.date]:
    """Closed days from today (in the organisation's zone) to `weeks` ahead, in order."""
    today = now.astimezone(ZoneInfo(tz)).date()
    last = today + dt.timedelta(weeks=weeks)
    return sorted(day for day in set(closed_days) if today <= day <= last)


# Callback slots --------------------------------------------------------------------------------------


def callback_slots(now: dt.datetime, settings: Settings,
                   taken_counts: Mapping[dt.datetime, int]) -> list[dt.datetime]:
    """The times a callback can be booked: every `callback_slot_minutes` from opening, each slot ending
    by closing time, over the next `callback_days_ahead` days we are open (today counts if a slot is
    left), at least an hour from now, leaving out slots that already hold `callbacks_per_slot`.

    `taken_counts` maps a slot's start to how many callbacks it holds; naive datetimes are read as UTC
    (as the database gives them back). Slots come back in order, aware, in the organisation's zone."""
    zone = ZoneInfo(settings.time_zone)
    groups = parse_hours(settings.help.hours)
    closed = frozenset(settings.help.closed_days)
    step = dt.timedelta(minutes=settings.help.callback_slot_minutes)
    earliest = now.astimezone(dt.UTC) + CALLBACK_NOTICE
    taken = {_as_utc(moment): count for moment, count in taken_counts.items()}
    today = now.astimezone(zone).date()
    slots: list[dt.datetime] = []
    open_days = 0
    for offset in range(LOOK_AHEAD_DAYS):
        if open_days >= settings.help.callback_days_ahead:
            break
        day_slots = []
        for start, end in day_periods(today + dt.timedelta(days=offset), groups, closed, zone):
            moment = start
            while moment + step <= end:
                if moment >= earliest:
                    day_slots.append(moment)
                moment += step
        if day_slots:
            open_days += 1
            slots.extend(moment.astimezone(zone) for moment in day_slots
                         if taken.get(moment, 0) < settings.help.callbacks_per_slot)
    return slots


def _as_utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


# Showing times ---------------------------------------------------------------------------------------


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def valid_time_zone(name: str | None) -> str | None:
    """A time zone name from the browser (like "America/New_York"), if it is a real one."""
    if name and len(name) <= 64 and name in _known_zones():
        return name
    return None


def zone_label(tz: str) -> str:
    """The organisation's time zone in words: "UK time", or Babel's name for other zones."""
    if tz in ("Europe/London", "Europe/Belfast", "GB"):
        return _("UK time")
    return get_timezone_location(tz, locale=i18n.FORMAT_LOCALES[i18n.get_locale()], return_city=False)


def clock_text(moment: dt.datetime, customer_tz: str, org_tz: str) -> str:
    """A time of day for the customer: "08:00", or "09:00 your time (08:00 UK time)" when their clock
    shows something different from ours at that moment."""
    theirs = moment.astimezone(ZoneInfo(customer_tz))
    ours = moment.astimezone(ZoneInfo(org_tz))
    if theirs.replace(tzinfo=None) == ours.replace(tzinfo=None):
        return i18n.format_time(ours.time())
    return _("%(time)s your time (%(org_time)s %(zone)s)", time=i18n.format_time(theirs.time()),
             org_time=i18n.format_time(ours.time()), zone=zone_label(org_tz))


def status_text(status: OpenStatus, now: dt.datetime, customer_tz: str, org_tz: str) -> str:
    """"Open now, until 20:00" or "Closed now. We open again on Monday at 08:00", with days and times
    as the customer's clock and language show them."""
    today = now.astimezone(ZoneInfo(customer_tz)).date()
    if status.open and status.closes_at is not None:
        time = clock_text(status.closes_at, customer_tz, org_tz)
        if status.closes_at.astimezone(ZoneInfo(customer_tz)).date() != today:
            return _("Open now. We close tomorrow at %(time)s", time=time)
        return _("Open now, until %(time)s", time=time)
    if status.opens_at is None:
        return _("Closed now")
    time = clock_text(status.opens_at, customer_tz, org_tz)
    day = status.opens_at.astimezone(ZoneInfo(customer_tz)).date()
    days_away = (day - today).days
    if days_away <= 0:
        return _("Closed now. We open again today at %(time)s", time=time)
    if days_away == 1:
        return _("Closed now. We open again tomorrow at %(time)s", time=time)
    when = i18n.day_name(day.weekday()) if days_away < WEEK else i18n.format_date(day, "full")
    return _("Closed now. We open again on %(day)s at %(time)s", day=when, time=time)


# The help page ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatStatus:
    free: int  # Advisers free to chat now.
    waiting: int  # Chats waiting in the queue.
    wait_minutes: int  # Our estimate of the wait.


def waiting_chats(db: Session, team: Team) -> int:
    return db.exec(select(func.count()).select_from(HelpRequest).where(
        HelpRequest.kind == RequestKind.chat, HelpRequest.status == RequestStatus.waiting,
        HelpRequest.team == team)).one()


def chat_status(db: Session, settings: Settings, team: Team) -> ChatStatus:
    waiting = waiting_chats(db, team)
    return ChatStatus(free=advisers_free_for_chat(db, team), waiting=waiting,
                      wait_minutes=waiting * settings.help.chat_minutes_per_customer)


@dataclass(frozen=True)
class HelpPage:
    """What /help shows, worked out once."""

    status: OpenStatus
    status_text: str
    hours: list[OpeningHours]
    zone: str  # The organisation's zone in words ("UK time").
    closed_days: list[dt.date]
    call_cost: str  # What calls cost, or "" if we cannot say.
    phone_wait: str  # The wait on the phone in words, or "" if unknown or closed.
    chat: ChatStatus
    chat_wait: str
    in_person_hours: list[OpeningHours]


def call_cost(settings: Settings) -> str:
    """The organisation's words about call costs; without them, the Ofcom rule for 03 numbers."""
    if settings.help.call_cost:
        return settings.help.call_cost
    if settings.help.phone.replace(" ", "").startswith("03"):
        return _("Calls to 0300 numbers cost the same as calls to numbers that start with 01 or 02. "
                 "They are part of any free minutes on your phone plan.")
    return ""


def minutes_wait(minutes: int) -> str:
    return ngettext("The wait is about %(num)s minute.", "The wait is about %(num)s minutes.",
                    minutes, num=minutes)


def help_page(db: Session, settings: Settings, now: dt.datetime, customer_tz: str,
              team: Team) -> HelpPage:
    status = status_at(now, settings.help.hours, settings.help.closed_days, settings.time_zone)
    phone_wait = ""
    if status.open and settings.help.phone_wait_minutes is not None:
        phone_wait = (minutes_wait(settings.help.phone_wait_minutes) if settings.help.phone_wait_minutes
                      else _("There is no wait right now."))
    chat = chat_status(db, settings, team)
    return HelpPage(
        status=status, status_text=status_text(status, now, customer_tz, settings.time_zone),
        hours=opening_hours(settings.help.hours), zone=zone_label(settings.time_zone),
        closed_days=upcoming_closed_days(now, settings.help.closed_days, settings.time_zone),
        call_cost=call_cost(settings), phone_wait=phone_wait, chat=chat,
        chat_wait=minutes_wait(chat.wait_minutes) if status.open and chat.waiting else "",
        in_person_hours=opening_hours(settings.help.in_person_hours))
