from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    description: object
    reference: str
    address: str
    postcode: str
    date_of_birth: dt.date
    email: str
    phone: str
    preferred_language: str = "en"


PERSONAS = (
    Persona("amina", "Amina Haddad",
            _l("Customer. Uses a screen reader on her phone. Prefers Arabic."),
            "NF-100234", "12 Station Road, Northfield", "NF1 2AB", dt.date(1958, 3, 14),
            "amina@example.org", "07700 900123", "ar"),
    Persona("gareth", "Gareth Jones",
            _l("Customer. Uses only a keyboard. Prefers Welsh."),
            "NF-100871", "3 Heol y Bryn, Northfield", "NF3 7CD", dt.date(1971, 11, 2),
            "gareth@example.org", "07700 900456", "cy"),
    Persona("sam", "Sam Taylor",
            _l("Customer. Not confident online. Reads best with short, plain words."),
            "NF-101502", "Flat 4, 88 Mill Lane, Northfield", "NF2 9EF", dt.date(1990, 6, 30),
            "sam@example.org", "07700 900789"),
)


@dataclass(frozen=True)
class NewCustomer:
    """A customer who has not set up online access yet, for trying /set-up."""

    reference: str
    name: str
    address: str
    postcode: str
    date_of_birth: dt.date
    email: str
    phone: str


NEW_CUSTOMERS = (
    NewCustomer("NF-200100", "Priya Shah", "7 Canal Street, Northfield", "NF4 1GH",
                dt.date(1985, 3, 27), "priya@example.org", "07700 900321"),
    NewCustomer("NF-200200", "Tom Evans", "21 Hill View, Northfield", "NF5 3JK",
                dt.date(1949, 8, 9), "tom@example.org", ""),
)


def persona(key: str) -> Persona | None:
    return next((p for p in PERSONAS if p.key == key), None)
