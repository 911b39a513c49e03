"""Passkeys in Chromium with its virtual authenticator (DevTools WebAuthn domain), keyboard only."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.steps import arrive, code_sent_to, demo_sign_in, tab_to, type_into

VIRTUAL_PLATFORM_AUTHENTICATOR = {
    "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
    "hasUserVerification": True, "isUserVerified": True, "automaticPresenceSimulation": True}


@pytest.fixture
def authenticator(page: Page) -> Iterator[dict]:
    """One virtual platform authenticator per test, added before any ceremony starts."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_PLATFORM_AUTHENTICATOR})
    device = {"cdp": cdp, "id": added["authenticatorId"]}
    yield device
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device["id"]})


def switch_device(device: dict) -> None:
    """As if the person picked up another phone: a new authenticator replaces the old one."""
    device["cdp"].send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": device["id"]})
    device["id"] = device["cdp"].send("WebAuthn.addVirtualAuthenticator",
                                      {"options": VIRTUAL_PLATFORM_AUTHENTICATOR})["authenticatorId"]


def presence(authenticator: dict, enabled: bool) -> None:
    """The virtual authenticator answers autofill (conditional) requests at once when presence is
    simulated, which no real person's browser does; tests switch it on when the person would act."""
    authenticator["cdp"].send("WebAuthn.setAutomaticPresenceSimulation",
                              {"authenticatorId": authenticator["id"], "enabled": enabled})


def credentials(authenticator: dict) -> list[dict]:
    return authenticator["cdp"].send("WebAuthn.getCredentials",
                                     {"authenticatorId": authenticator["id"]})["credentials"]


def test_set_up_with_a_passkey_then_sign_out_and_back_in(page: Page, a11y, authenticator) -> None:
    page.goto("/set-up")
    a11y.check(page)
    type_into(page, "Customer reference", "NF-200100")
    type_into(page, "Postcode", "NF4 1GH")
    tab_to(page, "Continue")
    page.keyboard.press("Enter")
    arrive(page, "/set-up/code")
    a11y.check(page)
    code = code_sent_to(page, a11y, "priya@example.org")

    page.go_back()
    arrive(page, "/set-up/code")
    a11y.check(page)
    type_into(page, "Enter your code", code)
    page.keyboard.press("Enter")
    arrive(page, "/set-up/passkey")
    a11y.check(page)

    tab_to(page, "Create a passkey")
    page.keyboard.press("Enter")
    arrive(page, "/account")
    a11y.check(page)
    assert len(credentials(authenticator)) == 1

    tab_to(page, "Sign out")
    page.keyboard.press("Enter")
    arrive(page, "/signed-out")
    a11y.check(page)

    presence(authenticator, False)
    page.goto("/sign-in?next=/account/security")
    a11y.check(page)
    tab_to(page, "Sign in with a passkey")
    # The person acts now. (The virtual authenticator may then also answer the waiting autofill
    # request, a race no real browser has; either way they are signed in with their passkey.)
    presence(authenticator, True)
    page.keyboard.press("Enter")
    arrive(page, "/account/security")
    expect(page.locator("h1")).to_have_text("How you sign in")
    a11y.check(page)


def test_add_a_second_passkey_and_remove_one(page: Page, a11y, authenticator) -> None:
    demo_sign_in(page, a11y, "Gareth Jones")

    page.goto("/account/security")
    a11y.check(page)
    tab_to(page, "Add a passkey")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Passkey 1")).to_be_visible()
    expect(page.locator(".notification-banner")).to_contain_text("Your passkey was added")
    a11y.check(page)

    # The same device again is refused, with words that say why.
    tab_to(page, "Add a passkey")
    page.keyboard.press("Enter")
    expect(page.locator("[data-passkey-status]")).to_contain_text(
        "This device already has a passkey for your account")
    a11y.check(page)

    expect(page.get_by_role("button", name="Add a passkey")).to_be_focused()  # Focus stays put.
    switch_device(authenticator)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Passkey 2")).to_be_visible()
    a11y.check(page)
    tab_to(page, "Remove Passkey 1")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/passkeys/\d+/remove$"))
    a11y.check(page)
    tab_to(page, "Remove passkey")
    page.keyboard.press("Enter")
    arrive(page, "/account/security")
    expect(page.locator(".notification-banner")).to_contain_text("Your passkey was removed")
    expect(page.get_by_role("heading", name="Passkey 1")).to_have_count(0)
    a11y.check(page)


def test_sign_in_with_a_code_when_there_is_no_passkey(page: Page, a11y) -> None:
    page.goto("/sign-in")
    a11y.check(page)
    type_into(page, "Email address or customer reference", "amina@example.org")
    tab_to(page, "Send me a code")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign-in/code**")
    a11y.check(page)
    code = code_sent_to(page, a11y, "amina@example.org")
    page.go_back()
    page.wait_for_url("**/sign-in/code**")
    a11y.check(page)
    type_into(page, "Enter your code", code)
    page.keyboard.press("Enter")
    arrive(page, "/account")
    expect(page.locator("main")).to_contain_text("Amina Haddad")
    a11y.check(page)


def test_idle_warning_lets_people_stay_signed_in(page: Page, a11y) -> None:
    page.clock.install()
    demo_sign_in(page, a11y, "Sam Taylor")
    dialog = page.locator("dialog[data-session-warning]")
    expect(dialog).to_be_hidden()
    page.clock.run_for("28:01")
    expect(dialog).to_be_visible()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    a11y.check(page)
    with page.expect_response("**/session/extend") as extended:
        page.keyboard.press("Enter")
    assert extended.value.status == 204
    expect(dialog).to_be_hidden()
    page.clock.run_for("27:00")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/account$"))


def test_when_time_runs_out_sign_in_brings_people_back(page: Page, a11y) -> None:
    page.clock.install()
    demo_sign_in(page, a11y, "Sam Taylor")
    page.goto("/account/security?from=timeout")
    a11y.check(page)
    page.clock.run_for("30:01")
    arrive(page, "/sign-in")
    assert "next=%2Faccount%2Fsecurity%3Ffrom%3Dtimeout" in page.url
    a11y.check(page)


def test_passkey_offered_in_autofill_signs_in(page: Page, a11y, authenticator) -> None:
    demo_sign_in(page, a11y, "Amina Haddad")
    page.goto("/set-up/passkey")
    a11y.check(page)
    page.get_by_role("button", name="Create a passkey").click()
    arrive(page, "/account")
    a11y.check(page)
    page.get_by_role("button", name="Sign out").click()
    arrive(page, "/signed-out")
    a11y.check(page)

    presence(authenticator, False)
    page.goto("/sign-in")
    a11y.check(page)
    # Leave the page first, so its field's pending request has ended before presence changes (on a
    # busy machine, a reload could race it and the new request was never answered).
    page.goto("/")
    a11y.check(page)
    # Now the person picks their passkey from the field's suggestions (the virtual authenticator
    # does that by itself once presence is simulated, for requests made after it is switched on).
    presence(authenticator, True)
    page.goto("/sign-in")
    arrive(page, "/account")
    expect(page.locator("main")).to_contain_text("Amina Haddad")
    a11y.check(page)
