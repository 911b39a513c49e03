"""Journeys with the keyboard alone, with and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accessibility.checks import focused_description
from e2e.steps import arrive, tab_to


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page: Page, a11y) -> None:
    page.goto("/help")
    a11y.check(page)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["width"] > 0, "the skip link shows when focused"
    page.keyboard.press("Enter")
    expect(page.locator("main#main-content")).to_be_focused()


@pytest.fixture(params=["with JavaScript", "without JavaScript"])
def any_page(request, page: Page, no_js_page: Page) -> Page:
    return page if request.param == "with JavaScript" else no_js_page


def test_sign_in_journey_by_keyboard(any_page: Page) -> None:
    from e2e.conftest import Accessibility

    page = any_page
    a11y = Accessibility()
    a11y.watch(page)

    page.goto("/")
    a11y.check(page)
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    arrive(page, "/sign-in")
    a11y.check(page)
    tab_to(page, "Sign in as a sample person")
    page.keyboard.press("Enter")
    page.wait_for_url("**/demo?next=/account")
    a11y.check(page)

    # Send the form without choosing: the error summary takes focus.
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page).to_have_title("Error: Choose who to sign in as – Manage your account – Northfield Utilities")
    a11y.check(page)

    # The error links to the first choice; choose it and send again.
    page.keyboard.press("Tab")
    assert "Choose a person to sign in as" in focused_description(page)
    page.keyboard.press("Enter")
    expect(page.locator("#persona")).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator("#persona")).to_be_checked()
    tab_to(page, "Sign in")
    page.keyboard.press("Enter")
    arrive(page, "/account")
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text("Amina Haddad")
    a11y.check(page)

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    arrive(page, "/signed-out")
    expect(page.locator("h1")).to_have_text("You have signed out")
    a11y.check(page)
    a11y.verify()
