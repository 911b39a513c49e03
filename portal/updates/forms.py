"""The settings form (/updates/settings): channels per kind, quiet hours, a daily limit, and one
usage limit per metered service. Its usage fields depend on the person's services, so each request
makes its own form class with `settings_form(metered)`, and its data (`Choices`, what to save) is
built by its own `clean()` rather than one attribute per field."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from portal.accounts import wording
from portal.i18n import format_number, gettext
from portal.i18n import lazy_gettext as _l
from portal.updates import rules
from portal.updates.models import DeliveryChannel, UpdateKind
from portal.updates.preferences import MAX_USAGE_LIMIT, Choices, Current, Metered
from portal.web.forms import Field, Form

ON, OFF = "on", "off"
TIME = re.compile(r"([01]?\d|2[0-3])[:.]?([0-5]\d)")
WHOLE_NUMBER = re.compile(r"\d{1,9}")
LONG = 10_000


def channel_field(kind: UpdateKind) -> str:
    return f"channels_{kind.value}"


def usage_field(service_id: int) -> str:
    return f"usage_{service_id}"


def parse_time(value: str) -> dt.time | None:
    """"21:00", "9:30", "21.00" or "2100"; None if it is not a time of day."""
    match = TIME.fullmatch(value.replace(" ", ""))
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


def show_time(value: dt.time | None) -> str:
    return f"{value:%H:%M}" if value is not None else ""


def service_name(metered: Metered, several_accounts: bool) -> str:
    name = str(wording.label(metered.service.kind))
    return f"{name} ({metered.account.reference})" if several_accounts else name


def _number(value: str) -> int | None:
    """A whole number as people type it: "1,000" and "1 000" are 1000."""
    cleaned = re.sub(r"[\s,]", "", value)
    return int(cleaned) if WHOLE_NUMBER.fullmatch(cleaned) else None


def _channels() -> list[str]:
    return [c.value for c in rules.CHOOSABLE]


CHANNEL_CHOICE = _l("Choose email, text message, or neither")


@dataclass
class SettingsForm(Form[Choices]):
    fields: ClassVar[tuple[Field, ...]] = (
        *(Field(channel_field(kind), many=True, max_length=20, choices=_channels, invalid=CHANNEL_CHOICE)
          for kind in UpdateKind),
        Field("quiet", required=_l("Choose if you want quiet hours"), choices=lambda: (ON, OFF),
              invalid=_l("Choose if you want quiet hours")),
        # Checked in `check`, whatever their length, so every mistake gets its own words.
        Field("quiet_from", max_length=LONG),
        Field("quiet_until", max_length=LONG),
        Field("cap", required=_l("Choose if you want a limit each day"), choices=lambda: (ON, OFF),
              invalid=_l("Choose if you want a limit each day")),
        Field("daily_cap", max_length=LONG),
    )
    # The person's metered services, in the order the page shows them.
    metered: ClassVar[tuple[Metered, ...]] = ()

    @classmethod
    def from_current(cls, current: Current) -> SettingsForm:
        prefs = current.preferences
        values: dict[str, Any] = {channel_field(kind): sorted(c.value for c in prefs.chosen(kind))
                                  for kind in UpdateKind}
        quiet = prefs.quiet_from is not None and prefs.quiet_until is not None
        values.update(quiet=ON if quiet else OFF, quiet_from=show_time(prefs.quiet_from),
                      quiet_until=show_time(prefs.quiet_until),
                      cap=ON if prefs.daily_cap else OFF,
                      daily_cap=str(prefs.daily_cap) if prefs.daily_cap else "")
        values.update({usage_field(m.id): str(m.limit) if m.limit else "" for m in cls.metered})
        return cls.blank(**values)

    @property
    def several_accounts(self) -> bool:
        return len({m.account.id for m in self.metered}) > 1

    def check(self) -> None:
        if self.values.get("quiet") == ON:
            self._time("quiet_from", gettext("Enter the time quiet hours start, like 21:00"),
                       gettext("Enter the time quiet hours start as hours and minutes, like 21:00"))
            self._time("quiet_until", gettext("Enter the time quiet hours end, like 08:00"),
                       gettext("Enter the time quiet hours end as hours and minutes, like 08:00"))
            start, end = (parse_time(self.values["quiet_from"]), parse_time(self.values["quiet_until"]))
            if start is not None and start == end:
                self.error("quiet_until", gettext("Quiet hours must end at a different time from when "
                                                  "they start"))
        if self.values.get("cap") == ON:
            cap = self.values["daily_cap"]
            if not cap:
                self.error("daily_cap", gettext("Enter how many messages we can send in a day, from 1 to "
                                                "%(most)s", most=rules.MAX_DAILY_CAP))
            elif (number := _number(cap)) is None or not 1 <= number <= rules.MAX_DAILY_CAP:
                self.error("daily_cap", gettext("Enter a number from 1 to %(most)s",
                                                most=rules.MAX_DAILY_CAP))
        for metered in self.metered:
            name = usage_field(metered.id)
            typed = self.values.get(name, "")
            if not typed:
                continue
            service = service_name(metered, self.several_accounts)
            number = _number(typed)
            if number is None:
                self.error(name, gettext("Enter the limit for %(service)s as a whole number, like 300",
                                         service=service))
            elif not 1 <= number <= MAX_USAGE_LIMIT:
                self.error(name, gettext("Enter a limit for %(service)s from 1 to %(most)s",
                                         service=service, most=format_number(MAX_USAGE_LIMIT)))

    def _time(self, name: str, missing: str, wrong: str) -> None:
        typed = self.values[name]
        if not typed:
            self.error(name, missing)
        elif parse_time(typed) is None:
            self.error(name, wrong)

    def clean(self) -> Choices:
        """What to save: `form.data` once `validate()` passed."""
        quiet = self.values["quiet"] == ON
        usage: dict[int, int | None] = {}
        for metered in self.metered:
            typed = self.values.get(usage_field(metered.id), "")
            usage[metered.id] = _number(typed) if typed else None
        return Choices(
            channels={kind: frozenset(DeliveryChannel(c) for c in self.values[channel_field(kind)])
                      for kind in UpdateKind},
            quiet_from=parse_time(self.values["quiet_from"]) if quiet else None,
            quiet_until=parse_time(self.values["quiet_until"]) if quiet else None,
            daily_cap=(_number(self.values["daily_cap"]) or 0) if self.values["cap"] == ON else 0,
            usage=usage)


def settings_form(metered: Sequence[Metered]) -> type[SettingsForm]:
    """The form for a person with these metered services."""
    fields = SettingsForm.fields + tuple(Field(usage_field(m.id), max_length=LONG) for m in metered)
    return type("PersonSettingsForm", (SettingsForm,), {"fields": fields, "metered": tuple(metered)})
