from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from portal.i18n import lazy_gettext as _l


@dataclass(frozen=True)
class Persona:
    key: str
    name: str
    description: object
    reference: str | None  # None: someone with no account of their own.
    address: str
    postcode: str
    date_of_birth: dt.date
    email: str
    phone: str
    preferred_language: str = "en"
    staff_role: str = ""  # "adviser" for the sample advisers, "operations" for Olwen.
    team: str = ""


PERSONAS = (
    Persona("amina", "Amina Haddad",
            _l("Uses a screen reader on her phone. Reads best in Arabic. Has a visit booked to fit a "
               "new meter, a bill due soon, and her needs written down."),
            "NF-100234", "12 Station Road, Northfield", "NF1 2AB", dt.date(1958, 3, 14),
            "amina@example.org", "07700 900123", "ar"),
    Persona("gareth", "Gareth Jones",
            _l("Uses only a keyboard. Reads best in Welsh. Has money in credit, two accounts, and "
               "needs to give a water meter reading."),
            "NF-100871", "3 Heol y Bryn, Northfield", "NF3 7CD", dt.date(1971, 11, 2),
            "gareth@example.org", "07700 900456", "cy"),
    Persona("sam", "Sam Taylor",
            _l("Not sure about using the web. Likes short, plain words. Has a late bill, and we are "
               "waiting for a photo of the meter."),
            "NF-101502", "Flat 4, 88 Mill Lane, Northfield", "NF2 9EF", dt.date(1990, 6, 30),
            "sam@example.org", "07700 900789"),
    Persona("olu", "Olu Adeyemi",
            _l("Owes money and pays it back each month. The last payment did not go through."),
            "NF-100560", "45 Park Avenue, Northfield", "NF6 2LM", dt.date(1983, 1, 19),
            "olu@example.org", "07700 900654"),
    Persona("margaret", "Margaret Price",
            _l("Aged 84. Needs large print and more time. Her daughter Ceri helps her. Has a "
               "complaint open."),
            "NF-100990", "2 Church Row, Northfield", "NF7 4PQ", dt.date(1942, 5, 8),
            "margaret@example.org", "01632 960111"),
    Persona("ceri", "Ceri Price",
            _l("Helps her mother, Margaret. Has no account of her own."),
            None, "", "", dt.date(1968, 9, 21), "ceri@example.org", "07700 900888"),
    Persona("dewi", "Dewi Morgan",
            _l("Adviser. Helps customers on the phone, by chat and by message."),
            None, "", "", dt.date(1980, 2, 2), "dewi@northfield.example.org", "", "cy",
            staff_role="adviser", team="general"),
    Persona("hana", "Hana Ali",
            _l("Adviser in the team that helps people who use BSL, Relay UK, easy read or need more "
               "time."),
            None, "", "", dt.date(1986, 7, 7), "hana@northfield.example.org", "", staff_role="adviser",
            team="specialist"),
    Persona("olwen", "Olwen Price",
            _l("Works in operations. Tells people when their water, gas or power goes off."),
            None, "", "", dt.date(1977, 4, 12), "olwen@northfield.example.org", "",
            staff_role="operations"),
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
