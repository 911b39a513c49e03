"""Choosing a language by keyboard; it is remembered, and Arabic mirrors the layout."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from accessibility.browser import WIDE
from e2e.steps import tab_to


def test_choose_welsh_then_arabic(page: Page, a11y) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/help")
    a11y.check(page)
    english_heading = page.locator("h1").inner_text()
    talk_ltr = page.locator("header a[href='/help']").bounding_box()

    tab_to(page, "Cymraeg")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    expect(page).to_have_url(page.url.split("?")[0])  # Back on the same page.
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    assert page.locator("h1").inner_text() != english_heading
    a11y.check(page)

    page.goto("/privacy")  # Remembered on the next page.
    expect(page.locator("html")).to_have_attribute("lang", "cy")
    a11y.check(page)

    page.locator("a[hreflang='ar']").click()
    page.wait_for_load_state("load")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    a11y.check(page)
    talk_rtl = page.locator("header a[href='/help']").bounding_box()
    assert talk_ltr["x"] > WIDE["width"] / 2 > talk_rtl["x"], "the header mirrors in Arabic"
