"""Talking to a person, end to end with two browsers: a customer using only the keyboard, and an
adviser in the console answering them. Both sides are checked with axe on every page they load."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Accessibility
from e2e.steps import arrive, press, sign_in_by_keyboard, tab_to

REFERENCE = re.compile(r"HR-[A-Z0-9]{6}")


@pytest.fixture
def adviser(desk_browser: tuple[Page, Accessibility]) -> tuple[Page, Accessibility]:
    return desk_browser


def sign_in(page: Page, a11y: Accessibility, person: str, lands_on: str) -> None:
    page.goto("/demo")
    a11y.check(page)
    page.get_by_label(person).check()
    page.locator("main form button[type=submit]").click()
    arrive(page, lands_on)
    a11y.check(page)


def claim(adviser_page: Page, a11y: Accessibility, reference: str) -> None:
    adviser_page.goto("/adviser")
    a11y.check(adviser_page)
    row = adviser_page.locator("main li, main tr").filter(has_text=reference).first
    expect(row).to_be_visible()
    row.get_by_role("button", name=re.compile("Claim")).click()
    arrive(adviser_page, f"/adviser/requests/{reference}")
    a11y.check(adviser_page)


def test_live_chat_with_a_person(page: Page, a11y, adviser) -> None:
    adviser_page, adviser_a11y = adviser
    sign_in(adviser_page, adviser_a11y, "Dewi Morgan", "/adviser")

    sign_in_by_keyboard(page, a11y, "Sam Taylor")
    page.goto("/account/bills")
    a11y.check(page)
    press(page, "Talk to a person")  # From the bills page: that page goes with Sam.
    arrive(page, "/help")
    a11y.check(page)
    press(page, "Start a chat")
    arrive(page, "/help/chat")
    a11y.check(page)
    tab_to(page, "What do you need help with?")
    page.keyboard.type("Why is my bill late?")
    press(page, "Start chat")
    page.wait_for_url(re.compile(r"/help/chat/HR-"))
    a11y.check(page)
    reference = REFERENCE.search(page.url).group(0)
    expect(page.locator("#chat-status")).to_contain_text("in the queue")

    claim(adviser_page, adviser_a11y, reference)
    panel = adviser_page.locator("main")
    expect(panel).to_contain_text("Why is my bill late?")
    expect(panel).to_contain_text("/account/bills")  # What Sam was doing before asking.

    # Sam is typing a message when Dewi joins and answers: nothing moves Sam's focus.
    tab_to(page, "Your message")
    expect(page.locator("#chat-status")).to_contain_text("Dewi", timeout=10_000)
    adviser_page.get_by_label("Your reply").fill("Hello Sam. Let me look at your bill.")
    adviser_page.get_by_role("button", name="Send reply").click()
    live = page.locator("[aria-live=polite] #conversation-messages")
    expect(live).to_contain_text("Let me look at your bill.", timeout=10_000)
    expect(page.get_by_label("Your message")).to_be_focused()
    a11y.check(page)

    page.keyboard.type("Thank you.")
    press(page, "Send")
    expect(adviser_page.locator("#conversation")).to_contain_text("Thank you.", timeout=10_000)
    adviser_a11y.check(adviser_page)

    adviser_page.get_by_label("Note").fill("Explained the late bill.")
    adviser_page.get_by_role("button", name="Close").click()
    arrive(adviser_page, "/adviser")
    adviser_a11y.check(adviser_page)
    expect(page.locator("main")).to_contain_text("The chat has ended", timeout=10_000)
    a11y.check(page)
    page.goto(f"/help/messages/{reference}")  # The transcript is kept with Sam's messages.
    a11y.check(page)
    expect(page.locator("main")).to_contain_text("Let me look at your bill.")


def test_secure_message_and_a_reply(page: Page, a11y, adviser) -> None:
    adviser_page, adviser_a11y = adviser
    sign_in_by_keyboard(page, a11y, "Gareth Jones")
    press(page, "Talk to a person")
    arrive(page, "/help")
    a11y.check(page)
    press(page, "Send a message")
    arrive(page, "/help/messages")
    a11y.check(page)
    press(page, "Send us a message")
    arrive(page, "/help/messages/new")
    a11y.check(page)
    press(page, "Send message")  # Empty: both errors, and nothing is sent.
    expect(page.locator(".error-summary")).to_be_focused()
    a11y.check(page)
    tab_to(page, "Subject")
    page.keyboard.type("My water meter")
    tab_to(page, "Your message")
    page.keyboard.type("Where is my water meter?")
    press(page, "Send message")
    page.wait_for_url(re.compile(r"/help/messages/HR-"))
    a11y.check(page)
    reference = REFERENCE.search(page.url).group(0)

    sign_in(adviser_page, adviser_a11y, "Dewi Morgan", "/adviser")
    claim(adviser_page, adviser_a11y, reference)
    adviser_page.get_by_label("Your reply").fill("It is under the path by your front gate.")
    adviser_page.get_by_role("button", name="Send reply").click()
    expect(page.locator("main [aria-live=polite]")).to_contain_text("under the path", timeout=10_000)
    a11y.check(page)
    page.goto("/account")  # The reply is in the account's updates too, without its words.
    a11y.check(page)
    expect(page.locator("main")).to_contain_text(reference)  # "You have a reply", in his own language.


def test_callback_goes_to_the_team_that_helps_and_the_outcome_comes_back(page: Page, a11y, adviser) -> None:
    adviser_page, adviser_a11y = adviser
    sign_in_by_keyboard(page, a11y, "Amina Haddad")  # Her needs go to the specialist team.
    press(page, "Talk to a person")
    arrive(page, "/help")
    a11y.check(page)
    press(page, "Ask for a call back")
    arrive(page, "/help/callback")
    a11y.check(page)
    expect(page.locator("main")).to_contain_text("We will tell the adviser what helps you")
    for _ in range(30):  # Tab to the first free time of the day shown, and choose it.
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.name") == "slot":
            break
    page.keyboard.press("Space")
    expect(page.locator("input[name=slot]").first).to_be_checked()
    tab_to(page, "What is the call about?")
    page.keyboard.type("My complaint")
    press(page, "Ask us to call")
    page.wait_for_url(re.compile(r"/help/callback/HR-"))
    a11y.check(page)
    reference = REFERENCE.search(page.url).group(0)
    expect(page.locator("main")).to_contain_text(reference)

    sign_in(adviser_page, adviser_a11y, "Hana Ali", "/adviser")
    claim(adviser_page, adviser_a11y, reference)
    expect(adviser_page.locator("main")).to_contain_text("Large print")
    adviser_page.get_by_label("Answered").check()
    adviser_page.get_by_label("Note").fill("Talked through the complaint.")
    adviser_page.get_by_role("button", name="Save and close").click()
    arrive(adviser_page, "/adviser")
    adviser_a11y.check(adviser_page)

    page.reload()
    a11y.check(page)
    expect(page.locator("main")).to_contain_text("We called you")
    expect(page.locator("main")).not_to_contain_text("Talked through the complaint.")  # Staff notes stay.
