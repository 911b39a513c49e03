"""Steps shared by the audit and the browser tests: sign in as a demo person, prepare a state."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from accessibility.inventory import PageState


def sign_in_as(page: Page, persona_name: str = "Sam Taylor") -> None:
    page.goto("/demo")
    page.get_by_label(persona_name).check()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account")


def sign_in_quietly(page: Page, persona: str = "sam") -> None:
    """Sign in without loading pages in the tab, for tests about the page that comes after."""
    form = page.request.get("/demo").text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token, "no sign-in form at /demo: is demo mode on?"
    response = page.request.post("/demo", form={"persona": persona, "csrf_token": token.group(1)},
                                 headers={"Origin": _origin(page)})
    assert response.ok, f"sign-in failed: {response.status}"


def _origin(page: Page) -> str:
    """The site's origin, from the context's base URL (the page may not have loaded anything)."""
    response = page.request.get("/healthz")
    parts = urlsplit(response.url)
    return f"{parts.scheme}://{parts.netloc}"


def set_language(page: Page, base_url: str, locale: str) -> None:
    page.context.add_cookies([{"name": "portal_lang", "value": locale, "url": base_url}])


def open_state(page: Page, state: PageState,
               check_before_leaving: Callable[[Page], None] | None = None) -> None:
    """Bring the page into this state. `check_before_leaving` sees any page passed on the way."""
    if state.signed_in:
        sign_in_quietly(page, state.persona)
    response = page.goto(state.path)
    expected = 200 if state.submit_empty else state.status  # The errors come from the POST.
    assert response is not None and response.status == expected, (
        f"{state.path} answered {response and response.status}, not {expected}")
    if state.send_first:
        if check_before_leaving:
            check_before_leaving(page)
        for name, value in state.send_first:
            field = page.locator(f"main form [name='{name}']").first
            if field.get_attribute("type") != "hidden":  # A hidden one already holds its value.
                field.fill(value)
        form = f"main form[action='{state.form_action}']" if state.form_action else "main form"
        page.locator(f"{form} button[type=submit]").first.click()
        page.wait_for_url(lambda url: urlsplit(url).path == state.lands_on)
        page.wait_for_load_state("load")
    if state.clear_field:
        page.locator(f"main form [name='{state.clear_field}']").fill("")
    if state.submit_empty:
        if check_before_leaving:
            check_before_leaving(page)
        page.locator("main form button[type=submit]").first.click()
        expect(page.locator(".error-summary")).to_be_visible()
