"""The words for each way to contact someone and each thing that helps, in every language."""

from __future__ import annotations

from typing import NamedTuple

from portal.i18n import lazy_gettext as _l
from portal.needs.service import NO_PREFERENCE


class Choice(NamedTuple):
    value: str
    text: object
    hint: object = None


CHANNELS = (
    Choice("email", _l("Email")),
    Choice("text", _l("Text message")),
    Choice("phone", _l("Phone call")),
    Choice("letter", _l("Letter")),
    Choice(NO_PREFERENCE, _l("No preference")),
)

SUPPORTS = (
    Choice("large_print", _l("Large print"), _l("Letters and bills in big, clear text.")),
    Choice("bsl", _l("British Sign Language (BSL)"),
           _l("We book a BSL interpreter for calls and visits.")),
    Choice("relay_uk", _l("Relay UK"), _l("We call you through Relay UK, so you can type and read.")),
    Choice("easy_read", _l("Easy read"), _l("Short words and sentences, with pictures.")),
    Choice("extra_time", _l("Extra time"), _l("More time to answer us, pay or do things we ask.")),
    Choice("no_automated_chat", _l("A real person, not a computer"),
           _l("When you chat with us, a person answers you, not a computer.")),
)


def channel_text(value: str) -> object:
    return next((c.text for c in CHANNELS if c.value == (value or NO_PREFERENCE)), value)


def support_text(value: str) -> object:
    return next((s.text for s in SUPPORTS if s.value == value), value)


def support_names(support: tuple[str, ...]) -> list[object]:
    """The names of the things that help, in the reader's language, for pages that adapt to them."""
    return [choice.text for choice in SUPPORTS if choice.value in support]
