"""One clock for the whole portal: aware UTC datetimes."""

import datetime as dt
from zoneinfo import ZoneInfo


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def today_in(time_zone: str) -> dt.date:
    """Today's date where the customer is (the organisation's time zone)."""
    return utcnow().astimezone(ZoneInfo(time_zone)).date()


def aware(moment: dt.datetime) -> dt.datetime:
    """A moment read back from SQLite (which keeps no time zone) as the UTC moment it was stored as."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)
