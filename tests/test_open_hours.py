"""Whether we are open, when we open next, and the times callbacks can be booked, with frozen clocks.

Default settings: Monday to Friday 08:00 to 20:00 and Saturday 09:00 to 13:00, UK time, closed on the
bank holidays in settings (25 and 28 December 2026, 1 January 2027, 26 and 29 March 2027...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from portal import i18n
from portal.help.service import (
    OpenStatus,
    callback_slots,
    opening_hours,
    status_at,
    status_text,
    upcoming_closed_days,
    valid_time_zone,
)
from portal.settings import Settings, bank_holidays

LONDON = ZoneInfo("Europe/London")
UK = "Europe/London"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    i18n.set_locale("en")
    yield
    i18n.set_locale("en")


@pytest.fixture
def settings() -> Settings:
    return Settings(env="test")


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)  # type: ignore[misc]


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)  # type: ignore[misc]


def status(now: dt.datetime, settings: Settings) -> OpenStatus:
    return status_at(now, settings.help.hours, settings.help.closed_days, settings.time_zone)


def said(now: dt.datetime, settings: Settings, customer_tz: str = UK) -> str:
    return status_text(status(now, settings), now, customer_tz, UK)


# Open or closed, in UK time ---------------------------------------------------------------------------


def test_open_on_a_weekday(settings: Settings) -> None:
    now = london(2026, 11, 25, 10, 0)  # A Wednesday.
    assert status(now, settings) == OpenStatus(open=True, closes_at=london(2026, 11, 25, 20, 0))
    assert said(now, settings) == "Open now, until 20:00"


def test_opening_and_closing_minutes_belong_to_the_right_side(settings: Settings) -> None:
    assert status(london(2026, 11, 25, 8, 0), settings).open
    assert not status(london(2026, 11, 25, 7, 59), settings).open
    assert status(london(2026, 11, 25, 19, 59), settings).open
    assert not status(london(2026, 11, 25, 20, 0), settings).open


def test_closed_early_on_a_weekday_opens_today(settings: Settings) -> None:
    now = london(2026, 11, 25, 7, 0)
    assert status(now, settings) == OpenStatus(open=False, opens_at=london(2026, 11, 25, 8, 0))
    assert said(now, settings) == "Closed now. We open again today at 08:00"


def test_closed_in_the_evening_opens_tomorrow(settings: Settings) -> None:
    assert said(london(2026, 11, 25, 20, 30), settings) == "Closed now. We open again tomorrow at 08:00"


def test_saturday_has_short_hours(settings: Settings) -> None:
    assert said(london(2026, 11, 27, 21, 0), settings) == "Closed now. We open again tomorrow at 09:00"
    assert said(london(2026, 11, 28, 11, 0), settings) == "Open now, until 13:00"
    assert said(london(2026, 11, 28, 13, 0), settings) == "Closed now. We open again on Monday at 08:00"


def test_sunday_is_closed(settings: Settings) -> None:
    now = london(2026, 11, 29, 12, 0)
    assert status(now, settings) == OpenStatus(open=False, opens_at=london(2026, 11, 30, 8, 0))
    assert said(now, settings) == "Closed now. We open again tomorrow at 08:00"


def test_a_bank_holiday_is_closed(settings: Settings) -> None:
    christmas = london(2026, 12, 25, 10, 0)  # A Friday.
    assert status(christmas, settings) == OpenStatus(open=False, opens_at=london(2026, 12, 26, 9, 0))
    # Saturday afternoon: Sunday, and Monday 28 December (a bank holiday), are both closed.
    assert said(london(2026, 12, 26, 14, 0), settings) == "Closed now. We open again on Tuesday at 08:00"
    assert said(london(2026, 12, 24, 20, 30), settings) == "Closed now. We open again on Saturday at 09:00"


def test_an_opening_more_than_a_week_away_gives_the_date(settings: Settings) -> None:
    settings = Settings(env="test", help={"extra_closed_days": [dt.date(2026, 11, 30) + dt.timedelta(days=n)
                                                                for n in range(14)]})
    assert said(london(2026, 11, 28, 14, 0), settings) == (
        "Closed now. We open again on Monday, 14 December 2026 at 08:00")


def test_with_no_opening_hours_we_say_only_that_we_are_closed(settings: Settings) -> None:
    now = london(2026, 11, 25, 10, 0)
    assert status_at(now, [], [], UK) == OpenStatus(open=False)
    assert status_text(OpenStatus(open=False), now, UK, UK) == "Closed now"


def test_hours_past_midnight_and_groups_that_touch() -> None:
    hours = ["fri-sat 22:00-02:00", "mon 08:00-12:00", "mon 12:00-18:00"]
    assert status_at(london(2026, 11, 28, 1, 0), hours, [], UK) == OpenStatus(
        open=True, closes_at=london(2026, 11, 28, 2, 0))  # Still Friday night's shift.
    assert status_at(london(2026, 11, 30, 9, 0), hours, [], UK) == OpenStatus(
        open=True, closes_at=london(2026, 11, 30, 18, 0))  # Two groups, one stretch.


def test_closed_days_listed_are_the_next_few_weeks_only(settings: Settings) -> None:
    assert upcoming_closed_days(london(2026, 12, 10, 9, 0), settings.help.closed_days, UK) == [
        dt.date(2026, 12, 25), dt.date(2026, 12, 28), dt.date(2027, 1, 1)]
    assert upcoming_closed_days(london(2026, 12, 26, 9, 0), settings.help.closed_days, UK)[0] == (
        dt.date(2026, 12, 28))
    assert upcoming_closed_days(london(2026, 6, 1, 9, 0), settings.help.closed_days, UK) == []


# Clocks changing -------------------------------------------------------------------------------------


def test_clocks_going_back_keep_opening_at_8_on_the_wall(settings: Settings) -> None:
    # Clocks go back at 02:00 on Sunday 25 October 2026: UK time is UTC+1 before, UTC after.
    friday = utc(2026, 10, 23, 7, 30)  # 08:30 in the UK.
    assert status(friday, settings).open
    saturday = utc(2026, 10, 24, 11, 0)  # 12:00 in the UK.
    assert status(saturday, settings).closes_at == utc(2026, 10, 24, 12, 0)
    sunday = utc(2026, 10, 25, 12, 0)
    opens = status(sunday, settings).opens_at
    assert opens == utc(2026, 10, 26, 8, 0) and opens.astimezone(LONDON).hour == 8
    assert not status(utc(2026, 10, 26, 7, 30), settings).open  # 07:30 in the UK now.
    assert said(sunday, settings) == "Closed now. We open again tomorrow at 08:00"


def test_clocks_going_forward_over_easter(settings: Settings) -> None:
    # Good Friday (26 March 2027) and Easter Monday (29 March) are closed; clocks go forward on the
    # Sunday between. Saturday after closing, the next opening is Tuesday 08:00, which is 07:00 UTC.
    saturday = utc(2027, 3, 27, 13, 30)
    assert status(saturday, settings).opens_at == utc(2027, 3, 30, 7, 0)
    assert said(saturday, settings) == "Closed now. We open again on Tuesday at 08:00"
    assert status(utc(2027, 3, 30, 7, 0), settings).open


# Customers in other time zones -----------------------------------------------------------------------


def test_new_york_sees_its_own_clock_and_ours(settings: Settings) -> None:
    wednesday_noon = utc(2026, 11, 25, 12, 0)  # 07:00 in New York.
    assert said(wednesday_noon, settings, "America/New_York") == (
        "Open now, until 15:00 your time (20:00 UK time)")
    friday_evening = utc(2026, 11, 27, 23, 0)  # Still Friday (18:00) in New York.
    assert said(friday_evening, settings, "America/New_York") == (
        "Closed now. We open again tomorrow at 04:00 your time (09:00 UK time)")


def test_dubai_after_the_clocks_go_back(settings: Settings) -> None:
    # Dubai is 3 hours ahead of the UK in summer time and 4 hours ahead in winter.
    assert said(utc(2026, 10, 25, 12, 0), settings, "Asia/Dubai") == (
        "Closed now. We open again tomorrow at 12:00 your time (08:00 UK time)")
    assert said(utc(2026, 10, 23, 10, 0), settings, "Asia/Dubai") == (
        "Open now, until 23:00 your time (20:00 UK time)")


def test_closing_after_midnight_on_the_customers_clock(settings: Settings) -> None:
    now = utc(2026, 11, 25, 10, 0)  # 23:00 on Wednesday in New Zealand; we close at 09:00 Thursday there.
    assert said(now, settings, "Pacific/Auckland") == (
        "Open now. We close tomorrow at 09:00 your time (20:00 UK time)")


def test_a_zone_with_the_same_clock_as_ours_shows_one_time(settings: Settings) -> None:
    assert said(utc(2026, 11, 25, 10, 0), settings, "Europe/Lisbon") == "Open now, until 20:00"


@pytest.mark.parametrize(("name", "valid"), [
    ("America/New_York", True), ("Asia/Dubai", True), ("Europe/London", True), ("UTC", True),
    ("", False), (None, False), ("Mars/Olympus_Mons", False), ("../../etc/passwd", False),
    ("/etc/localtime", False), ("America/New_York" + "x" * 60, False),
])
def test_only_real_time_zones_are_believed(name: str | None, valid: bool) -> None:
    assert valid_time_zone(name) == (name if valid else None)


# Languages -------------------------------------------------------------------------------------------


def test_welsh_days_and_times(settings: Settings) -> None:
    i18n.set_locale("cy")
    text = said(london(2026, 11, 28, 13, 0), settings)
    assert "Dydd Llun" in text and "08:00" in text
    assert [h.days for h in opening_hours(settings.help.hours)][1] == "Dydd Sadwrn"
    far = Settings(env="test", help={"extra_closed_days": [dt.date(2026, 11, 30) + dt.timedelta(days=n)
                                                           for n in range(14)]})
    assert "Dydd Llun, 14 Rhagfyr 2026" in said(london(2026, 11, 28, 14, 0), far)


def test_arabic_days_and_times(settings: Settings) -> None:
    i18n.set_locale("ar")
    text = said(london(2026, 11, 28, 13, 0), settings)
    assert "الاثنين" in text  # Monday.
    assert "8:00 ص" in text  # 08:00 in the morning, as Arabic writes it.
    assert "Monday" not in text
    in_dubai = said(utc(2026, 11, 25, 12, 0), settings, "Asia/Dubai")
    assert "12:00 ص" in in_dubai and "8:00 م" in in_dubai  # Midnight their time; 20:00 ours.


# Callback slots --------------------------------------------------------------------------------------


def test_slots_skip_closed_days_and_keep_to_opening_hours(settings: Settings) -> None:
    now = london(2026, 12, 24, 18, 30)  # Christmas Eve, a Thursday.
    slots = callback_slots(now, settings, {})
    days = sorted({slot.date() for slot in slots})
    # Christmas Day, Sunday and 28 December are closed; five open days from today.
    assert days == [dt.date(2026, 12, 24), dt.date(2026, 12, 26), dt.date(2026, 12, 29),
                    dt.date(2026, 12, 30), dt.date(2026, 12, 31)]
    assert slots[0] == london(2026, 12, 24, 19, 30)  # An hour from now; the last slot ends at 20:00.
    saturday = [slot.time() for slot in slots if slot.date() == dt.date(2026, 12, 26)]
    assert saturday[0] == dt.time(9, 0) and saturday[-1] == dt.time(12, 30) and len(saturday) == 8
    assert len([s for s in slots if s.date() == dt.date(2026, 12, 29)]) == 24  # 08:00 to 19:30.
    assert slots == sorted(slots)
    assert all(slot.tzinfo is not None for slot in slots)


def test_slots_are_at_least_an_hour_away(settings: Settings) -> None:
    slots = callback_slots(london(2026, 11, 25, 10, 10), settings, {})
    assert slots[0] == london(2026, 11, 25, 11, 30)
    assert callback_slots(london(2026, 11, 25, 10, 0), settings, {})[0] == london(2026, 11, 25, 11, 0)


def test_a_day_with_no_slot_left_does_not_count(settings: Settings) -> None:
    slots = callback_slots(london(2026, 11, 25, 19, 30), settings, {})  # Wednesday, too late today.
    assert sorted({s.date() for s in slots}) == [
        dt.date(2026, 11, 26), dt.date(2026, 11, 27), dt.date(2026, 11, 28), dt.date(2026, 11, 30),
        dt.date(2026, 12, 1)]


def test_full_slots_are_left_out(settings: Settings) -> None:
    now = london(2026, 12, 24, 18, 30)
    taken = {
        london(2026, 12, 26, 9, 0): 3,  # Full.
        london(2026, 12, 26, 9, 30): 2,  # One place left.
        dt.datetime(2026, 12, 29, 8, 0): 3,  # Naive, as the database gives it back: UTC.
        utc(2026, 12, 29, 8, 30): 5,
    }
    slots = callback_slots(now, settings, taken)
    assert london(2026, 12, 26, 9, 0) not in slots
    assert london(2026, 12, 26, 9, 30) in slots
    assert london(2026, 12, 29, 8, 0) not in slots and london(2026, 12, 29, 8, 30) not in slots
    assert london(2026, 12, 29, 9, 0) in slots


def test_slots_follow_the_wall_clock_when_clocks_go_back(settings: Settings) -> None:
    slots = callback_slots(london(2026, 10, 23, 6, 0), settings, {})  # Friday before the change.
    firsts = {}
    for slot in slots:
        firsts.setdefault(slot.date(), slot)
    assert firsts[dt.date(2026, 10, 23)].astimezone(dt.UTC) == utc(2026, 10, 23, 7, 0)
    assert firsts[dt.date(2026, 10, 26)].astimezone(dt.UTC) == utc(2026, 10, 26, 8, 0)
    assert all(slot.astimezone(LONDON).hour >= 8 for slot in slots)


def test_slot_length_and_places_come_from_settings() -> None:
    settings = Settings(env="test", help={"callback_slot_minutes": 60, "callbacks_per_slot": 1,
                                           "callback_days_ahead": 1})
    now = london(2026, 11, 25, 6, 0)
    slots = callback_slots(now, settings, {london(2026, 11, 25, 9, 0): 1})
    assert [s.hour for s in slots] == [8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]


def test_bank_holidays_come_from_the_holidays_package_for_the_chosen_region_and_never_run_out() -> None:
    later = bank_holidays("ENG", 2040)
    assert dt.date(2040, 12, 25) in later and dt.date(2041, 8, 26) in later  # Years ahead too.
    assert dt.date(2041, 1, 2) not in later and dt.date(2041, 1, 2) in bank_holidays("SCT", 2040)
    # Christmas 2032 is a Saturday: closed on the weekdays the bank holidays move to, open that Saturday
    # as on any other.
    assert {dt.date(2032, 12, 27), dt.date(2032, 12, 28)} <= bank_holidays("ENG", 2032)
    assert dt.date(2032, 12, 25) not in bank_holidays("ENG", 2032)
    assert bank_holidays("", 2032) == frozenset()
    extra = Settings(env="test", help={"extra_closed_days": ["2026-12-01"]})
    assert dt.date(2026, 12, 1) in extra.help.closed_days
    with pytest.raises(ValidationError, match="PORTAL_HELP__BANK_HOLIDAYS"):
        Settings(env="test", help={"bank_holidays": "Wales"})
