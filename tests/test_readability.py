"""Plain language: every English message in i18n/messages.pot is easy to read.

The rule (we aim for a reading age of 9):
- A message of 5 or more words must score Flesch-Kincaid grade 6 or lower (textstat).
- A shorter message (a label, heading or button) has too few words for Flesch-Kincaid to mean
  anything ("Continue" scores 20.2), so it is checked word by word instead: no word of 4 or more
  syllables (textstat.syllable_count).
- Before scoring, each `%(name)s` placeholder becomes "it", HTML tags are removed, and each term on
  the allow-list becomes "it" (ignoring case, whole words only).

The allow-list is the English terms in portal/pages/glossary.py, and each of them is explained on
the public /glossary page ("Words we use"). A term written like "British Sign Language (BSL)" also
allows "British Sign Language" and "BSL" on their own. Add a term only when there is no plainer word
for it, and explain it there. Both the singular and the plural of each message are checked.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
import textstat
from babel.messages.pofile import read_po

from portal import i18n
from portal.pages.glossary import GLOSSARY, slug
from tests.conftest import PageCheckingClient
from tests.page_checks import parse, text_of

POT = Path(__file__).resolve().parent.parent / "i18n" / "messages.pot"
HIGHEST_GRADE = 6
FEWEST_WORDS_FOR_GRADE = 5
MOST_SYLLABLES = 3


def english(text: object) -> str:
    i18n.set_locale("en")
    return str(text)


@cache
def glossary_terms() -> tuple[str, ...]:
    return tuple(english(entry.term) for entry in GLOSSARY)


@cache
def allowed_terms() -> tuple[str, ...]:
    """Each glossary term, and its long and short forms when it is written "long (SHORT)"."""
    terms: set[str] = set()
    for term in glossary_terms():
        terms.add(term)
        match = re.fullmatch(r"(.+?)\s*\((.+)\)", term)
        if match:
            terms.update(match.groups())
    return tuple(sorted(terms, key=len, reverse=True))  # Longest first: WCAG before "accessibility".


def prepared(message: str) -> str:
    text = re.sub(r"%\(\w+\)[sd]", "it", message).replace("%%", "%")
    text = re.sub(r"<[^>]*>", " ", text)
    for term in allowed_terms():
        text = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", "it", text, flags=re.IGNORECASE)
    return re.sub(r"\s+", " ", text).strip()


def problem(message: str) -> str | None:
    """Why the message is too hard to read, or None."""
    text = prepared(message)
    if textstat.lexicon_count(text) >= FEWEST_WORDS_FOR_GRADE:
        grade = textstat.flesch_kincaid_grade(text)
        if grade > HIGHEST_GRADE:
            return f"Flesch-Kincaid grade {grade:.1f} (most {HIGHEST_GRADE}): use shorter words and sentences"
        return None
    long_words = [word for word in re.findall(r"[\w'’-]+", text)
                  if textstat.syllable_count(word) > MOST_SYLLABLES]
    if long_words:
        return (f"{long_words} ha{'ve' if len(long_words) > 1 else 's'} more than {MOST_SYLLABLES} "
                "syllables: use a shorter word, or add the term to portal/pages/glossary.py")
    return None


def catalogue_messages() -> list[str]:
    with POT.open("rb") as handle:
        catalogue = read_po(handle)
    messages = []
    for message in catalogue:
        if message.id:
            messages.extend(message.id if isinstance(message.id, tuple) else (message.id,))
    return sorted(set(messages))


@pytest.mark.parametrize("message", catalogue_messages(),
                         ids=lambda message: message if len(message) <= 100 else message[:97] + "...")
def test_message_is_plain_english(message: str) -> None:
    reason = problem(message)
    assert reason is None, f"{message!r}: {reason}"


@pytest.mark.parametrize(("message", "hard"), [
    ("Notwithstanding the aforementioned provisions, remuneration is determined "
     "contemporaneously.", True),
    ("Authentication preferences", True),  # A label with a long word.
    ("Accessibility statement", False),  # A long word on the allow-list.
    ("Pay your bill", False),
    ("%(organisation)s will send you a letter about <strong>your payment plan</strong>.", False),
])
def test_the_rule_can_fail(message: str, hard: bool) -> None:
    assert (problem(message) is not None) == hard, prepared(message)


def test_allow_list_handles_short_forms_whole_words_and_case() -> None:
    assert prepared("Call us by Relay UK or in BSL.") == "Call us by it or in it."
    assert prepared("A PAYMENT PLAN") == "A it"
    assert prepared("tariffs") == "tariffs"  # Whole words only.


def test_every_allowed_term_is_explained_on_the_glossary_page(client: PageCheckingClient) -> None:
    root = parse(client.get("/glossary").text)
    explained = {}
    for row in root.findall(".//main//dl/div"):
        (dt,), (dd,) = row.findall("dt"), row.findall("dd")
        assert text_of(dd), f"{text_of(dt)!r} has no explanation"
        explained[text_of(dt)] = dt.get("id")
    assert set(explained) == set(glossary_terms())
    for term, anchor in explained.items():
        assert anchor == slug(term), f"/glossary#{slug(term)} should lead to {term!r}"


def test_glossary_is_linked_from_every_page(client: PageCheckingClient) -> None:
    root = parse(client.get("/").text)
    link = root.find(".//footer//a[@href='/glossary']")
    assert link is not None and text_of(link) == "Words we use"


def test_glossary_is_translated_and_keeps_english_anchors(client: PageCheckingClient) -> None:
    client.cookies.set("portal_lang", "cy")
    root = parse(client.get("/glossary").text)
    welsh = {dt.get("id"): text_of(dt) for dt in root.findall(".//main//dl//dt")}
    assert set(welsh) == {entry.anchor for entry in GLOSSARY}
    assert welsh["payment-plan"] != "Payment plan"
