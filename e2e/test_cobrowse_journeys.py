"""Sharing a screen with an adviser, end to end in two browsers: Sam (a phone, 320 px, keyboard alone)
gets a code and says yes; Dewi (a desk) enters it and watches Sam's pages change and move, sees which
field Sam is in, and points at a heading, which Sam hears and reaches with F2. Sam stops from the banner
and Dewi's view ends at once. A used code and a code that ran out are refused.

The canary test: what Sam types into masked fields (a message, a security code) and the words of a
message already on the page never appear in anything Sam's browser sends to the portal for the adviser,
nor in anything the adviser's browser receives, while a field that is not masked does. Every page of
both people is checked with axe, in English, Welsh and Arabic."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, CDPSession, FrameLocator, Page, expect

from accessibility.journeys import set_language
from e2e.conftest import Accessibility, free_port, running
from e2e.steps import arrive

LOCALES = ["en", "cy", "ar"]
TYPED_MESSAGE = "CANARY-MESSAGE-7731"
TYPED_CODE = "CANARY-CODE-8842"
SHOWN_MESSAGE = "How do I send you the photo of my meter?"  # Sam's own message, HR-DEMOM1 (demo).
NOT_MASKED = "Visible subject 4417"
CODE = re.compile(r"^\d{3} \d{3}$")

Person = tuple[Page, Accessibility]


def tab_until(page: Page, selector: str, limit: int = 80) -> int:
    """Press Tab until the focused element matches the selector; gives how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"never reached {selector!r} with Tab")


def press_on(page: Page, selector: str) -> None:
    tab_until(page, selector)
    page.keyboard.press("Enter")


def visit(page: Page, a11y: Accessibility, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path} answered {response and response.status}"
    a11y.check(page)


def sign_in_by_keyboard(page: Page, a11y: Accessibility, name: str) -> None:
    """Choose a demo person with the arrow keys and sign in, with no mouse and in any language."""
    visit(page, a11y, "/demo")
    tab_until(page, "input[name=persona]")
    for _ in range(12):
        if name in page.evaluate("() => document.activeElement.labels[0].innerText"):
            break
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    press_on(page, "main form button[type=submit]")
    arrive(page, "/account")
    a11y.check(page)


def adviser_signs_in(page: Page, a11y: Accessibility) -> None:
    visit(page, a11y, "/demo")
    page.get_by_label("Dewi Morgan").check()
    page.locator("main form button[type=submit]").click()
    arrive(page, "/adviser")
    a11y.check(page)


def enter_code(page: Page, a11y: Accessibility, code: str, *, works: bool = True) -> None:
    visit(page, a11y, "/adviser/share-screen")
    page.locator("input[name=code]").fill(code)
    page.locator("main form button[type=submit]").click()
    if works:
        page.wait_for_url(re.compile(r"/adviser/share-screen/\d+$"))
    else:
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator(".error-summary a[href='#code']")).to_have_count(1)
        expect(page.locator("input[name=code]")).to_have_value(code.replace(" ", ""))
    a11y.check(page)


def get_code(page: Page, a11y: Accessibility) -> str:
    """The customer asks for a code from Talk to a person, by keyboard."""
    visit(page, a11y, "/help")
    press_on(page, "main a[href='/help/share-screen']")
    arrive(page, "/help/share-screen")
    a11y.check(page)
    expect(page.locator("main .share-preview")).to_be_visible()  # What the adviser will see, first.
    press_on(page, "main form[action='/help/share-screen'] button")
    expect(page.locator(".share-code")).to_be_visible()
    a11y.check(page)
    code = page.locator(".share-code [aria-hidden=true]").inner_text()
    assert CODE.match(code), code
    return code


def view_of(adviser: Page) -> FrameLocator:
    return adviser.frame_locator(".screen-view iframe")


def expect_same_page(customer: Page, adviser: Page) -> None:
    """The adviser's view shows the page the customer is on (its heading), live."""
    heading = customer.locator("main h1").inner_text()
    expect(view_of(adviser).locator("main h1")).to_have_text(heading, timeout=10_000)


def listen_to_adviser_stream(adviser: Page) -> list[str]:
    """Every server-sent event the adviser's browser receives, read through the DevTools protocol."""
    received: list[str] = []
    session: CDPSession = adviser.context.new_cdp_session(adviser)
    session.on("Network.eventSourceMessageReceived", lambda event: received.append(event["data"]))
    session.send("Network.enable")
    return received


@pytest.mark.parametrize("locale", LOCALES)
def test_a_customer_shares_their_screen_and_nothing_masked_leaves_their_browser(
        page: Page, a11y: Accessibility, desk_browser: Person, browser_context_args: dict,
        locale: str) -> None:
    desk, desk_a11y = desk_browser
    for browser_page in (page, desk):
        set_language(browser_page, browser_context_args["base_url"], locale)
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.post_data or "")
            if urlsplit(request.url).path == "/help/share-screen/frames" else None)
    received = listen_to_adviser_stream(desk)

    sign_in_by_keyboard(page, a11y, "Sam Taylor")
    adviser_signs_in(desk, desk_a11y)
    code = get_code(page, a11y)
    enter_code(desk, desk_a11y, code)

    # Sam is asked on the page he is on, without reloading or losing his place, then says yes.
    allow = page.locator("main form[action='/help/share-screen/allow'] button")
    expect(allow).to_be_visible(timeout=10_000)
    expect(page.locator("#share-state")).to_contain_text("Dewi")
    a11y.check(page)
    press_on(page, "main form[action='/help/share-screen/allow'] button")
    expect(page.locator(".share-banner [data-share-stop]")).to_be_visible()
    a11y.check(page)
    if locale == "en":
        expect(page.locator(".share-banner")).to_contain_text("An adviser can see this page")

    # Dewi sees the page Sam is on, then follows him to the next one.
    expect_same_page(page, desk)
    desk_a11y.check(desk)
    visit(page, a11y, "/help/messages/new")
    sent_title = page.locator("main h1").inner_text()
    expect_same_page(page, desk)
    tab_until(page, "input[name=subject]")
    page.keyboard.type(NOT_MASKED)
    expect(view_of(desk).locator("input[name=subject]")).to_have_value(NOT_MASKED, timeout=10_000)
    expect(view_of(desk).locator("input[name=subject].cobrowse-focused")).to_have_count(1)  # Where Sam is.
    tab_until(page, "textarea[name=message]")
    page.keyboard.type(TYPED_MESSAGE)
    # The message box is a block of the same size in Dewi's view.
    block = view_of(desk).locator("textarea.rr-block")
    expect(block).to_have_count(1)
    expect(view_of(desk).locator("textarea.rr-block.cobrowse-focused")).to_have_count(1)  # Sam is in it.
    own = page.locator("textarea[name=message]").bounding_box()
    seen = block.bounding_box()
    assert own and seen and abs(own["width"] - seen["width"]) < 2 and abs(own["height"] - seen["height"]) < 2

    # A security code Sam types, and the words of a message already on a page, stay with Sam too.
    visit(page, a11y, "/account/details/email")
    tab_until(page, "input[name=email]")
    page.keyboard.type("sam.new@example.org")
    page.keyboard.press("Enter")
    arrive(page, "/account/details/confirm")
    a11y.check(page)
    tab_until(page, "input[autocomplete=one-time-code]")
    page.keyboard.type(TYPED_CODE)
    expect(view_of(desk).locator("main input.input.rr-block")).to_have_count(1, timeout=10_000)
    visit(page, a11y, "/help/messages/HR-DEMOM1")
    expect_same_page(page, desk)
    expect(view_of(desk).locator("main .card p.rr-block").first).to_be_visible()

    # Dewi points at the heading: Sam hears it politely by name, and F2 takes him there.
    view_of(desk).locator("main h1").click()
    announce = page.locator(".share-banner [data-share-announce]")
    expect(announce).to_contain_text(page.locator("main h1").inner_text(), timeout=10_000)
    expect(announce).to_have_attribute("role", "status")
    expect(page.locator("main h1.share-pointed")).to_have_count(1)
    page.keyboard.press("F2")
    assert page.evaluate("() => document.activeElement === document.querySelector('main h1')")
    desk_a11y.check(desk)

    # Nothing masked was ever sent, or received by the adviser; what is not masked was.
    frames, stream = "\n".join(sent), "\n".join(received)
    assert NOT_MASKED in frames and NOT_MASKED in stream
    for secret in (TYPED_MESSAGE, TYPED_CODE, SHOWN_MESSAGE):
        assert secret not in frames, f"{secret} left the customer's browser"
        assert secret not in stream, f"{secret} reached the adviser"
        assert secret not in view_of(desk).locator("html").inner_html()

    # On a fresh page, "Stop sharing" comes straight after the skip link, and ends Dewi's view at once.
    visit(page, a11y, "/account")
    presses = tab_until(page, ".share-banner [data-share-stop] button[type=submit]")
    assert presses == 2, f"Stop sharing took {presses} presses of Tab"
    page.keyboard.press("Enter")
    arrive(page, "/account")
    expect(page.locator(".share-banner")).to_have_count(0)
    a11y.check(page)
    expect(desk.locator(".screen-view iframe")).to_have_count(0, timeout=10_000)
    expect(desk.locator("#screen-status a[href='/adviser/share-screen']")).to_be_visible()
    if locale == "en":
        expect(desk.locator("#screen-status")).to_contain_text("The customer stopped sharing.")
    desk_a11y.check(desk)

    # The summary is the newest of Sam's messages: who looked, and at which pages.
    visit(page, a11y, "/help/messages")
    press_on(page, "main a[href^='/help/messages/HR-']")
    page.wait_for_url(re.compile(r"/help/messages/HR-"))
    a11y.check(page)
    expect(page.locator("main")).to_contain_text("Dewi")
    expect(page.locator("main")).to_contain_text(sent_title)

    # The code worked once.
    enter_code(desk, desk_a11y, code, works=False)


def test_a_code_that_ran_out_is_refused(browser: Browser, browser_context_args: dict,
                                        tmp_path: Path) -> None:
    """A portal of its own whose codes last three seconds."""
    env = {"PORTAL_SCREEN_SHARE_CODE_MINUTES": "0.05"}
    with running(["demo", "--database-file", str(tmp_path / "short.db")], free_port(), env,
                 tmp_path / "server.log") as base_url:
        people = []
        for viewport in ({"width": 320, "height": 800}, {"width": 1280, "height": 900}):
            options = {**browser_context_args, "base_url": base_url, "viewport": viewport}
            context = browser.new_context(**options)
            checker = Accessibility()
            page = context.new_page()
            checker.watch(page)
            people.append((page, checker))
        (customer, customer_a11y), (desk, desk_a11y) = people
        sign_in_by_keyboard(customer, customer_a11y, "Sam Taylor")
        adviser_signs_in(desk, desk_a11y)
        code = get_code(customer, customer_a11y)
        customer.wait_for_timeout(3500)
        enter_code(desk, desk_a11y, code, works=False)
        visit(customer, customer_a11y, "/help/share-screen")
        expect(customer.locator("main form[action='/help/share-screen'] button")).to_be_visible()
        for page, checker in people:
            checker.verify()
            page.context.close()
