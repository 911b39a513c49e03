"""Two app processes sharing one PostgreSQL database and a broker: an adviser answering in one process
reaches a customer whose browser is connected to the other, live. Runs where PostgreSQL and Redis are
available (CI sets PORTAL_TEST_DATABASE_URL and PORTAL_TEST_REDIS_URL)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from e2e.conftest import Accessibility, free_port, running
from e2e.steps import arrive
from portal import db as database
from portal.cli import seed_demo
from portal.settings import Settings


def servers_needed() -> tuple[str, str]:
    database_url = os.environ.get("PORTAL_TEST_DATABASE_URL", "")
    redis_url = os.environ.get("PORTAL_TEST_REDIS_URL", "")
    if not database_url or not redis_url:
        pytest.skip("Cross-process tests skipped: set PORTAL_TEST_DATABASE_URL and PORTAL_TEST_REDIS_URL "
                    "to run them (CI sets both).")
    return database_url, redis_url


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """A fresh database of its own (named for this run, so parallel test workers never share one),
    upgraded and seeded with the demo people; dropped afterwards."""
    server_url, _ = servers_needed()
    name = f"portal_cross_process_{uuid.uuid4().hex[:10]}"
    admin = re.sub(r"^postgresql\+psycopg://", "postgresql://", server_url)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    url = re.sub(r"/[^/]*$", f"/{name}", server_url)
    database.upgrade(url)
    seed_demo(Settings(env="test", demo=True, database_url=url))
    yield url
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["redis", "postgresql"])
def two_processes(request, shared_database: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    _, redis_url = servers_needed()
    broker = redis_url if request.param == "redis" else shared_database
    env = {"PORTAL_DEMO": "1", "PORTAL_DATABASE_URL": shared_database, "PORTAL_BROKER_URL": broker}
    with (running(["serve"], free_port(), env, tmp_path / "one.log") as one,
          running(["serve"], free_port(), env, tmp_path / "two.log") as two):
        yield one, two


def open_as(browser: Browser, base_url: str, person: str, lands_on: str) -> tuple[Page, Accessibility]:
    page = browser.new_context(base_url=base_url, viewport={"width": 1024, "height": 800}).new_page()
    checker = Accessibility()
    checker.watch(page)
    page.goto("/demo")
    checker.check(page)
    page.get_by_label(person).check()
    page.locator("main form button[type=submit]").click()
    arrive(page, lands_on)
    checker.check(page)
    return page, checker


def test_a_reply_in_one_process_reaches_a_browser_on_the_other(browser: Browser, two_processes) -> None:
    one, two = two_processes
    customer, customer_a11y = open_as(browser, one, "Gareth Jones", "/account")
    customer.goto("/help/messages/new")
    customer_a11y.check(customer)
    customer.get_by_label("Subject").fill("Across two servers")
    customer.get_by_label("Your message").fill("Is anyone there?")
    customer.get_by_role("button", name="Send message").click()
    customer.wait_for_url(re.compile(r"/help/messages/HR-"))
    customer_a11y.check(customer)
    reference = re.search(r"HR-[A-Z0-9]{6}", customer.url).group(0)

    adviser, adviser_a11y = open_as(browser, two, "Dewi Morgan", "/adviser")
    expect(adviser.locator("main")).to_contain_text(reference)
    adviser.locator("main li, main tr").filter(has_text=reference).first.get_by_role(
        "button", name=re.compile("Claim")).click()
    arrive(adviser, f"/adviser/requests/{reference}")
    adviser_a11y.check(adviser)
    adviser.get_by_label("Your reply").fill("Yes, this is Dewi on the other server.")
    adviser.get_by_role("button", name="Send reply").click()

    # No reload: the reply arrives over the customer's live connection to the first process.
    expect(customer.locator("main [aria-live=polite]")).to_contain_text("the other server", timeout=10_000)
    customer_a11y.check(customer)

    customer.get_by_label("Write a reply").fill("Thank you, Dewi.")
    customer.get_by_role("button", name="Send reply").click()
    expect(adviser.locator("#conversation")).to_contain_text("Thank you, Dewi.", timeout=10_000)
    adviser_a11y.check(adviser)
    customer_a11y.verify()
    adviser_a11y.verify()
    customer.context.close()
    adviser.context.close()


def test_a_screen_shared_through_one_process_is_seen_through_the_other(browser: Browser,
                                                                        two_processes) -> None:
    """Co-browse: the customer's changes go to one process; the adviser watches from the other, and
    "Stop sharing" on the first ends the view on the second at once."""
    one, two = two_processes
    customer, customer_a11y = open_as(browser, one, "Gareth Jones", "/account")
    adviser, adviser_a11y = open_as(browser, two, "Dewi Morgan", "/adviser")
    customer.goto("/help/share-screen")
    customer_a11y.check(customer)
    customer.locator("main form[action='/help/share-screen'] button").click()
    code = customer.locator(".share-code [aria-hidden=true]").inner_text()
    customer_a11y.check(customer)

    adviser.goto("/adviser/share-screen")
    adviser_a11y.check(adviser)
    adviser.get_by_label("The customer's code").fill(code)
    adviser.get_by_role("button", name="Ask to see their screen").click()
    adviser.wait_for_url(re.compile(r"/adviser/share-screen/\d+$"))
    adviser_a11y.check(adviser)

    # The question reaches the customer's page on the first process without a reload.
    customer.get_by_role("button", name="Yes, share my screen").click(timeout=10_000)
    customer_a11y.check(customer)
    customer.goto("/account/bills")
    customer_a11y.check(customer)
    view = adviser.frame_locator(".screen-view iframe")
    expect(view.locator("main h1")).to_have_text(customer.locator("main h1").inner_text(), timeout=10_000)
    adviser_a11y.check(adviser)

    customer.get_by_role("button", name="Stop sharing").click()
    customer.wait_for_load_state("load")
    customer_a11y.check(customer)
    expect(adviser.locator(".screen-view iframe")).to_have_count(0, timeout=10_000)
    expect(adviser.locator("#screen-status")).to_contain_text("The customer stopped sharing.")
    adviser_a11y.check(adviser)
    customer_a11y.verify()
    adviser_a11y.verify()
    customer.context.close()
    adviser.context.close()
