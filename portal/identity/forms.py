from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from portal.i18n import lazy_gettext as _l
from portal.web.forms import Field, Form, date_from_parts


def _digits(value: str) -> str:
    return "".join(value.split())


@dataclass(frozen=True)
class SetUpData:
    reference: str
    postcode: str
    dob_day: str
    dob_month: str
    dob_year: str

    @property
    def date_of_birth(self) -> dt.date | None:
        return date_from_parts(self.dob_day, self.dob_month, self.dob_year)


@dataclass
class SetUpForm(Form[SetUpData]):
    fields: ClassVar = (
        Field("reference", required=_l("Enter your customer reference, like NF-100234"),
              max_length=20, pattern=r"[A-Za-z]{2}[\s-]?\d{6}",
              invalid=_l("Enter your customer reference as 2 letters and 6 numbers, like "
                         "NF-100234")),
        Field("postcode", max_length=10, pattern=r"[A-Za-z0-9 ]{5,8}",
              invalid=_l("Enter a real postcode, like NF1 2AB")),
        Field("dob-day", max_length=2, normalise=_digits),
        Field("dob-month", max_length=2, normalise=_digits),
        Field("dob-year", max_length=4, normalise=_digits),
    )

    def check(self) -> None:
        parts = [self.values[name] for name in ("dob-day", "dob-month", "dob-year")]
        born = date_from_parts(*parts)
        if any(parts) and (born is None or len(parts[2]) != 4
                           or not dt.date(1900, 1, 1) <= born < dt.date.today()):
            self.error("dob-day", _l("Enter your date of birth as numbers, like 27 3 1985"))
        elif not self.values["postcode"] and not any(parts) and "postcode" not in self.errors:
            self.error("postcode", _l("Enter your postcode or your date of birth"))


@dataclass(frozen=True)
class CodeData:
    code: str


@dataclass
class CodeForm(Form[CodeData]):
    fields: ClassVar = (
        Field("code", required=_l("Enter the 6-digit code we sent you"), pattern=r"\d{6}",
              invalid=_l("Enter the 6-digit code, like 123456"), normalise=_digits),
    )


@dataclass(frozen=True)
class IdentifierData:
    identifier: str


@dataclass
class IdentifierForm(Form[IdentifierData]):
    fields: ClassVar = (
        Field("identifier", required=_l("Enter your email address or customer reference"),
              max_length=320),
    )


@dataclass(frozen=True)
class PasskeyNameData:
    name: str


@dataclass
class PasskeyNameForm(Form[PasskeyNameData]):
    fields: ClassVar = (
        Field("name", required=_l("Enter a name for this passkey"), max_length=60,
              too_long=_l("The name must be 60 characters or fewer")),
    )
