"""Languages: which one a request gets, the Babel catalogues, and locale-aware formatting.

The locale of the current request lives in a context variable, so templates and Python code share one
`gettext` without passing the request around.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import NamedTuple

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.dates import get_timezone
from babel.numbers import format_currency
from babel.numbers import format_decimal as babel_format_decimal
from babel.support import LazyProxy, NullTranslations, Translations

I18N_DIR = Path(__file__).resolve().parent.parent / "i18n"
LOCALE_COOKIE = "portal_lang"


class Language(NamedTuple):
    code: str
    native_name: str  # Shown in the language's own words, as people look for their own language.
    direction: str


LANGUAGES: dict[str, Language] = {
    "en": Language("en", "English", "ltr"),
    "cy": Language("cy", "Cymraeg", "ltr"),
    "ar": Language("ar", "العربية", "rtl"),
}
DEFAULT_LOCALE = "en"

_current_locale: ContextVar[str] = ContextVar("current_locale", default=DEFAULT_LOCALE)


@cache
def translations(locale: str) -> NullTranslations:
    if locale == DEFAULT_LOCALE:
        return NullTranslations()
    return Translations.load(str(I18N_DIR), [locale], domain="messages")


def set_locale(locale: str) -> None:
    _current_locale.set(locale if locale in LANGUAGES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current_locale.get()


def current_language() -> Language:
    return LANGUAGES[get_locale()]


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Write to someone in their own language (an email or account message), whatever language the
    page in front of the person acting is in."""
    previous = get_locale()
    set_locale(language if language in LANGUAGES else DEFAULT_LOCALE)
    try:
        yield
    finally:
        set_locale(previous)


def gettext(message: str, **variables: object) -> str:
    text = translations(get_locale()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    """Templates fill in the variables themselves afterwards (Jinja's newstyle gettext), so without
    variables the text comes back as it is."""
    text = translations(get_locale()).ngettext(singular, plural, n)
    return text % {"num": n, **variables} if variables else text


def lazy_gettext(message: str) -> LazyProxy:
    """For strings defined at import time and translated when shown."""
    return LazyProxy(gettext, message, enable_cache=False)


def negotiate(cookie_value: str | None, accept_language: str | None) -> str:
    """A chosen language (cookie) wins; otherwise the browser's Accept-Language; otherwise English."""
    if cookie_value in LANGUAGES:
        return cookie_value
    if accept_language:
        weighted = []
        for position, part in enumerate(accept_language.split(",")):
            tag, _, params = part.strip().partition(";")
            quality = 1.0
            if params.strip().startswith("q="):
                try:
                    quality = float(params.strip()[2:])
                except ValueError:
                    quality = 0.0
            weighted.append((-quality, position, tag.strip().lower()))
        for negative_quality, _, tag in sorted(weighted):
            primary = tag.split("-")[0]
            if negative_quality < 0 and primary in LANGUAGES:
                return primary
    return DEFAULT_LOCALE


# Our English readers are in the UK: dates like "1 December 2026", not "December 1, 2026".
FORMAT_LOCALES = {"en": "en_GB", "cy": "cy_GB", "ar": "ar"}


def _format_locale() -> str:
    return FORMAT_LOCALES[get_locale()]


def format_date(value: dt.date, format: str = "long") -> str:
    return babel_format_date(value, format=format, locale=_format_locale())


def format_datetime(value: dt.datetime, time_zone: str = "Europe/London") -> str:
    """A moment in the organisation's time zone, like "25 Nov 2026, 14:05"."""
    local = value.astimezone(get_timezone(time_zone))
    joiner = Locale.parse(_format_locale()).datetime_formats["medium"]  # Like "{1}, {0}".
    return str(joiner).replace("{1}", babel_format_date(local, "medium", locale=_format_locale())
                               ).replace("{0}", babel_format_time(local, "short",
                                                                  locale=_format_locale()))


def format_time(value: dt.time, format: str = "short") -> str:
    return babel_format_time(value, format=format, locale=_format_locale())


def format_money(amount: Decimal | int | float, currency: str = "GBP") -> str:
    return format_currency(amount, currency, locale=_format_locale())


def format_number(value: int | float | Decimal) -> str:
    return babel_format_decimal(value, locale=_format_locale())


def day_name(day_index: int) -> str:
    """Monday is 0, as in Python's datetime."""
    return Locale.parse(_format_locale()).days["format"]["wide"][day_index]
