from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from portal.access import Scope
from portal.carers.models import Basis
from portal.carers.service import CODE_LENGTH, Document, Invitation, Terms, tidy_code
from portal.i18n import lazy_gettext as _l
from portal.validation import EMAIL_MAX, EMAIL_PATTERN, PHONE_MAX, tidy_phone
from portal.web.forms import FORM_KEY, Field, Form, date_from_parts

UNTIL_STOPPED = "stopped"
UNTIL_DATE = "date"
LONGEST = dt.timedelta(days=366 * 10)


def _digits(value: str) -> str:
    return "".join(value.split())


TERMS_FIELDS = (
    Field("scopes", required=_l("Choose at least one thing they can do"), many=True,
          choices=lambda: [s.value for s in Scope], invalid=_l("Choose from the list"), parse=Scope),
    Field("until", required=_l("Choose how long they can help you"),
          choices=lambda: [UNTIL_STOPPED, UNTIL_DATE], invalid=_l("Choose from the list")),
    Field("ends-day", max_length=2, normalise=_digits),
    Field("ends-month", max_length=2, normalise=_digits),
    Field("ends-year", max_length=4, normalise=_digits),
)


@dataclass(frozen=True)
class TermsData:
    scopes: list[Scope]
    until: str
    ends_day: str
    ends_month: str
    ends_year: str

    @property
    def terms(self) -> Terms:
        ends_on = date_from_parts(self.ends_day, self.ends_month, self.ends_year)
        return Terms(scopes=frozenset(self.scopes), ends_on=ends_on if self.until == UNTIL_DATE else None)


TermsT = TypeVar("TermsT", bound=TermsData)


@dataclass
class _TermsRules(Form[TermsT]):
    """What a carer may do and until when: checked alike to invite, to change, and by advisers."""

    today: dt.date = dt.date.min

    def check(self) -> None:
        if self.values.get("until") != UNTIL_DATE:
            return
        ends_on = date_from_parts(*(self.values[name] for name in ("ends-day", "ends-month", "ends-year")))
        if ends_on is None or len(self.values["ends-year"]) != 4:
            self.error("ends-day", _l("Enter the last day they can help you as numbers, like 31 12 2027"))
        elif ends_on < self.today:
            self.error("ends-day", _l("The last day must be today or later"))
        elif ends_on > self.today + LONGEST:
            self.error("ends-day", _l("The last day must be within 10 years"))


@dataclass
class TermsForm(_TermsRules[TermsData]):
    fields: ClassVar[tuple[Field, ...]] = TERMS_FIELDS

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


@dataclass(frozen=True)
class InviteData(TermsData):
    carer_name: str
    carer_email: str
    carer_phone: str
    form_key: str

    @property
    def invitation(self) -> Invitation:
        return Invitation(carer_name=self.carer_name, carer_email=self.carer_email,
                          carer_phone=self.carer_phone, terms=self.terms)


def _check_contact(form: Form[Any]) -> None:
    """The code goes to the carer's email or phone, so one of them is needed."""
    if not form.values["carer_email"] and not form.values["carer_phone"] and not (
            {"carer_email", "carer_phone"} & set(form.errors)):
        form.error("carer_email", _l("Enter their email or mobile number. We send the code there."))


@dataclass
class InviteForm(_TermsRules[InviteData]):
    fields: ClassVar[tuple[Field, ...]] = (*PERSON_FIELDS, *TERMS_FIELDS, FORM_KEY)

    def check(self) -> None:
        _check_contact(self)
        super().check()


@dataclass(frozen=True)
class DocumentData(InviteData):
    basis: Basis
    document_reference: str
    checks: str

    @property
    def document(self) -> Document:
        return Document(basis=self.basis, reference=self.document_reference, checks=self.checks)


@dataclass
class DocumentForm(_TermsRules[DocumentData]):
    """An adviser records a lasting power of attorney or a deputyship."""

    fields: ClassVar = (
        Field("basis", required=_l("Choose the kind of legal document"),
              choices=lambda: [Basis.lasting_power_of_attorney.value, Basis.deputyship.value],
              invalid=_l("Choose from the list"), parse=Basis),
        Field("document_reference", required=_l("Enter its number, like 7000-1234-5678"), max_length=60,
              too_long=_l("Use 60 characters or fewer")),
        Field("checks", multiline=True, required=_l("Say what you checked"), max_length=500,
              too_long=_l("Use 500 characters or fewer")),
        *PERSON_FIELDS, *TERMS_FIELDS, FORM_KEY,
    )

    def check(self) -> None:
        _check_contact(self)
        super().check()


@dataclass(frozen=True)
class CodeData:
    code: str


@dataclass
class CodeForm(Form[CodeData]):
    fields: ClassVar = (
        Field("code", required=_l("Enter the code we sent you"), max_length=40,
              invalid=_l("Enter the code as we sent it. It has 12 letters and numbers."),),
    )

    def check(self) -> None:
        typed = self.values["code"]
        if typed and "code" not in self.errors and len(tidy_code(typed)) != CODE_LENGTH:
            self.error("code", _l("Enter the code as we sent it. It has 12 letters and numbers."))


@dataclass(frozen=True)
class NameData:
    name: str


@dataclass
class NameForm(Form[NameData]):
    fields: ClassVar = (
        Field("name", required=_l("Enter your name"), max_length=200,
              too_long=_l("Your name must be 200 characters or fewer")),
    )


@dataclass(frozen=True)
class ChoiceData:
    authority: int


@dataclass
class ChoiceForm(Form[ChoiceData]):
    """A button that names one authority: act for this person."""

    fields: ClassVar = (Field("authority", required=_l("Choose who to act for"), pattern=r"\d{1,9}",
                              invalid=_l("Choose who to act for"), parse=int),)


@dataclass(frozen=True)
class ReasonData:
    reason: str


@dataclass
class ReasonForm(Form[ReasonData]):
    fields: ClassVar = (
        Field("reason", multiline=True, required=_l("Say why you are pausing their access"), max_length=500,
              too_long=_l("Use 500 characters or fewer")),
    )
