"""Checks every HTML page fetched in tests must pass, whatever the test is about.

One h1; a <title> that starts with it (after "Error: "); unique ids; well-formed HTML; every form
field labelled; in-page links that lead somewhere; every script carrying this response's CSP nonce;
<html lang dir>; the "Talk to a person" link in the header.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import html5lib
from html5lib.html5parser import ParseError

from portal import i18n

LABELLABLE = {"input", "select", "textarea"}
UNLABELLED_INPUT_TYPES = {"hidden", "submit", "button", "reset", "image"}


class PageProblem(AssertionError):
    pass


def text_of(element: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(element.itertext())).strip()


def parse(html: str) -> ET.Element:
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        return parser.parse(html)
    except ParseError as exc:
        raise PageProblem(f"HTML is not well formed: {exc}") from exc


def check_page(html: str, csp_header: str) -> ET.Element:
    root = parse(html)
    problems: list[str] = []

    if not root.get("lang") or root.get("dir") not in ("ltr", "rtl"):
        problems.append("<html> needs lang and dir")

    headings = root.findall(".//h1")
    if len(headings) != 1:
        problems.append(f"expected one h1, found {len(headings)}")
    titles = root.findall(".//title")
    if len(titles) != 1:
        problems.append(f"expected one <title>, found {len(titles)}")
    elif headings:
        title, heading = text_of(titles[0]), text_of(headings[0])
        i18n.set_locale(root.get("lang") or "en")
        error_prefix = i18n.gettext("Error:") + " "
        if not title.removeprefix(error_prefix).startswith(heading):
            problems.append(f"title {title!r} does not start with the h1 {heading!r}")

    ids = [element.get("id") for element in root.iter() if element.get("id")]
    duplicates = [name for name, count in Counter(ids).items() if count > 1]
    if duplicates:
        problems.append(f"duplicate ids: {duplicates}")

    label_targets = {label.get("for") for label in root.iter("label")}
    wrapped = {id(field) for label in root.iter("label") for field in label.iter()}
    for field in root.iter():
        if field.tag not in LABELLABLE or field.get("type") in UNLABELLED_INPUT_TYPES:
            continue
        if not (field.get("id") in label_targets or id(field) in wrapped
                or field.get("aria-label") or field.get("aria-labelledby")):
            problems.append(f"unlabelled field: {field.tag} name={field.get('name')!r}")

    for link in root.iter("a"):
        href = link.get("href") or ""
        if href.startswith("#") and len(href) > 1 and href[1:] not in ids:
            problems.append(f"in-page link to missing id: {href}")

    nonce_match = re.search(r"'nonce-([^']+)'", csp_header)
    for script in root.iter("script"):
        if nonce_match is None or script.get("nonce") != nonce_match.group(1):
            problems.append(f"script without this response's nonce: {script.get('src')}")

    talk = [a for a in root.findall(".//header//a") if a.get("href") == "/help"]
    if not talk:
        problems.append("no 'Talk to a person' link in the header")

    if problems:
        raise PageProblem("; ".join(problems))
    return root
