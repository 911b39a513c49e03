"""Words we use: terms we cannot avoid, each explained in plain words on /glossary.

The English terms are also the allow-list of tests/test_readability.py: a term here may be long or
hard, because the page explains it. Keep the list to words people meet on their bills, letters and
in this service that have no plainer name. Each explanation must itself pass the readability test.

`anchor` is the id on /glossary, a slug of the English term, the same in every language, so that any
page can link to `/glossary#payment-plan`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from babel.support import LazyProxy

from portal.i18n import lazy_gettext as _l


class GlossaryEntry(NamedTuple):
    anchor: str
    term: LazyProxy
    explanation: LazyProxy


def slug(text: str) -> str:
    """"Kilowatt hour (kWh)" -> "kilowatt-hour-kwh"."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


GLOSSARY: tuple[GlossaryEntry, ...] = (
    GlossaryEntry("accessibility", _l("Accessibility"), _l(
        "How easy a service is for all people to use. That includes disabled people and older "
        "people.")),
    GlossaryEntry("british-sign-language-bsl", _l("British Sign Language (BSL)"), _l(
        "A language that many deaf people in the UK use. You make words with your hands, face and "
        "body.")),
    GlossaryEntry("electricity", _l("Electricity"), _l(
        "The power that runs your lights and plugs. We measure it in kilowatt hours (kWh).")),
    GlossaryEntry("customer-reference", _l("Customer reference"), _l(
        "The 2 letters and 6 numbers that name your account, like NF-100234. You can find it on "
        "your bills and letters.")),
    GlossaryEntry("direct-debit", _l("Direct Debit"), _l(
        "You let us take money from your bank account when a payment is due. If we ever take the "
        "wrong amount, your bank will pay it back straight away.")),
    GlossaryEntry("estimated-reading", _l("Estimated reading"), _l(
        "Our best guess at a meter reading, when we do not have a real one. Send us your meter "
        "reading so your bill is right.")),
    GlossaryEntry("in-credit", _l("In credit"), _l(
        "You have paid more than you owe. We take what you owe from the extra, or you can ask for "
        "it back.")),
    GlossaryEntry("instalment", _l("Instalment"), _l(
        "One of a set of smaller payments that together pay off what you owe.")),
    GlossaryEntry("kilowatt-hour-kwh", _l("Kilowatt hour (kWh)"), _l(
        "A unit of energy. A 1 kilowatt heater that is on for 1 hour uses 1 kWh. Your bill shows "
        "how many kWh you used.")),
    GlossaryEntry("meter-reading", _l("Meter reading"), _l(
        "The numbers on your meter that show how much energy you have used. We use them to work "
        "out your bill.")),
    GlossaryEntry("notifications", _l("Notifications"), _l(
        "Short messages that pop up on your phone or computer, even when our website is not open. "
        "You choose if you want them, and you can turn them off at any time.")),
    GlossaryEntry("overdue", _l("Overdue"), _l(
        "A bill or payment is overdue if it was not paid by the date it was due.")),
    GlossaryEntry("passkey", _l("Passkey"), _l(
        "A way to sign in without a password. Your phone or computer checks it is you, with your "
        "fingerprint, face or screen lock.")),
    GlossaryEntry("payment-plan", _l("Payment plan"), _l(
        "A plan to pay what you owe in smaller amounts, on dates we agree with you.")),
    GlossaryEntry("relay-uk", _l("Relay UK"), _l(
        "A free way to make phone calls if you are deaf or find speaking or hearing hard. A person "
        "types what we say and reads out what you type.")),
    GlossaryEntry("screen-reader", _l("Screen reader"), _l(
        "An app that reads out what is on the screen. People who are blind or cannot see well use "
        "it.")),
    GlossaryEntry("standing-charge", _l("Standing charge"), _l(
        "A fixed amount you pay each day for your supply, even on days you use nothing.")),
    GlossaryEntry("tariff", _l("Tariff"), _l(
        "Your price plan. It says what you pay for each kWh you use, and for each day.")),
    GlossaryEntry("web-content-accessibility-guidelines-wcag",
                  _l("Web Content Accessibility Guidelines (WCAG)"), _l(
        "Rules used around the world to make websites work well for disabled people. Level AA is "
        "the level most services aim for.")),
)


def in_reading_order() -> list[GlossaryEntry]:
    """Alphabetical in the reader's language."""
    return sorted(GLOSSARY, key=lambda entry: str(entry.term).casefold())
