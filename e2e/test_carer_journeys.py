"""Carers who act for someone, end to end with more than one browser: the customer (Margaret Price)
invites someone using only the keyboard, the new carer says yes in their own browser and acts for
her inside what she chose, and she sees what they did, changes it and stops it; each change works on
the carer's very next request. Every page anyone loads is checked with axe, at 320 px.

The demo's own authority (Ceri helping Margaret, portal/demo/carer_stories.py) is used only to look:
other tests rely on it, so the changes and stops here are made to carers these tests invite."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from accessibility.journeys import set_language
from e2e.conftest import Accessibility
from e2e.steps import arrive, demo_sign_in

LOCALES = ["en", "cy"]  # Welsh words for carers are still being written: Welsh runs check structure.
CODE = re.compile(r"^[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}$")
PRIVATE_MESSAGE = "HR-PRVT47"  # Margaret keeps this one from anyone who helps her.

Person = tuple[Page, Accessibility]


@pytest.fixture
def another_browser(browser: Browser, browser_context_args: dict) -> Iterator[Callable[[str], Person]]:
    """Opens a browser for one more person, in a language, at 320 px like the first; its pages are
    checked with axe like the first's, and every page it loads must have been checked."""
    opened: list[tuple[object, Accessibility]] = []

    def open_for(locale: str, **options: object) -> Person:
        context = browser.new_context(**{**browser_context_args, **options})
        page = context.new_page()
        set_language(page, browser_context_args["base_url"], locale)
        checker = Accessibility()
        checker.watch(page)
        opened.append((context, checker))
        return page, checker

    yield open_for
    try:
        for _context, checker in opened:
            checker.verify()
    finally:
        for context, _checker in opened:
            context.close()


# Steps

def tab_until(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the focused element matches this CSS selector (words change with language)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
        seen.append(page.evaluate("() => document.activeElement.outerHTML.slice(0, 80)"))
    raise AssertionError(f"never reached {selector!r} with Tab; passed through {seen}")


def in_language(page: Page, locale: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", locale)


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def visit(page: Page, a11y: Accessibility, path: str, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (
        f"{path} answered {response and response.status}, not {status}")
    a11y.check(page)


def acting_banner(page: Page):
    return page.locator(".acting-banner[role=region]")


def expect_acting_for_margaret(page: Page, locale: str) -> None:
    banner = acting_banner(page)
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("Margaret Price")
    expect(banner.locator("form[action='/carers/stop-acting'] button")).to_contain_text("Margaret Price")
    expect(page).to_have_title(re.compile("Margaret Price"))
    if locale == "en":
        expect(banner).to_contain_text("You are acting for Margaret Price")
        expect(banner.get_by_role("button")).to_have_text("Stop acting for Margaret Price")
        expect(page).to_have_title(re.compile("acting for Margaret Price"))


def expect_refused(page: Page, locale: str) -> None:
    """The page a carer gets for something outside what they may do (with a 403)."""
    heading = page.locator("main h1")
    expect(heading).to_contain_text("Margaret Price")
    button = page.locator("main form[action='/carers/stop-acting'] button")
    expect(button).to_contain_text("Margaret Price")
    expect(page).to_have_title(re.compile("Margaret Price"))
    if locale == "en":
        expect(heading).to_have_text("You cannot do this for Margaret Price")
        expect(button).to_have_text("Stop acting for Margaret Price")


def act_for_margaret(page: Page, a11y: Accessibility, locale: str) -> None:
    """From the carer's list of people they help, choose Margaret."""
    visit(page, a11y, "/carers")
    helping = page.locator("main .card-list__item", has_text="Margaret Price")
    expect(helping).to_have_count(1)
    button = helping.locator("form[action='/carers/act'] button")
    if locale == "en":
        expect(button).to_have_text("Act for Margaret Price")
    button.click()
    arrive(page, "/account")
    a11y.check(page)
    in_language(page, locale)
    expect_acting_for_margaret(page, locale)
    expect(page.locator("main")).to_contain_text("NF-100990")  # Her account, not the carer's.


def invite_quickly(page: Page, a11y: Accessibility, name: str, email: str,
                   scopes: tuple[str, ...]) -> tuple[int, str]:
    """Margaret invites someone with the mouse; gives the new authority's id and the code."""
    visit(page, a11y, "/carers/invite")
    page.locator("input[name=carer_name]").fill(name)
    page.locator("input[name=carer_email]").fill(email)
    for scope in scopes:
        page.locator(f"input[name=scopes][value={scope}]").check()
    page.locator("input[name=until][value=stopped]").check()
    page.locator("main form[action='/carers/invite'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/carers/invited/\d+$"))
    a11y.check(page)
    return int(path_of(page).rsplit("/", 1)[1]), code_on(page)


def code_on(page: Page) -> str:
    """The code, shown once on the page after inviting."""
    code = page.locator("main .big-code").inner_text().strip()
    assert CODE.match(code), f"not a code: {code!r}"
    expect(page.locator(f"main a[href$='/carers/accept#code={code.replace('-', '')}']")).to_have_count(1)
    return code


def say_yes_as_someone_new(page: Page, a11y: Accessibility, locale: str, name: str) -> None:
    """On the confirm page, signed out: give a name, say yes, and leave the passkey for later."""
    arrive(page, "/carers/accept/confirm")
    a11y.check(page)
    in_language(page, locale)
    expect(page.locator("main h1")).to_contain_text("Margaret Price")
    name_field = page.locator("main input[name=name]")
    expect(name_field).to_have_value(name)  # The name Margaret gave, to correct if need be.
    name_field.fill(f"{name} (own name)")
    page.locator("main form[action='/carers/accept/confirm'] button[type=submit]").click()
    arrive(page, "/set-up/passkey")
    assert "next=/carers" in page.url, page.url
    a11y.check(page)
    in_language(page, locale)
    expect(page.locator("main")).to_contain_text(f"{name} (own name)")  # Signed in as themself.
    page.locator("main a[href='/carers']").click()  # "Not now, carry on"
    arrive(page, "/carers")
    a11y.check(page)


def margaret_opens_her_carer(page: Page, a11y: Accessibility, authority_id: int, name: str) -> None:
    visit(page, a11y, "/carers")
    page.locator(f"main a[href='/carers/{authority_id}']", has_text=name).click()
    arrive(page, f"/carers/{authority_id}")
    a11y.check(page)


# Journeys

@pytest.mark.parametrize("locale", LOCALES)
def test_a_customer_invites_and_a_new_carer_accepts(page: Page, a11y, another_browser, live_server: str,
                                                    locale: str) -> None:
    name = f"Tomos Price {uuid.uuid4().hex[:6]}"
    email = f"tomos-{uuid.uuid4().hex[:8]}@example.org"

    # Margaret, with the keyboard alone once signed in.
    set_language(page, live_server, locale)
    demo_sign_in(page, a11y, "Margaret Price")
    visit(page, a11y, "/carers")
    in_language(page, locale)
    tab_until(page, "main a[href='/carers/invite']")
    page.keyboard.press("Enter")
    arrive(page, "/carers/invite")
    a11y.check(page)
    tab_until(page, "input[name=carer_name]")
    page.keyboard.type(name)
    tab_until(page, "input[name=carer_email]")
    page.keyboard.type(email)
    tab_until(page, "input[name=until][value=stopped]")  # Nothing ticked yet: Tab lands on the first.
    page.keyboard.press("Space")
    expect(page.locator("input[name=until][value=stopped]")).to_be_checked()
    tab_until(page, "main form[action='/carers/invite'] button[type=submit]")
    page.keyboard.press("Enter")  # She forgot to choose what they can do.

    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("a")).to_have_count(1)
    expect(summary.locator("a")).to_have_attribute("href", "#scopes")
    if locale == "en":
        expect(page).to_have_title(re.compile(r"^Error:"))
        expect(summary).to_contain_text("Choose at least one thing they can do")
    expect(page.locator("input[name=carer_name]")).to_have_value(name)  # What she typed is kept.
    expect(page.locator("input[name=carer_email]")).to_have_value(email)
    expect(page.locator("input[name=until][value=stopped]")).to_be_checked()
    a11y.check(page)

    page.keyboard.press("Tab")  # The summary's link goes to the first choice.
    page.keyboard.press("Enter")
    expect(page.locator("input[name=scopes][value=account]")).to_be_focused()
    page.keyboard.press("Space")
    for scope in ("messages", "talk"):
        tab_until(page, f"input[name=scopes][value={scope}]")
        page.keyboard.press("Space")
    for scope, ticked in (("account", True), ("messages", True), ("talk", True), ("payments", False),
                          ("contact", False)):
        box = page.locator(f"input[name=scopes][value={scope}]")
        expect(box).to_be_checked() if ticked else expect(box).not_to_be_checked()
    tab_until(page, "main form[action='/carers/invite'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/carers/invited/\d+$"))
    a11y.check(page)
    in_language(page, locale)
    authority_id = int(path_of(page).rsplit("/", 1)[1])
    expect(page.locator("main")).to_contain_text(name)
    code = code_on(page)

    # The new carer, signed out in a browser of their own.
    carer, carer_a11y = another_browser(locale)
    visit(carer, carer_a11y, "/carers/accept")
    in_language(carer, locale)
    carer.locator("main input[name=code]").fill(code.lower())  # People type codes as they like.
    carer.locator("main form[action='/carers/accept'] button[type=submit]").click()
    say_yes_as_someone_new(carer, carer_a11y, locale, name)
    helping = carer.locator("main .card-list__item", has_text="Margaret Price")
    expect(helping).to_have_count(1)
    if locale == "en":
        expect(carer.locator("main")).to_contain_text("People you help")

    act_for_margaret(carer, carer_a11y, locale)
    visit(carer, carer_a11y, "/account/bills")
    expect_acting_for_margaret(carer, locale)

    # They stop acting from the banner, with the keyboard.
    tab_until(carer, ".acting-banner form[action='/carers/stop-acting'] button")
    carer.keyboard.press("Enter")
    arrive(carer, "/carers")
    carer_a11y.check(carer)
    expect(acting_banner(carer)).to_have_count(0)
    expect(carer).not_to_have_title(re.compile("Margaret Price"))
    if locale == "en":
        expect(carer.locator("main")).to_contain_text("You stopped acting for someone")
    visit(carer, carer_a11y, "/account")  # Their own dashboard again: they have no account.
    expect(carer.locator("main")).not_to_contain_text("NF-100990")

    # Margaret sees what they looked at.
    margaret_opens_her_carer(page, a11y, authority_id, name)
    page.locator(f"main a[href='/carers/{authority_id}/activity']").click()
    arrive(page, f"/carers/{authority_id}/activity")
    a11y.check(page)
    in_language(page, locale)
    rows = page.locator("main table tbody tr")
    expect(rows.first).to_be_visible()
    assert rows.count() >= 4, rows.all_inner_texts()  # Accepted, started, two pages, stopped.
    if locale == "en":
        expect(rows.filter(has_text="Bills")).to_have_count(1)
        expect(rows.filter(has_text="The account summary")).to_have_count(1)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_carer_acts_within_limits_and_the_customer_stops_it(
        page: Page, a11y, another_browser, live_server: str, locale: str) -> None:
    # Ceri acts for her mother, within what Margaret chose (the demo's authority: only looking).
    ceri, ceri_a11y = another_browser(locale)
    demo_sign_in(ceri, ceri_a11y, "Ceri Price")
    act_for_margaret(ceri, ceri_a11y, locale)
    visit(ceri, ceri_a11y, "/account/payments", status=403)  # Margaret did not give her payments.
    expect_refused(ceri, locale)
    visit(ceri, ceri_a11y, "/account/security", status=403)  # Nobody acting can touch passkeys.
    expect_refused(ceri, locale)
    visit(ceri, ceri_a11y, "/help/messages")
    expect_acting_for_margaret(ceri, locale)
    expect(ceri.locator("main")).not_to_contain_text(PRIVATE_MESSAGE)
    expect(ceri.locator(f"a[href*='{PRIVATE_MESSAGE}']")).to_have_count(0)
    visit(ceri, ceri_a11y, f"/help/messages/{PRIVATE_MESSAGE}", status=404)
    expect(ceri.locator("body")).not_to_contain_text("Please do not share this with my daughter")

    # From the page that refused her, she stops acting with the keyboard.
    visit(ceri, ceri_a11y, "/account/payments", status=403)
    tab_until(ceri, "main form[action='/carers/stop-acting'] button")
    ceri.keyboard.press("Enter")
    arrive(ceri, "/carers")
    ceri_a11y.check(ceri)
    expect(acting_banner(ceri)).to_have_count(0)

    # Margaret sees her private message herself.
    set_language(page, live_server, locale)
    demo_sign_in(page, a11y, "Margaret Price")
    visit(page, a11y, "/help/messages")
    expect(page.locator("main")).to_contain_text(PRIVATE_MESSAGE)

    # She invites someone else, who accepts from the link in the message and acts for her.
    name = f"Bethan Price {uuid.uuid4().hex[:6]}"
    authority_id, code = invite_quickly(page, a11y, name, f"bethan-{uuid.uuid4().hex[:8]}@example.org",
                                        ("account", "messages", "talk", "contact"))
    link = page.locator("main a[href*='/carers/accept#code=']").get_attribute("href")
    carer, carer_a11y = another_browser(locale)
    visit(carer, carer_a11y, urlsplit(link)._replace(scheme="", netloc="").geturl())
    # The code came after "#", which never reaches the server: the page fills it in, then takes it
    # out of the address bar.
    expect(carer.locator("main input[name=code]")).to_have_value(code.replace("-", ""))
    assert "code" not in carer.url, carer.url
    carer.locator("main form[action='/carers/accept'] button[type=submit]").click()
    say_yes_as_someone_new(carer, carer_a11y, locale, name)
    act_for_margaret(carer, carer_a11y, locale)
    visit(carer, carer_a11y, "/account/bills")
    expect_acting_for_margaret(carer, locale)
    visit(carer, carer_a11y, "/account/payments", status=403)
    expect_refused(carer, locale)
    visit(carer, carer_a11y, "/help/messages")
    expect(carer.locator("main")).not_to_contain_text(PRIVATE_MESSAGE)

    # Margaret takes away seeing the account: the carer's very next look at her bills is refused.
    margaret_opens_her_carer(page, a11y, authority_id, name)
    page.locator(f"main a[href='/carers/{authority_id}/change']").click()
    arrive(page, f"/carers/{authority_id}/change")
    a11y.check(page)
    account = page.locator("input[name=scopes][value=account]")
    expect(account).to_be_checked()
    expect(page.locator("input[name=scopes][value=payments]")).not_to_be_checked()
    if locale == "en":
        expect(page.get_by_label("See the account and give meter readings")).to_be_checked()
    account.uncheck()
    page.locator(f"main form[action='/carers/{authority_id}/change'] button[type=submit]").click()
    arrive(page, f"/carers/{authority_id}")
    a11y.check(page)
    if locale == "en":
        expect(page.locator("main")).to_contain_text("Your changes are saved")
        expect(page.locator("main")).not_to_contain_text("See the account and give meter readings")

    visit(carer, carer_a11y, "/account/bills", status=403)
    expect_refused(carer, locale)
    visit(carer, carer_a11y, "/help/messages")  # What she still allows still works.
    expect_acting_for_margaret(carer, locale)

    # Margaret stops their access: the carer's next page takes them back to their own list.
    margaret_opens_her_carer(page, a11y, authority_id, name)
    page.locator(f"main a[href='/carers/{authority_id}/stop']").click()
    arrive(page, f"/carers/{authority_id}/stop")
    a11y.check(page)
    page.locator(f"main form[action='/carers/{authority_id}/stop'] button[type=submit]").click()
    arrive(page, "/carers")
    a11y.check(page)
    if locale == "en":
        expect(page.locator("main")).to_contain_text("Their access has stopped")

    response = carer.goto("/help/messages")
    assert response is not None and response.status == 200
    arrive(carer, "/carers")
    carer_a11y.check(carer)
    in_language(carer, locale)
    expect(acting_banner(carer)).to_have_count(0)
    expect(carer).not_to_have_title(re.compile("Margaret Price"))
    expect(carer.locator("main form[action='/carers/act']")).to_have_count(0)
    expect(carer.locator("main .notification-banner")).to_have_count(1)
    if locale == "en":
        expect(carer.locator("main")).to_contain_text("You can no longer act for that person")
        expect(carer.get_by_role("button", name="Act for Margaret Price")).to_have_count(0)
    visit(carer, carer_a11y, "/account/bills")  # Their own again, with nothing of hers.
    expect(carer.locator("main")).not_to_contain_text("NF-100990")

    # The demo's authority is untouched: Ceri can still act for her mother.
    visit(ceri, ceri_a11y, "/carers")
    expect(ceri.locator("main form[action='/carers/act'] button")).to_have_count(1)



# Two things found while writing these: the refusing page still says who the carer acts for, and an
# ended access is explained even when a background request comes first.

def test_the_page_that_refuses_a_carer_still_says_who_they_act_for(another_browser) -> None:
    ceri, ceri_a11y = another_browser("en")
    demo_sign_in(ceri, ceri_a11y, "Ceri Price")
    act_for_margaret(ceri, ceri_a11y, "en")
    expect(ceri.locator("#updates-link")).to_have_count(0)  # Acting, nobody's updates are shown.
    visit(ceri, ceri_a11y, "/account/payments", status=403)
    expect_refused(ceri, "en")
    expect(ceri.locator("#updates-link")).to_have_count(0)
    expect_acting_for_margaret(ceri, "en")


def test_an_ended_access_is_explained_even_after_a_background_request(
        page: Page, a11y, another_browser) -> None:
    demo_sign_in(page, a11y, "Margaret Price")
    name = f"Owain Price {uuid.uuid4().hex[:6]}"
    authority_id, code = invite_quickly(page, a11y, name, f"owain-{uuid.uuid4().hex[:8]}@example.org",
                                        ("account", "messages"))
    carer, carer_a11y = another_browser("en", service_workers="block")
    visit(carer, carer_a11y, "/carers/accept")
    carer.locator("main input[name=code]").fill(code)
    carer.locator("main form[action='/carers/accept'] button[type=submit]").click()
    say_yes_as_someone_new(carer, carer_a11y, "en", name)
    act_for_margaret(carer, carer_a11y, "en")

    # The carer writes to us for Margaret, and stays on the conversation, which is live.
    visit(carer, carer_a11y, "/help/messages/new")
    carer.locator("main input[name=subject]").fill("Mum's bill")
    carer.locator("main textarea[name=message]").fill("Can she pay later?")
    carer.locator("main form[action='/help/messages/new'] button[type=submit]").click()
    carer.wait_for_url(re.compile(r"/help/messages/HR-[A-Z0-9]{6}$"))
    carer_a11y.check(carer)
    expect_acting_for_margaret(carer, "en")

    margaret_opens_her_carer(page, a11y, authority_id, name)
    page.locator(f"main a[href='/carers/{authority_id}/stop']").click()
    arrive(page, f"/carers/{authority_id}/stop")
    a11y.check(page)
    page.locator(f"main form[action='/carers/{authority_id}/stop'] button[type=submit]").click()
    arrive(page, "/carers")
    a11y.check(page)

    carer.wait_for_timeout(5_000)  # The open page's live stream ends and reconnects (retry: 3 s).
    carer.goto("/account/bills")  # Their next step.
    carer.wait_for_load_state("load")
    carer_a11y.check(carer)
    assert path_of(carer) == "/carers", f"went to {carer.url}, as themself, with no word why"
    expect(carer.locator("main")).to_contain_text("You can no longer act for that person")
