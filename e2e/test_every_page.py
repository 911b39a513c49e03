"""Every page and state, in English, Welsh and Arabic, at 320 px: zero axe violations, no sideways
scrolling, the right language and direction, and "Talk to a person" in the same place."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accessibility.browser import WIDE
from accessibility.inventory import LOCALES, PageState, all_states
from accessibility.journeys import open_state, set_language

STATES = all_states()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
def test_page_at_320px(page: Page, a11y, live_server: str, state: PageState, locale: str) -> None:
    set_language(page, live_server, locale)
    open_state(page, state, a11y.check)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", locale)
    expect(html).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
    expect(page.locator("header a[href='/help']")).to_be_visible()
    a11y.check(page)


@pytest.mark.parametrize("state", STATES, ids=[s.name for s in STATES])
def test_page_on_a_wide_screen(page: Page, a11y, state: PageState) -> None:
    page.set_viewport_size(WIDE)
    open_state(page, state, a11y.check)
    a11y.check(page)


def test_talk_to_a_person_sits_in_the_same_place_on_every_page(page: Page, a11y) -> None:
    places = set()
    for state in STATES:
        if state.signed_in or state.submit_empty:
            continue
        page.goto(state.path)
        a11y.check(page)
        box = page.locator("header a[href='/help']").bounding_box()
        places.add((round(box["x"]), round(box["y"])))
    assert len(places) == 1, f"the help link moves between pages: {places}"
