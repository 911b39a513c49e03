"""htmx enhances the form: errors arrive without a page load, focus goes to them, and the title says
there is an error. The same form works without JavaScript (test_keyboard)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.steps import arrive


def test_errors_swap_in_without_a_page_load(page: Page, a11y) -> None:
    page.goto("/demo")
    a11y.check(page)
    page.evaluate("() => { window.stillTheSamePage = true; }")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_focused()
    assert page.evaluate("() => window.stillTheSamePage === true"), "the page was reloaded"
    expect(page).to_have_title("Error: Choose who to sign in as – Manage your account – Northfield Utilities")
    expect(page.locator("#persona-error")).to_contain_text("Choose a person to sign in as")
    a11y.check(page)

    page.get_by_label("Gareth Jones").check()
    page.locator("main form button[type=submit]").click()
    arrive(page, "/account")
    expect(page.locator("main")).to_contain_text("Gareth Jones")
    a11y.check(page)


def test_double_click_sends_the_form_once(page: Page, a11y) -> None:
    page.goto("/demo")
    a11y.check(page)
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" else None)
    page.locator("main form button[type=submit]").dblclick()
    expect(page.locator(".error-summary")).to_be_visible()
    a11y.check(page)
    assert len(posts) == 1


def test_an_expired_form_shows_the_error_in_place_of_the_page(page: Page, a11y, live_server) -> None:
    page.goto("/demo")
    a11y.check(page)
    page.context.clear_cookies()  # As if the session had ended while the form was open.
    page.get_by_label("Sam Taylor").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("This form has expired")
    expect(page.locator("h1")).to_be_focused()
    expect(page).to_have_title("This form has expired – Manage your account – Northfield Utilities")
    expect(page.locator("header a[href='/help']")).to_be_visible()
    assert page.locator("main").count() == 1
    a11y.check(page)
