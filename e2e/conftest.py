"""Browser tests against a live portal in demo mode, in Debian's Chromium.

Every document a test loads must be checked with axe (`a11y.check(page)`) before the test ends, and
no page may break the Content Security Policy; the `a11y` fixture fails the test otherwise."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

from accessibility.axe import describe, violations
from accessibility.browser import LAUNCH_ARGS, NARROW, launch_options
from accessibility.checks import horizontal_overflow

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Migrating and seeding a demo takes a few seconds; with every test worker starting one at once on a
# busy machine, much longer. A portal that never starts still fails, after this.
STARTUP_SECONDS = 90

# Open every day and hour, so the chat and callback journeys do not depend on when tests run.
ALWAYS_OPEN = {"PORTAL_HELP__HOURS": '["mon-sun 00:00-23:59"]', "PORTAL_HELP__EXTRA_CLOSED_DAYS": "[]",
               "PORTAL_HELP__BANK_HOLIDAYS": ""}


@contextmanager
def running(command: list[str], port: int, env: dict[str, str], log: Path) -> Iterator[str]:
    """Run `python -m portal.cli <command>` on `port` until the block ends; yields its address."""
    base_url = f"http://localhost:{port}"  # localhost, not 127.0.0.1: WebAuthn needs it.
    env = {**os.environ, "PORTAL_BASE_URL": base_url, "PORTAL_ENV": "test", **ALWAYS_OPEN, **env}
    with log.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "portal.cli", *command, "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/healthz", timeout=1):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"portal did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`portal demo` on a free port: a fresh demo database, served as people would use it."""
    database = tmp_path_factory.mktemp("db") / "e2e.db"  # `portal demo` makes it afresh.
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running(["demo", "--database-file", str(database)], free_port(), {}, log) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, **launch_options(), "args": LAUNCH_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict, live_server: str) -> dict:
    return {**browser_context_args, "base_url": live_server, "viewport": NARROW}


class Accessibility:
    """Runs axe on pages and remembers which documents were checked."""

    def __init__(self) -> None:
        self.loaded: list[str] = []
        self.checked: set[str] = set()
        self.csp_errors: list[str] = []

    def watch(self, page: Page) -> None:
        page.on("load", lambda p: self.loaded.append(p.url))
        page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.csp_errors.append(message.text)

    def check(self, page: Page, *, reflow: bool = True) -> None:
        page.wait_for_load_state("load")
        found = violations(page)
        assert not found, f"axe found problems on {page.url}:\n{describe(found)}"
        if reflow and page.viewport_size and page.viewport_size["width"] <= 320:
            assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways at 320 px"
        self.checked.add(page.url)

    def verify(self) -> None:
        unchecked = [url for url in self.loaded if url not in self.checked]
        assert not unchecked, f"pages loaded but never checked with axe: {unchecked}"
        assert not self.csp_errors, f"Content Security Policy violations: {self.csp_errors}"


@pytest.fixture
def a11y(page: Page) -> Iterator[Accessibility]:
    tracker = Accessibility()
    tracker.watch(page)
    yield tracker
    tracker.verify()


@pytest.fixture
def no_js_page(browser: Browser, browser_context_args: dict) -> Iterator[Page]:
    """A page as a browser without JavaScript sees it: none of our scripts load.

    All our scripts are files (the CSP allows no inline ones), so refusing them is the same as
    switching JavaScript off, while axe can still be evaluated through DevTools."""
    context: BrowserContext = browser.new_context(**browser_context_args)
    context.route("**/*.js*", lambda route: route.abort())
    context.route("**/*.js?*", lambda route: route.abort())
    page = context.new_page()
    yield page
    assert page.evaluate("() => typeof window.htmx") == "undefined", "scripts were not blocked"
    context.close()


@pytest.fixture
def desk_browser(browser: Browser, browser_context_args: dict) -> Iterator[tuple[Page, Accessibility]]:
    """A second browser for staff (an adviser, operations), on a desk-sized screen, checked with axe
    like the customer's."""
    context = browser.new_context(**{**browser_context_args, "viewport": {"width": 1280, "height": 900}})
    page = context.new_page()
    checker = Accessibility()
    checker.watch(page)
    yield page, checker
    checker.verify()
    context.close()
