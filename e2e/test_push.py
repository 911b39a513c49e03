"""Notifications (web push), end to end in Chromium: a customer turns them on from /updates/settings
with the keyboard, after reading what we send; then operations publish an incident, and a push
service on 127.0.0.1 receives the notification, which the test decrypts with the device's keys.

The browser here has no internet, so its own push service (the browser maker's) cannot be reached
and turning on may fail in the browser: then the page must say so politely, and the test carries on
with a subscription pointing at the local push endpoint, registered through the same
/updates/push/subscribe the page uses, with the page's own CSRF token."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import Accessibility
from e2e.steps import arrive, demo_sign_in, publish_incident, tab_to
from tests.push_endpoint import FakeDevice, PushEndpoint

POST_SUBSCRIPTION = """([path, body]) => fetch(path, {
  method: "POST", credentials: "same-origin",
  headers: {"Content-Type": "application/json",
            "X-CSRF-Token": document.querySelector("[data-push]").dataset.csrf},
  body: JSON.stringify(body)}).then(response => response.status)"""


@pytest.fixture
def operations(desk_browser: tuple[Page, Accessibility]) -> tuple[Page, Accessibility]:
    return desk_browser


@pytest.fixture
def push_endpoint() -> Iterator[PushEndpoint]:
    server = PushEndpoint().start()
    yield server
    server.stop()


def test_a_customer_turns_on_notifications_and_an_incident_arrives(
        page: Page, a11y: Accessibility, live_server: str, operations, push_endpoint: PushEndpoint) -> None:
    ops_page, ops_a11y = operations
    page.context.grant_permissions(["notifications"], origin=live_server)
    title = f"Power cut in NF3 {uuid.uuid4().hex[:6]}"

    demo_sign_in(page, a11y, "Gareth Jones")  # He lives in NF3.
    page.goto("/updates/settings")
    a11y.check(page)
    section = page.get_by_role("region", name="Notifications on this device")
    expect(section).to_contain_text("We do not send news or offers unless you ask for them.")
    expect(section.get_by_text("This browser cannot get notifications from us.")).to_be_hidden()
    button = section.get_by_role("button", name="Turn on notifications on this device")
    expect(button).to_be_visible()
    status = section.locator("[data-push-status]")
    expect(status).to_have_attribute("role", "status")  # A polite live region, there from the start...
    expect(status).to_be_empty()  # ...with nothing in it: nothing is asked on page load.
    assert page.evaluate("() => Notification.permission") == "granted"  # Granted by the test.

    # With the keyboard alone: Tab from the top of the page to the button, and press it.
    tab_to(page, "Turn on notifications on this device")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(status).to_have_text(re.compile(r"^(Notifications are on for this device|We could not turn on)"),
                                timeout=20_000)
    expect(button).to_be_focused()  # Still where they were, whatever happened.
    a11y.check(page)
    turned_on = status.inner_text().startswith("Notifications are on")
    if turned_on:
        expect(button).to_have_text("Turn off notifications on this device")
    else:
        # No push service can be reached from here: said politely, with what to do instead.
        expect(status).to_have_text("We could not turn on notifications on this device. They do not work "
                                    "in a private window. Try again later, or choose email or text below.")
        expect(button).to_have_text("Turn on notifications on this device")

    # Quiet hours and the daily limit would hold the notification back at night or after a busy day;
    # Gareth turns both off, so the test does not depend on the clock.
    page.get_by_label("No quiet hours").check()
    page.get_by_label("No limit").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("We saved your choices")
    a11y.check(page)
    bills = page.get_by_role("group", name="Problems where you live")
    expect(bills.get_by_label("Notifications")).to_be_checked()

    # The device this test plays: its subscription points at the local push endpoint.
    device = FakeDevice()
    status_code = page.evaluate(POST_SUBSCRIPTION,
                                ["/updates/push/subscribe", device.subscription(push_endpoint.url("gareth"))])
    assert status_code == 201

    publish_incident(ops_page, ops_a11y, title)

    try:
        received = push_endpoint.wait_for(1, seconds=40)
        messages = [device.read(r.body) for r in received if r.path == "/push/gareth"]
        [message] = [m for m in messages if m["title"] == title]
        assert "Some homes have no power. A cable is broken." in message["body"]
        assert "Keep your fridge shut." in message["body"]
        assert re.fullmatch(re.escape(live_server) + r"/updates/\d+", message["url"])

        page.goto(message["url"][len(live_server):])  # Where the notification opens.
        expect(page.locator("main")).to_contain_text(title)
        a11y.check(page)
    finally:
        page.goto("/updates/settings")
        a11y.check(page)
        page.evaluate(POST_SUBSCRIPTION,
                      ["/updates/push/unsubscribe", {"endpoint": push_endpoint.url("gareth")}])


def test_without_javascript_the_page_says_so_and_devices_can_still_be_turned_off(no_js_page: Page) -> None:
    page = no_js_page
    a11y = Accessibility()
    a11y.watch(page)
    demo_sign_in(page, a11y, "Sam Taylor")
    page.goto("/updates/settings")
    a11y.check(page)
    section = page.get_by_role("region", name="Notifications on this device")
    expect(section.get_by_text("This browser cannot get notifications from us.")).to_be_visible()
    expect(section.get_by_role("button", name="Turn on notifications on this device")).to_be_hidden()

    # A device Sam turned on elsewhere (made here through the same endpoint the page uses).
    body = FakeDevice().subscription("https://push.example.net/sams-phone")
    assert page.evaluate(POST_SUBSCRIPTION, ["/updates/push/subscribe", body]) == 201
    page.reload()
    a11y.check(page)
    devices = section.get_by_role("list")
    expect(devices).to_contain_text("Chrome on Linux, turned on")
    devices.get_by_role("button", name="Turn off").click()
    arrive(page, "/updates/settings")
    expect(page.locator("main")).to_contain_text("Notifications are off for that device")
    expect(section.get_by_role("list")).to_have_count(0)
    a11y.check(page)
    a11y.verify()


NOTIFICATIONS = """() => navigator.serviceWorker.ready.then(registration => registration.getNotifications())
  .then(shown => shown.map(n => ({title: n.title, body: n.body, url: n.data && n.data.url, icon: n.icon,
                                  tag: n.tag})))"""


def notifications(page: Page, count: int) -> list[dict]:
    """The notifications on show, once there are `count` of them."""
    for _ in range(100):
        shown = page.evaluate(NOTIFICATIONS)
        if len(shown) >= count:
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"{len(shown)} notifications on show, not {count}")


def test_the_service_worker_shows_a_push_message_as_a_notification(page: Page, a11y: Accessibility,
                                                                    live_server: str) -> None:
    """The push handlers (static/js/sw-push.js), with a message handed to the worker by DevTools."""
    page.context.grant_permissions(["notifications"], origin=live_server)
    demo_sign_in(page, a11y, "Sam Taylor")
    assert page.evaluate("() => navigator.serviceWorker.ready.then(registration => !!registration.active)")
    cdp = page.context.new_cdp_session(page)
    registrations: list[dict] = []
    cdp.on("ServiceWorker.workerRegistrationUpdated",
           lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(100):
        ours = [r for r in registrations if r["scopeURL"] == f"{live_server}/" and not r["isDeleted"]]
        if ours:
            break
        page.wait_for_timeout(50)
    assert ours, registrations

    def deliver(message: dict) -> None:
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": live_server, "registrationId": ours[0]["registrationId"], "data": json.dumps(message)})

    deliver({"title": "Your bill is late", "body": "Please pay it now.", "url": f"{live_server}/updates/7"})
    [shown] = notifications(page, 1)
    assert shown["title"] == "Your bill is late" and shown["body"] == "Please pay it now."
    assert shown["url"] == f"{live_server}/updates/7" and shown["tag"] == shown["url"]
    assert re.fullmatch(re.escape(live_server) + r"/icons/icon-192\.png\?v=\w+", shown["icon"])

    # The same update again replaces it (a retry never stacks); a link elsewhere is never followed.
    deliver({"title": "Your bill is late", "body": "Please pay it now.", "url": f"{live_server}/updates/7"})
    deliver({"title": "Odd", "body": "", "url": "https://elsewhere.example/steal"})
    urls = sorted(n["url"] for n in notifications(page, 2))
    assert urls == [f"{live_server}/updates", f"{live_server}/updates/7"]
