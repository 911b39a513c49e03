from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from portal.i18n import lazy_gettext as _l
from portal.validation import EMAIL_MAX, EMAIL_PATTERN, PHONE_MAX, tidy_phone
from portal.web.forms import Field, Form


@dataclass(frozen=True)
class EmailData:
    email: str


@dataclass
class EmailForm(Form[EmailData]):
    fields: ClassVar = (
        Field("email", required=_l("Enter your new email address"), max_length=EMAIL_MAX,
              too_long=_l("Your email address is too long. Use 254 characters or fewer."),
              pattern=EMAIL_PATTERN,
              invalid=_l("Check your email address. It should look like name@example.com")),
    )


@dataclass(frozen=True)
class PhoneData:
    phone: str


@dataclass
class PhoneForm(Form[PhoneData]):
    fields: ClassVar = (
        Field("phone", required=_l("Enter your new phone number"), max_length=PHONE_MAX,
              too_long=_l("Your phone number is too long. Use 20 characters or fewer."),
              # Single spaces between groups of digits; the whole number is 10 or 11 digits.
              pattern=r"(?:\+44|0)(?: ?\d){9,10}",
              invalid=_l("Enter a UK phone number, like 07700 900123"),
              normalise=tidy_phone),
    )


def new_contact(form: EmailForm | PhoneForm) -> str:
    """The new email address or phone number, once the form is valid."""
    return form.data.email if isinstance(form, EmailForm) else form.data.phone
