from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal import i18n
from portal.i18n import gettext as _

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@dataclass(frozen=True)
class OpeningHours:
    days: str
    times: str


def opening_hours(groups: list[str]) -> list[OpeningHours]:
    """Settings like "mon-fri 08:00-20:00", in the reader's language."""
    result = []
    for group in groups:
        day_part, time_part = group.split(" ")
        first, _sep, last = day_part.partition("-")
        opens, closes = (dt.time.fromisoformat(t) for t in time_part.split("-"))
        days = i18n.day_name(DAYS.index(first))
        if last:
            days = _("%(first)s to %(last)s", first=days, last=i18n.day_name(DAYS.index(last)))
        times = _("%(opens)s to %(closes)s", opens=i18n.format_time(opens),
                  closes=i18n.format_time(closes))
        result.append(OpeningHours(days=days, times=times))
    return result
