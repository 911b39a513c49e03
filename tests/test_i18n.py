"""Languages: negotiation, switching, right-to-left, formatting, and complete catalogues."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal import i18n
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

ROOT = Path(__file__).resolve().parent.parent
I18N = ROOT / "i18n"


@pytest.mark.parametrize(("cookie", "header", "expected"), [
    (None, None, "en"),
    (None, "cy-GB,cy;q=0.9,en;q=0.8", "cy"),
    (None, "fr-FR, ar;q=0.5", "ar"),
    (None, "en;q=0.2, cy;q=0.9", "cy"),
    (None, "de, fr", "en"),
    (None, "cy;q=0", "en"),
    (None, "ar;q=nonsense", "en"),
    ("ar", "cy", "ar"),
    ("xx", "cy", "cy"),
])
def test_negotiation(cookie, header, expected) -> None:
    assert i18n.negotiate(cookie, header) == expected


def test_accept_language_picks_welsh(client: PageCheckingClient) -> None:
    root = parse(client.get("/", headers={"Accept-Language": "cy"}).text)
    assert root.get("lang") == "cy" and root.get("dir") == "ltr"


def test_arabic_is_right_to_left(client: PageCheckingClient) -> None:
    root = parse(client.get("/", headers={"Accept-Language": "ar"}).text)
    assert root.get("lang") == "ar" and root.get("dir") == "rtl"
    assert text_of(root.find(".//header//a[@href='/help']")) != "Talk to a person"


def test_switching_language_is_remembered_and_returns_to_the_page(
        client: PageCheckingClient) -> None:
    response = client.get("/language/cy?next=/help", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/help"
    assert "Max-Age=31536000" in response.headers["set-cookie"]
    root = parse(client.get("/privacy", headers={"Accept-Language": "ar"}).text)
    assert root.get("lang") == "cy"
    assert text_of(root.find(".//span[@aria-current='true']")) == "Cymraeg"


def test_language_links_name_each_language_in_itself(client: PageCheckingClient) -> None:
    root = parse(client.get("/help").text)
    links = {a.get("lang"): text_of(a) for a in root.findall(".//nav//a[@hreflang]")}
    assert links == {"cy": "Cymraeg", "ar": "العربية"}
    assert root.find(".//nav//a[@hreflang='cy']").get("href") == "/language/cy?next=/help"


def test_unknown_language_is_404(client: PageCheckingClient) -> None:
    assert client.get("/language/xx").status_code == 404


def test_language_switch_cannot_redirect_off_site(client: PageCheckingClient) -> None:
    response = client.get("/language/cy?next=https://evil.example", follow_redirects=False)
    assert response.headers["location"] == "/"


def test_money_and_dates_follow_the_language() -> None:
    i18n.set_locale("en")
    assert i18n.format_money(Decimal("1234.5")) == "£1,234.50"
    assert i18n.format_date(dt.date(2026, 12, 1)) == "1 December 2026"
    i18n.set_locale("cy")
    assert i18n.format_date(dt.date(2026, 12, 1)) == "1 Rhagfyr 2026"
    i18n.set_locale("ar")
    assert "ديسمبر" in i18n.format_date(dt.date(2026, 12, 1))
    i18n.set_locale("en")
    summer = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)  # 13:30 in London (summer time).
    assert i18n.format_datetime(summer) == "1 Jul 2026, 13:30"


def catalogue(locale: str):
    with (I18N / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def template_ids() -> set[str]:
    with (I18N / "messages.pot").open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("locale", ["cy", "ar"])
def test_every_string_is_translated(locale: str) -> None:
    po = catalogue(locale)
    missing = []
    for message in po:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            missing.append(message.id)
    assert not missing, f"{locale}: {len(missing)} strings need translating: {missing[:10]}"
    po_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in po if m.id}
    assert po_ids == template_ids(), f"{locale} catalogue is out of step: run make i18n"


def test_messages_pot_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract",
                    "-F", "i18n/babel.cfg", "-k", "_l", "-k", "lazy_gettext", "--no-location",
                    "--sort-output", "--omit-header", "-o", str(fresh), "."],
                   cwd=ROOT, check=True, capture_output=True)
    assert fresh.read_text() == (I18N / "messages.pot").read_text(), (
        "i18n/messages.pot is stale: run make i18n")


@pytest.mark.parametrize("locale", ["cy", "ar"])
def test_placeholders_survive_translation(locale: str) -> None:
    import re

    for message in catalogue(locale):
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        wanted = set(re.findall(r"%\(\w+\)s", ids[0]))
        for text in (t for t in strings if t):  # Empty ones are caught by the completeness test.
            found = set(re.findall(r"%\(\w+\)s", text))
            if len(ids) > 1:
                # A plural form may say the number in words ("one try", "محاولة واحدة").
                wanted_here = wanted - {"%(num)s", "%(count)s"}
                assert wanted_here <= found <= wanted | set(re.findall(r"%\(\w+\)s", ids[1])), (
                    locale, message.id)
            else:
                assert found == wanted, (locale, message.id)
