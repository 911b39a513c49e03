from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import ClassVar

from portal.access import Scope
from portal.carers.models import Basis
from portal.carers.service import CODE_LENGTH, Document, Invitation, Terms, tidy_code
from portal.i18n import lazy_gettext as _l
from portal.validation import EMAIL_MAX, EMAIL_PATTERN, PHONE_MAX, tidy_phone
from portal.web.forms import FORM_KEY, Field, Form

UNTIL_STOPPED = "stopped"
UNTIL_DATE = "date"
LONGEST = dt.timedelta(days=366 * 10)


def _digits(value: str) -> str:
    return "".join(value.split())


TERMS_FIELDS = (
    Field("scopes", required=_l("Choose at least one thing they can do"), many=True,
          choices=lambda: [s.value for s in Scope], invalid=_l("Choose from the list")),
    Field("until", required=_l("Choose how long they can help you"),
          choices=lambda: [UNTIL_STOPPED, UNTIL_DATE], invalid=_l("Choose from the list")),
    Field("ends-day", max_length=2, normalise=_digits),
    Field("ends-month", max_length=2, normalise=_digits),
    Field("ends-year", max_length=4, normalise=_digits),
)


@dataclass
class TermsForm(Form):
    """What a carer may do and until when: used to invite, to change, and by advisers."""

    fields: ClassVar[tuple[Field, ...]] = TERMS_FIELDS
    today: dt.date = dt.date.min

    @property
    def ends_on(self) -> dt.date | None:
        try:
            return dt.date(int(self.values["ends-year"]), int(self.values["ends-month"]),
                           int(self.values["ends-day"]))
        except (KeyError, ValueError, OverflowError):
            return None

    def check(self) -> None:
        if self.values.get("until") != UNTIL_DATE:
            return
        ends_on = self.ends_on
        if ends_on is None or len(self.values["ends-year"]) != 4:
            self.error("ends-day", _l("Enter the last day they can help you as numbers, like 31 12 2027"))
        elif ends_on < self.today:
            self.error("ends-day", _l("The last day must be today or later"))
        elif ends_on > self.today + LONGEST:
            self.error("ends-day", _l("The last day must be within 10 years"))

    @property
    def terms(self) -> Terms:
        return Terms(scopes=frozenset(Scope(v) for v in self.values["scopes"]),
                     ends_on=self.ends_on if self.values["until"] == UNTIL_DATE else None)

    @classmethod
    def for_terms(cls, terms: Terms) -> TermsForm:
        ends = terms.ends_on
        return cls.blank(scopes=sorted(s.value for s in terms.scopes),
                         until=UNTIL_DATE if ends else UNTIL_STOPPED,
                         **({"ends-day": str(ends.day), "ends-month": str(ends.month),
                             "ends-year": str(ends.year)} if ends else {}))


PERSON_FIELDS = (
    Field("carer_name", required=_l("Enter the name of the person who will help you"), max_length=200,
          too_long=_l("The name must be 200 characters or fewer")),
    Field("carer_email", max_length=EMAIL_MAX, pattern=EMAIL_PATTERN,
          too_long=_l("The email address is too long. Use 254 characters or fewer."),
          invalid=_l("Check the email address. It should look like name@example.com")),
    Field("carer_phone", max_length=PHONE_MAX, pattern=r"(?:\+44|0)(?: ?\d){9,10}",
          invalid=_l("Enter a UK phone number, like 07700 900123"), normalise=tidy_phone),
)


@dataclass
class InviteForm(TermsForm):
    fields: ClassVar[tuple[Field, ...]] = (*PERSON_FIELDS, *TERMS_FIELDS, FORM_KEY)

    def check(self) -> None:
        if not self.values["carer_email"] and not self.values["carer_phone"] and not (
                {"carer_email", "carer_phone"} & set(self.errors)):
            self.error("carer_email", _l("Enter their email or mobile number. We send the code there."))
        super().check()

    @property
    def invitation(self) -> Invitation:
        return Invitation(carer_name=self.values["carer_name"], carer_email=self.values["carer_email"],
                          carer_phone=self.values["carer_phone"], terms=self.terms)


@dataclass
class DocumentForm(InviteForm):
    """An adviser records a lasting power of attorney or a deputyship."""

    fields: ClassVar = (
        Field("basis", required=_l("Choose the kind of legal document"),
              choices=lambda: [Basis.lasting_power_of_attorney.value, Basis.deputyship.value],
              invalid=_l("Choose from the list")),
        Field("document_reference", required=_l("Enter its number, like 7000-1234-5678"), max_length=60,
              too_long=_l("Use 60 characters or fewer")),
        Field("checks", required=_l("Say what you checked"), max_length=500,
              too_long=_l("Use 500 characters or fewer")),
        *PERSON_FIELDS, *TERMS_FIELDS, FORM_KEY,
    )

    @property
    def document(self) -> Document:
        return Document(basis=Basis(self.values["basis"]), reference=self.values["document_reference"],
                        checks=self.values["checks"])


@dataclass
class CodeForm(Form):
    fields: ClassVar = (
        Field("code", required=_l("Enter the code we sent you"), max_length=40,
              invalid=_l("Enter the code as we sent it. It has 12 letters and numbers."),),
    )

    def check(self) -> None:
        typed = self.values["code"]
        if typed and "code" not in self.errors and len(tidy_code(typed)) != CODE_LENGTH:
            self.error("code", _l("Enter the code as we sent it. It has 12 letters and numbers."))


@dataclass
class NameForm(Form):
    fields: ClassVar = (
        Field("name", required=_l("Enter your name"), max_length=200,
              too_long=_l("Your name must be 200 characters or fewer")),
    )


@dataclass
class ChoiceForm(Form):
    """A button that names one authority: act for this person."""

    fields: ClassVar = (Field("authority", required=_l("Choose who to act for"), pattern=r"\d{1,9}",
                              invalid=_l("Choose who to act for")),)


@dataclass
class ReasonForm(Form):
    fields: ClassVar = (
        Field("reason", required=_l("Say why you are pausing their access"), max_length=500,
              too_long=_l("Use 500 characters or fewer")),
    )
