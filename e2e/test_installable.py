"""The portal installs as an app, shows the offline page when the device is offline (in the reader's
language), and signing out empties the service worker's caches."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, Route, expect

from accessibility.browser import NARROW, launch_options
from accessibility.inventory import LOCALES
from e2e.conftest import Accessibility
from e2e.steps import arrive, demo_sign_in
from portal import i18n

WORKER_READY = "() => navigator.serviceWorker.ready.then(registration => !!registration.active)"
# Every URL in every cache, as paths with their query ("/offline?lang=cy").
STORED = """() => caches.keys().then(names => Promise.all(names.map(name =>
  caches.open(name).then(cache => cache.keys()).then(requests => requests.map(request => {
    const url = new URL(request.url);
    return url.pathname + url.search;
  }))))).then(lists => lists.flat())"""
SENTINEL = "/account/sentinel"
PUT_SENTINEL = """path => caches.open("someone-elses-cache").then(cache =>
  cache.put(path, new Response("pretend this is personal")))"""


def public(path: str) -> bool:
    return urlsplit(path).path.startswith("/static/") or urlsplit(path).path in ("/theme.css", "/offline")


def wait_for_worker(page: Page) -> None:
    """Until the worker is active: it has stored the offline pages by then."""
    assert page.evaluate(WORKER_READY)


def wait_until_stored(page: Page, wanted: set[str]) -> list[str]:
    page.wait_for_function("""wanted => caches.keys().then(names => Promise.all(names.map(name =>
        caches.open(name).then(cache => cache.keys())))).then(lists => {
          const stored = lists.flat().map(request => {
            const url = new URL(request.url); return url.pathname + url.search; });
          return wanted.every(path => stored.includes(path));
        })""", arg=sorted(wanted), polling=200, timeout=10_000)
    return page.evaluate(STORED)


OFFLINE_PAGES = {f"/offline?lang={code}" for code in LOCALES}


@pytest.fixture
def installed_context(playwright: Playwright, live_server: str, tmp_path: Path) -> Iterator[BrowserContext]:
    """A browser with a profile of its own: Chromium never offers to install from a private
    (incognito-like) context, which is what Playwright's contexts are otherwise."""
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "profile", base_url=live_server, viewport=NARROW, **launch_options())
    yield context
    context.close()


def test_the_portal_is_installable(installed_context: BrowserContext) -> None:
    a11y = Accessibility()
    page = installed_context.pages[0] if installed_context.pages else installed_context.new_page()
    a11y.watch(page)
    page.goto("/")
    a11y.check(page)
    assert page.evaluate(WORKER_READY)
    cdp = installed_context.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert urlsplit(manifest["url"]).path == "/manifest.webmanifest"
    assert manifest["errors"] == []
    assert '"start_url": "/account"' in manifest["data"]
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert errors == [], errors
    a11y.verify()


@pytest.mark.parametrize("locale", LOCALES)
def test_offline_navigation_shows_the_offline_page(page: Page, a11y, locale: str) -> None:
    page.goto(f"/language/{locale}?next=/")
    arrive(page, "/")
    a11y.check(page)
    wait_for_worker(page)
    stored = wait_until_stored(page, OFFLINE_PAGES)
    assert all(public(path) for path in stored), stored

    page.context.set_offline(True)
    try:
        for wanted in ("/account", "/updates", "/help"):
            page.goto(wanted)
            assert urlsplit(page.url).path == wanted  # The address stays: "try again" goes back there.
            html = page.locator("html")
            expect(html).to_have_attribute("lang", locale)
            expect(html).to_have_attribute("dir", "rtl" if locale == "ar" else "ltr")
            with i18n.speaking(locale):
                heading = i18n.gettext("You are offline")
            expect(page.locator("h1")).to_have_text(heading)
            expect(page.locator("main a[href^='tel:']").first).to_be_visible()
            expect(page.locator("main")).to_contain_text("18001")
            # Our styles came from the worker's cache: the page is laid out, not bare HTML.
            assert page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position") \
                == "absolute"
            a11y.check(page)
    finally:
        page.context.set_offline(False)


def test_signing_out_empties_the_caches(page: Page, a11y) -> None:
    demo_sign_in(page, a11y, "Sam")
    wait_for_worker(page)
    wait_until_stored(page, OFFLINE_PAGES)
    page.evaluate(PUT_SENTINEL, SENTINEL)  # As if something personal had been stored.
    assert SENTINEL in page.evaluate(STORED)

    page.locator("form.sign-out button").click()
    arrive(page, "/signed-out")
    a11y.check(page)
    assert SENTINEL not in page.evaluate(STORED)
    assert "someone-elses-cache" not in page.evaluate("caches.keys()")
    # The new worker stores the public files again, and nothing else.
    wait_for_worker(page)
    stored = wait_until_stored(page, OFFLINE_PAGES)
    assert all(public(path) for path in stored), stored


def test_the_worker_empties_its_caches_itself_on_sign_out(page: Page, a11y) -> None:
    """For browsers that ignore Clear-Site-Data: the worker sees the sign-out and clears too."""

    def without_clear_site_data(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        headers = {name: value for name, value in response.headers.items()
                   if name.lower() != "clear-site-data"}
        route.fulfill(response=response, headers=headers)

    demo_sign_in(page, a11y, "Sam")
    wait_for_worker(page)
    wait_until_stored(page, OFFLINE_PAGES)
    page.evaluate(PUT_SENTINEL, SENTINEL)
    page.context.route("**/sign-out", without_clear_site_data)

    page.locator("form.sign-out button").click()
    arrive(page, "/signed-out")
    a11y.check(page)
    assert page.evaluate("!!navigator.serviceWorker.controller"), "the same worker is still here"
    assert "someone-elses-cache" not in page.evaluate("caches.keys()")
    stored = wait_until_stored(page, OFFLINE_PAGES)  # Stored again for the next time offline.
    assert SENTINEL not in stored
    assert all(public(path) for path in stored), stored
