"""Status updates, end to end: operations staff publish an incident in one browser, and a customer
signed in in another is told live, politely, without losing their place; the customer then changes
how we tell them using only the keyboard. Every page on both sides is checked with axe."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Accessibility
from e2e.steps import arrive, demo_sign_in, press, publish_incident, sign_in_by_keyboard, tab_to


@pytest.fixture
def operations(desk_browser: tuple[Page, Accessibility]) -> tuple[Page, Accessibility]:
    return desk_browser


def new_updates(page: Page) -> int:
    """The number of new updates the header link shows (none: no number)."""
    found = re.search(r"\d+", page.locator("#updates-link").inner_text())
    return int(found.group()) if found else 0


def test_an_incident_reaches_a_signed_in_customer_live(page: Page, a11y, operations) -> None:
    ops_page, ops_a11y = operations
    title = f"Power cut in NF3 {uuid.uuid4().hex[:6]}"

    # Gareth reads in Welsh. He is typing in a field when the update arrives.
    page.goto("/language/cy?next=/demo")
    demo_sign_in(page, a11y, "Gareth Jones")
    live = page.locator("#updates-live")
    expect(live).to_have_attribute("role", "status")
    expect(live).to_have_attribute("aria-live", "polite")
    page.goto("/updates/settings")
    a11y.check(page)
    field = page.locator("input[name=quiet_from]")
    field.focus()
    new_before = new_updates(page)

    publish_incident(ops_page, ops_a11y, title)

    expect(live).to_contain_text(title, timeout=20_000)
    expect(live.get_by_role("link")).to_have_attribute("href", re.compile(r"^/updates/\d+$"))
    expect(field).to_be_focused()  # The news is announced; his place is kept.
    expect(page.locator("#updates-link")).to_contain_text(str(new_before + 1))  # Not read out.
    a11y.check(page)

    live.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/updates/\d+$"))
    expect(page.locator("main")).to_contain_text(title)
    a11y.check(page)

    ops_page.reload()
    expect(ops_page.locator("main")).not_to_contain_text("Sending", timeout=10_000)
    ops_a11y.check(ops_page)

    page.goto("/status")
    expect(page.locator("main")).to_contain_text(title)
    a11y.check(page)


def test_choosing_how_we_tell_you_with_the_keyboard_alone(page: Page, a11y) -> None:
    sign_in_by_keyboard(page, a11y, "Sam Taylor")
    press(page, "Updates")
    arrive(page, "/updates")
    a11y.check(page)
    press(page, "Choose how we tell you")
    arrive(page, "/updates/settings")
    a11y.check(page)

    # Text messages about bills too, and a mistake in the quiet hours on the way.
    for _ in range(30):  # Each kind has "Email" and "Text message": find the one for bills.
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.id") == "channels_bills-2":
            break
    expect(page.get_by_role("group", name="Bills").get_by_label("Text message")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("input[name=channels_bills][value=text]")).to_be_checked()
    tab_to(page, "Quiet from")
    page.keyboard.press("Control+A")
    page.keyboard.type("25:99")
    press(page, "Save")
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile(r"^Error:"))
    expect(page.locator("input[name=channels_bills][value=text]")).to_be_checked()  # Kept.
    a11y.check(page)

    page.keyboard.press("Tab")  # The summary's link goes to the field with the mistake.
    page.keyboard.press("Enter")
    expect(page.locator("input[name=quiet_from]")).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("22:00")
    press(page, "Save")
    expect(page.locator("main")).to_contain_text("We saved your choices")
    expect(page.locator("input[name=channels_bills][value=text]")).to_be_checked()
    expect(page.locator("input[name=quiet_from]")).to_have_value("22:00")
    a11y.check(page)
