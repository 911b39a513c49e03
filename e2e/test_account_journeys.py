"""Each demo person's account in English, Welsh and Arabic: the right things to do come first, and every
page on the way passes axe. Filtering and paging work with htmx and without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accessibility.journeys import set_language
from e2e.steps import arrive, code_sent_to, demo_sign_in, tab_to, type_into

# What each person should see first, in English (the words prove the right rule fired).
THINGS_TO_DO = {
    "Sam Taylor": ["Urgent Pay your late bill", "We need something from you"],
    "Amina Haddad": ["Be at home for your visit"],
    "Gareth Jones": ["Give us a meter reading"],
    "Olu Adeyemi": ["Urgent A payment did not go through", "Urgent Make your next payment plan payment"],
    "Margaret Price": ["Pay your bill"],
    "Ceri Price": [],
}


@pytest.mark.parametrize("locale", ["en", "cy", "ar"])
@pytest.mark.parametrize("person", list(THINGS_TO_DO))
def test_each_person_sees_what_to_do_first_and_can_follow_it(
        page: Page, a11y, live_server: str, person: str, locale: str) -> None:
    set_language(page, live_server, locale)
    demo_sign_in(page, a11y, person)
    expect(page.locator("html")).to_have_attribute("lang", locale)
    titles = page.locator(".todo__title")
    expected = THINGS_TO_DO[person]
    expect(titles).to_have_count(len(expected))
    if locale == "en":
        assert [" ".join(t.split()) for t in titles.all_inner_texts()] == expected
    urgent = page.locator(".todo--urgent .tag--urgent")
    expect(urgent).to_have_count(sum(1 for title in expected if title.startswith("Urgent")))

    if not expected:  # Someone with no account of their own is told what they can do.
        expect(page.locator("main a[href='/help']")).to_be_visible()
        return
    page.locator(".todo").first.locator("a").first.click()
    page.wait_for_load_state("load")
    a11y.check(page)
    for section in ("/account/bills", "/account/usage", "/account/cases"):
        page.goto("/account")
        a11y.check(page)
        page.locator(f"nav.account-nav a[href='{section}']").click()
        arrive(page, section)
        expect(page.locator(f"nav.account-nav a[href='{section}']")).to_have_attribute("aria-current", "page")
        a11y.check(page)
    page.locator("nav.account-nav a[href='/account/bills']").click()
    arrive(page, "/account/bills")
    a11y.check(page)
    page.locator("main table a").first.click()
    page.wait_for_load_state("load")
    expect(page.locator("main h2").first).to_be_visible()
    a11y.check(page)


def test_paging_bills_with_htmx_keeps_the_address_and_moves_focus(page: Page, a11y) -> None:
    demo_sign_in(page, a11y, "Gareth Jones")
    # Personal data stays out of the browser's storage.
    expect(page.locator("body")).to_have_attribute("hx-history", "false")
    page.goto("/account/bills")
    a11y.check(page)
    first_page = page.locator("main table tbody tr").first.inner_text()
    page.locator(".pagination__next").click()
    page.wait_for_url("**/account/bills?year=&page=2")
    expect(page.locator("main h1")).to_be_focused()
    assert page.locator("main table tbody tr").first.inner_text() != first_page
    a11y.check(page)
    # The demo dates bills from today, so which years there are varies: choose the oldest.
    years = page.locator("#year option").evaluate_all("options => options.map(o => o.value)")
    oldest = min(year for year in years if year)
    page.select_option("#year", oldest)
    page.locator("form.filter button").click()
    page.wait_for_url(f"**/account/bills?year={oldest}")
    expect(page.locator("main h1")).to_be_focused()
    dates = page.locator("main table tbody tr td:nth-child(2)").all_inner_texts()
    assert dates and all(oldest in d for d in dates)
    a11y.check(page)


def test_filtering_and_paging_work_without_javascript(no_js_page: Page) -> None:
    from e2e.conftest import Accessibility

    page = no_js_page
    a11y = Accessibility()
    a11y.watch(page)
    demo_sign_in(page, a11y, "Gareth Jones")
    page.goto("/account/cases")
    a11y.check(page)
    expect(page.locator("main .card")).to_have_count(0)
    page.get_by_label("Closed").check()
    page.locator("form.filter button").click()
    page.wait_for_url("**/account/cases?show=closed")
    expect(page.locator("main .card")).to_have_count(1)
    a11y.check(page)
    page.goto("/account/bills")
    a11y.check(page)
    page.locator(".pagination__next").click()
    page.wait_for_url("**/account/bills?year=&page=2")
    a11y.check(page)
    a11y.verify()


def test_giving_a_reading_with_a_mistake_on_the_way(page: Page, a11y) -> None:
    demo_sign_in(page, a11y, "Sam Taylor")
    page.goto("/account/usage")
    a11y.check(page)
    page.locator("main a[href^='/account/usage/reading']").click()
    arrive(page, "/account/usage/reading")
    a11y.check(page)
    page.get_by_label("Your reading").fill("12")
    page.get_by_role("button", name="Send reading").click()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator(".error-summary")).to_contain_text("lower than your last reading")
    expect(page.get_by_label("Your reading")).to_have_value("12")
    a11y.check(page)
    last = page.locator("main p").filter(has_text="The last reading was").inner_text()
    value = int("".join(ch for ch in last.split("was", 1)[1].split("on")[0] if ch.isdigit()))
    page.get_by_label("Your reading").fill(str(value + 42))
    page.get_by_role("button", name="Send reading").click()
    arrive(page, "/account/usage")
    expect(page.get_by_role("alert")).to_contain_text("Thank you. We have your meter reading.")
    assert f"{value + 42:,}" in page.locator("main").inner_text()
    a11y.check(page)


def test_change_phone_number_by_keyboard_with_a_mistake_on_the_way(page: Page, a11y) -> None:
    """Gareth uses only a keyboard. His new number is wrong the first time; nothing he typed is lost."""
    demo_sign_in(page, a11y, "Gareth Jones")
    tab_to(page, "Your contact details")
    page.keyboard.press("Enter")
    arrive(page, "/account/details")
    a11y.check(page)
    tab_to(page, "Change phone number")
    page.keyboard.press("Enter")
    arrive(page, "/account/details/phone")
    a11y.check(page)
    tab_to(page, "What is your new phone number?")
    page.keyboard.press("Control+A")
    page.keyboard.type("0770 090")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_focused()
    a11y.check(page)
    page.keyboard.press("Tab")  # The error's link, then into the field it names.
    page.keyboard.press("Enter")
    field = page.get_by_label("What is your new phone number?")
    expect(field).to_be_focused()
    expect(field).to_have_value("0770 090")
    page.keyboard.press("End")
    page.keyboard.type("999")
    page.keyboard.press("Enter")
    arrive(page, "/account/details/confirm")
    a11y.check(page)
    code = code_sent_to(page, a11y, "0770 090999")
    page.go_back()
    page.wait_for_load_state("load")
    a11y.check(page)
    type_into(page, "Enter your code", code)
    page.keyboard.press("Enter")
    arrive(page, "/account/details")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("main")).to_contain_text("0770 090999")
    a11y.check(page)
