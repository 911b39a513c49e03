"""Steps the journeys share: moving with the keyboard alone, waiting to arrive, signing in, publishing
an incident."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from accessibility.checks import focused_description


def tab_to(page: Page, text: str, limit: int = 40) -> None:
    """Press Tab until the focused element's text starts with `text`."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = focused_description(page)
        seen.append(focused)
        if focused.split(" ", 1)[-1].startswith(text):
            return
    raise AssertionError(f"never reached {text!r} with Tab; passed through {seen}")


def arrive(page: Page, path: str) -> None:
    """Wait until the browser is on exactly this path (a query string like ?next=/x is no match)."""
    page.wait_for_url(lambda url: urlsplit(url).path == path)


def demo_sign_in(page: Page, a11y, person: str) -> None:
    """Sign in as a demo person through the page, checking each page on the way."""
    page.goto("/demo")
    a11y.check(page)
    page.get_by_label(person).check()
    page.locator("main form button[type=submit]").click()
    arrive(page, "/account")
    a11y.check(page)


def code_sent_to(page: Page, a11y, address: str) -> str:
    """Read the newest code from the demo outbox, as a tester would. A code to sign in or set up is
    made just after the answer to the form, so look again for a moment if it is not there yet."""
    message = page.locator(".outbox-message", has_text=address).first
    for _ in range(20):
        page.goto("/demo/outbox")
        if message.count():
            break
        page.wait_for_timeout(250)
    a11y.check(page)
    text = message.inner_text().replace(address, "")  # A phone number has digits too.
    return re.search(r"\b(\d{6})\b", text).group(1)


def type_into(page: Page, label: str, text: str) -> None:
    """Tab to the field with this label and type, as a keyboard user would."""
    tab_to(page, label)
    page.keyboard.type(text)


def sign_in_by_keyboard(page: Page, a11y, person: str) -> None:
    """The customer side uses only the keyboard, from choosing who they are onwards."""
    page.goto("/demo")
    a11y.check(page)
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "persona":
            break
    for _ in range(10):  # Arrow keys move through the choices and choose as they go.
        if person in page.evaluate("() => document.activeElement.labels[0].innerText"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")  # The first choice is focused by Tab but not yet chosen.
    expect(page.get_by_label(person)).to_be_checked()
    press(page, "Sign in")
    arrive(page, "/account")
    a11y.check(page)


def press(page: Page, button_text: str) -> None:
    """Tab to a button and press Enter, as a keyboard user would."""
    tab_to(page, button_text)
    page.keyboard.press("Enter")


def publish_incident(page: Page, a11y, title: str) -> None:
    """Olwen tells people in NF3 (where Gareth lives) about a power cut."""
    page.goto("/demo")
    a11y.check(page)
    page.get_by_label("Olwen Price").check()
    page.locator("main form button[type=submit]").click()
    arrive(page, "/ops")
    a11y.check(page)
    page.locator("main a[href='/ops/incidents/new']").click()
    arrive(page, "/ops/incidents/new")
    a11y.check(page)
    page.get_by_label("Electricity").check()
    page.get_by_label("Which areas?").fill("NF3")
    page.get_by_label("Title").fill(title)
    page.get_by_label("What is happening?").fill("Some homes have no power. A cable is broken.")
    page.get_by_label("Who is affected?").fill("Homes on the east side of NF3.")
    page.get_by_label("What should people do?").fill("Keep your fridge shut. Call us if you use "
                                                     "medical equipment that needs power.")
    page.get_by_label("We do not know yet").check()
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/ops/incidents/IN-"))
    a11y.check(page)
