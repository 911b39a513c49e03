"""The forms of sharing a screen: asking for a code, and an adviser entering it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.cobrowse.service import CODE_DIGITS, tidy_code
from portal.i18n import lazy_gettext as _l
from portal.web.forms import FORM_KEY, Field, Form


@dataclass(frozen=True)
class StartData:
    form_key: str
    request: str


@dataclass
class StartForm(Form[StartData]):
    """Asking for a code. The form key makes a double click one share; `request` is the chat or
    call in which an adviser asked (optional)."""

    fields: ClassVar = (
        FORM_KEY,
        Field("request", max_length=20),
    )

    def check(self) -> None:
        self.errors.pop("request", None)  # Only a pointer: checked where it is used.


@dataclass(frozen=True)
class CodeData:
    code: str


@dataclass
class CodeForm(Form[CodeData]):
    fields: ClassVar = (
        Field("code", required=_l("Enter the code the customer reads out to you"), max_length=20,
              normalise=lambda value: tidy_code(value.replace("\x00", "")),
              pattern=rf"\d{{{CODE_DIGITS}}}",
              invalid=_l("Enter the code as 6 numbers, like 123 456")),
    )


@dataclass(frozen=True)
class StopData:
    next: str


@dataclass
class StopForm(Form[StopData]):
    """"Stop sharing" on any page: `next` is the page to stay on."""

    fields: ClassVar = (Field("next", max_length=2000),)

    def check(self) -> None:
        self.errors.pop("next", None)  # Never an error: only a local path is followed.
